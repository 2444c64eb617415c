"""Solving: results, training, and the protocol each kind of problem follows."""
