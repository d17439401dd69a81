"""Request documents where a boolean is not a number.

Pydantic's lax mode reads ``true``/``false`` as 1/0 for integer and number fields, so ``"seed": false`` would be
taken as seed 0. Request models derive from :class:`StrictNumbers`: a boolean given for a field that is a number
(and not also a boolean) is refused with 422 naming the field (rule ``int-type`` / ``float-type``).
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError


def _number_kind(annotation: Any) -> str | None:
    """``int``/``float`` when the annotation is a number type that does not also admit a boolean."""
    if annotation is bool:
        return None
    if annotation is int:
        return "int"
    if annotation is float:
        return "float"
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _number_kind(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        args = typing.get_args(annotation)
        if bool in args or Any in args:
            return None
        kinds = {k for k in (_number_kind(a) for a in args) if k}
        return "float" if "float" in kinds else ("int" if kinds else None)
    return None


def _bool_where_number(annotation: Any, value: Any) -> str | None:
    """``int``/``float`` when ``value`` (or an item of it, for lists and dicts) is a boolean where the annotation
    wants a number."""
    if isinstance(value, bool):
        return _number_kind(annotation)
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _bool_where_number(typing.get_args(annotation)[0], value)
    if origin is typing.Union or origin is types.UnionType:
        for arg in typing.get_args(annotation):
            kind = _bool_where_number(arg, value)
            if kind:
                return kind
        return None
    args = typing.get_args(annotation)
    if origin in (list, tuple, set, frozenset) and args and isinstance(value, list | tuple):
        return next((k for k in (_bool_where_number(args[0], v) for v in value) if k), None)
    if origin is dict and len(args) == 2 and isinstance(value, dict):
        return next((k for k in (_bool_where_number(args[1], v) for v in value.values()) if k), None)
    return None


def _may_hold_number(annotation: Any) -> bool:
    """False when :func:`_bool_where_number` is None for ``annotation`` whatever the value (no number type that
    refuses booleans anywhere in it: text, a nested model, a list of models...)."""
    if _number_kind(annotation) is not None:
        return True
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _may_hold_number(args[0])
    if origin is typing.Union or origin is types.UnionType:
        return any(_may_hold_number(a) for a in args)
    if origin in (list, tuple, set, frozenset) and args:
        return _may_hold_number(args[0])
    if origin is dict and len(args) == 2:
        return _may_hold_number(args[1])
    return False


# (model class, field name) -> the field's annotation when it may hold a number, else None (computed once per field:
# lists of nested models are then not walked item by item on every request)
_NUMBER_FIELDS: dict[tuple[type, str], Any] = {}
_NOT_A_NUMBER = object()


def _number_annotation(cls: type[BaseModel], name: str) -> Any:
    key = (cls, name)
    hit = _NUMBER_FIELDS.get(key)
    if hit is None:
        field = cls.model_fields.get(name)
        hit = field.annotation if field is not None and _may_hold_number(field.annotation) else _NOT_A_NUMBER
        _NUMBER_FIELDS[key] = hit
    return hit


class StrictNumbers(BaseModel):
    """Base of request documents: booleans are not accepted as numbers (also inside lists and dicts)."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_number(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name is not None and isinstance(value, bool | list | tuple | dict):
            annotation = _number_annotation(cls, info.field_name)
            kind = None if annotation is _NOT_A_NUMBER else _bool_where_number(annotation, value)
            if kind == "int":
                raise PydanticCustomError("int_type", "Input should be a valid integer, not a boolean")
            if kind == "float":
                raise PydanticCustomError("float_type", "Input should be a valid number, not a boolean")
        return value
