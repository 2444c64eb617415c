"""Which steps of a worked solution an address (the ``check`` syntax) asks for."""

from __future__ import annotations

from ..read.addresses import Address, AddressError
from ..solving.kinds import resolve

GIVEN = {"input", "weights", "bias", "shared", "target"}  # read from the file: nothing to work out
PER_SAMPLE = {"pre", "act", "delta", "grad_act", "g_prime"}
WORKED_IN = {"weighted": "pre"}  # a quantity the solution writes inside another one's step


def keys(text: str, problem, solution) -> set:
    """The keys of the steps that compute the quantity ``text`` names."""
    address = resolve(text, problem)
    if address.after or address.kind.endswith("_state"):
        raise AddressError(f"expected a quantity of the first step, found '{text}': the worked solution "
                           "covers the first step (backprop run shows the values after it)")
    if address.kind in GIVEN:
        raise AddressError(f"expected a quantity that is worked out, found '{text}': it is given in the file")
    present = {step.key for step in solution.steps()}
    found = {key for key in present if _matches(address, key, problem)}
    if not found:
        raise AddressError(f"expected a quantity the worked solution shows, found '{text}' "
                           "(past the first units or samples, backprop run lists every value)")
    return found


def _matches(address: Address, key, problem) -> bool:
    kind = WORKED_IN.get(address.kind, address.kind)
    if kind in ("loss", "residual"):  # the residuals are written out in the loss
        return key == ("loss",)
    if problem.kind == "graph":
        wanted = {"node": ("node", address.name), "node_grad": ("grad", address.name),
                  "input_grad": ("grad", address.name), "shared_grad": ("grad", address.name),
                  "shared_updated": ("updated", address.name)}.get(kind)
        return key == wanted
    if kind.startswith("shared"):
        return key == (kind, address.name)
    if not isinstance(key, tuple) or len(key) != 4 or key[0] != kind or key[1] != address.layer:
        return False
    if address.index is None:
        return True
    if kind in PER_SAMPLE:
        if len(address.shape) == 1:
            return key[2:] == (0, address.index)
        s, j = address.index if problem.samples_are == "rows" else address.index[::-1]
        return key[2:] == (s, (j,))
    return key[3] == address.index
