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

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        names = [name for klass in reversed(cls.__mro__) for name in vars(klass).get("__annotations__", {})
                 if not name.startswith("_")]
        cls._fields = tuple(dict.fromkeys(names))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fields = self._fields
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__} takes {len(fields)} fields, {len(args)} given")
        for name, value in zip(fields, args):
            setattr(self, name, value)
        for name in fields[len(args):]:
            if name in kwargs:
                value = kwargs.pop(name)
            else:
                value = getattr(type(self), name, _MISSING)
                if value is _MISSING:
                    raise TypeError(f"{type(self).__name__}: missing field '{name}'")
                if isinstance(value, Fresh):
                    value = value.make()
            setattr(self, name, value)
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unknown or repeated fields {sorted(kwargs)}")

    def _replace(self, **changes: Any) -> "Record":
        """A copy with some fields changed (named like NamedTuple's)."""
        values = {name: getattr(self, name) for name in self._fields}
        values.update(changes)
        return type(self)(**values)

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({shown})"


_MISSING = object()
