"""A cheap :func:`dataclasses.replace` for the engine's frozen result and request records."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")

_PLAIN: dict[type, frozenset[str]] = {}  # class -> its field names, for classes :func:`evolve` may copy directly


def _plain_fields(cls: type) -> frozenset[str] | None:
    """The field names of a dataclass whose instances are fully described by their ``__dict__`` (every field an
    init field, no ``__post_init__`` (so no init-only variables), no slots); ``None`` for any other class."""
    hit = _PLAIN.get(cls)
    if hit is not None:
        return hit
    if not dataclasses.is_dataclass(cls) or hasattr(cls, "__post_init__") or hasattr(cls, "__slots__"):
        return None
    fields = dataclasses.fields(cls)
    if not all(f.init for f in fields):
        return None
    _PLAIN[cls] = names = frozenset(f.name for f in fields)
    return names


def evolve(obj: T, **changes: Any) -> T:
    """``dataclasses.replace(obj, **changes)`` without the per-field ``__init__`` round trip: a copy of the instance
    dict with the changes (≈ 2 µs instead of ≈ 10 µs for a 28-field result). The same values as ``replace`` for a
    dataclass without ``__post_init__``; any other class goes through ``replace``."""
    cls = type(obj)
    names = _plain_fields(cls)
    if names is None or not names.issuperset(changes):
        return dataclasses.replace(obj, **changes)  # type: ignore[type-var]
    new = object.__new__(cls)
    d = new.__dict__
    d.update(obj.__dict__)
    d.update(changes)
    return new
