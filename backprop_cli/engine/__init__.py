"""The engine: the op registry, the tape and its interpreters, formulas, networks and graphs recorded on it."""
