"""Cloud asset inventory: resources discovered per cloud account, with a diff per discovery run."""
