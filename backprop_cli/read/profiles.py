"""Convention profiles: ``convention: NAME`` gives the settings a family of textbooks assumes as the
defaults of the keys a file leaves out; the file's own keys still override them one by one."""

from __future__ import annotations

from ..engine.model import Loss
from ..engine.record import Record
from .fields import Fields
from .yaml_tree import Node


class Profile(Record):
    """The defaults one convention gives: each field stands for the key named beside it."""

    notation: str = "standard"  # notation: a preset of engine.model.NOTATIONS
    delta_sign: float = 1.0  # conventions.delta: -1 for δ = −∂L/∂z
    orientation: str | None = None  # network.orientation; None: out_in, the format's default, left unstated
    fold_bias: bool = False  # network.fold_bias
    loss: Loss | None = None  # loss (kind, factor, outputs, samples); None: the file names the kind


PROFILES = {
    "default": Profile(),
    "delta-rule": Profile(notation="netout", delta_sign=-1.0, orientation="out_in",
                          loss=Loss("squared_error", factor=0.5)),
    "lfd": Profile(notation="lfd", orientation="in_out", fold_bias=True, loss=Loss("squared_error", samples="mean")),
    "sensitivity": Profile(notation="sensitivity", orientation="out_in", loss=Loss("squared_error")),
}


def read(top: dict[str, Node], f: Fields) -> tuple[str | None, Profile]:
    """The name under ``convention:`` and its profile (the format's defaults without one, or with an
    unknown name, which is reported)."""
    if "convention" not in top:
        return None, PROFILES["default"]
    node = top["convention"]
    if node.is_mapping:  # a near miss for conventions:, which sets single conventions
        f.error(node, f"expected convention one of: {', '.join(PROFILES)}, found a mapping",
                "conventions: {delta: ...}, with an s, sets the sign of δ alone")
        return None, PROFILES["default"]
    name = f.choice(node, PROFILES, "convention")
    return name, PROFILES.get(name, PROFILES["default"])
