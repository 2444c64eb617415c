"""``python -m backprop_cli``: the same as the ``backprop`` command."""

from .cli import entry

entry()
