"""Renderers: pure functions from a result to text. Only the terminal renderer imports rich."""
