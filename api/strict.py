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


class StrictNumbers(BaseModel):
    """Base of request documents: booleans are not accepted as numbers."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_number(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, bool) and info.field_name is not None:
            field = cls.model_fields.get(info.field_name)
            kind = _number_kind(field.annotation) if field is not None else None
            if kind == "int":
                raise PydanticCustomError("int_type", "Input should be a valid integer, not a boolean")
            if kind == "float":
                raise PydanticCustomError("float_type", "Input should be a valid number, not a boolean")
        return value
