"""One module per scanner tool behind one interface: accepted targets, invocation, parser."""
