"""Asset inventory: software components from SBOMs (syft), per scanned asset."""
