"""backprop-cli: work out and check backpropagation exercises described in YAML files.

The library API (``load``, ``loads``, ``load_all``, ``loads_all``, ``solve``, ``check``, ``explain``) is
imported on first use, so that importing the package stays cheap for the command line.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["load", "loads", "load_all", "loads_all", "solve", "check", "explain", "ProblemError"]


def __getattr__(name: str):
    if name in __all__:
        from . import api
        return getattr(api, name)
    raise AttributeError(f"module 'backprop_cli' has no attribute '{name}'")
