"""Records: classes of named fields, declared like dataclasses, that cost nothing to define.

A dataclass writes and compiles code for each class when its module is imported (about 0.6 ms each,
plus importing ``inspect``), which the command's start-up cannot afford for the two dozen classes it
loads. A ``Record`` reads its fields from the class annotations once and fills them in one generic
``__init__``. Records compare by identity, like ``dataclass(eq=False)``: most hold arrays.
"""

from __future__ import annotations

from typing import Any, Callable


class Fresh:
    """A default made anew for each record (``Fresh(list)``), like ``field(default_factory=list)``."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]):
        self.make = make


class Record:
    """Fields in annotation order; a class attribute of the same name is the field's default."""

    _fields: tuple[str, ...] = ()
    _defaults: dict[str, Any] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        names = [name for klass in reversed(cls.__mro__) for name in vars(klass).get("__annotations__", {})
                 if not name.startswith("_")]
        cls._fields = tuple(dict.fromkeys(names))
        cls._defaults = {name: getattr(cls, name) for name in cls._fields if hasattr(cls, name)}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fields = self._fields
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__} takes {len(fields)} fields, {len(args)} given")
        values = dict(zip(fields, args))
        if kwargs:
            unknown = [name for name in kwargs if name in values or name not in self._defaults and name not in fields]
            if unknown:
                raise TypeError(f"{type(self).__name__}: unknown or repeated fields {sorted(unknown)}")
            values.update(kwargs)
        if len(values) < len(fields):
            for name in fields:
                if name not in values:
                    default = self._defaults.get(name, _MISSING)
                    if default is _MISSING:
                        raise TypeError(f"{type(self).__name__}: missing field '{name}'")
                    values[name] = default.make() if type(default) is Fresh else default
        self.__dict__.update(values)

    def _replace(self, **changes: Any) -> "Record":
        """A copy with some fields changed (named like NamedTuple's)."""
        values = {name: getattr(self, name) for name in self._fields}
        values.update(changes)
        return type(self)(**values)

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({shown})"


_MISSING = object()
