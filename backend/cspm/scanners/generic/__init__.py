"""The documented generic findings format (JSON or CSV) for tools without a dedicated parser."""
