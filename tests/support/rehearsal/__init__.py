"""The deployed shape, run here: the stack as SAM expands it, each function with its own configuration
and role, every AWS call recorded and evaluated against the role that makes it."""
