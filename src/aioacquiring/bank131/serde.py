"""The Bank 131 converters: tagged unions, and the API v1/v2 spellings of the same fields.

Two things the generated models cannot say by themselves are taught to cattrs here:

* **Tagged unions.** ``payout_details``, ``payment_details``, the card forms, bank
  accounts, wallets, customer interactions and webhooks are ``{"type": T, T: {...}}``
  objects. The schemas generate one class per variant whose tag field is a
  ``Literal`` with that value as default, and a generic ``Unknown...`` variant
  whose tag is a plain ``str`` and whose ``data`` keeps every other field as
  sent. The hooks below read the union's members from the annotation itself,
  so a new variant in a schema needs no Python: an answer is dispatched on its
  tag, an unknown tag reads into the generic variant (never a crash), an
  untagged object (a card in answers) reads into the member without a tag.
* **API versions.** v1 writes ``payment_method``, ``payments`` and
  ``acquiring_payments`` where v2 writes ``payout_details``, ``payout_list`` and
  ``payment_list``. The models use the v2 names; the v1 writer renames them,
  and the reader accepts either spelling (a v1 project's answers and webhooks
  read into the same models). Only fields are renamed, never keys inside
  free-form data such as ``metadata``.

Unset optionals are left out of requests; fields whose schema default is not
null (variant tags, ``TokenInfoRequest.type``) are always written.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn, override

from aioacquiring.core.serde import json_key, make_converter, model_structure_fn

V1_NAMES: Mapping[str, str] = {
    "payout_details": "payment_method",
    "payout_list": "payments",
    "payment_list": "acquiring_payments",
}
"""API v2 field name -> its API v1 spelling."""

GENERIC_DATA_KEY = "data"
"""The field of a generic variant that keeps the fields it does not model."""


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    # The generated modules use postponed annotations: resolve them once per class.
    return typing.get_type_hints(cls)


@functools.cache
def variant_tag(cls: type) -> tuple[str, str] | None:
    """``(JSON key, value)`` of a variant class's ``Literal`` tag field, or None."""
    if not attrs.has(cls):
        return None
    hints = _hints(cls)
    for field in attrs.fields(cls):
        hint = hints[field.name]
        if typing.get_origin(hint) is typing.Literal:
            values = typing.get_args(hint)
            if len(values) == 1 and isinstance(values[0], str):
                return json_key(field), values[0]
    return None


def _union_members(tp: Any) -> tuple[list[type], bool] | None:
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return None
    args = typing.get_args(tp)
    members = [a for a in args if a is not type(None)]
    if not members or not all(isinstance(m, type) and attrs.has(m) for m in members):
        return None
    return members, type(None) in args


@attrs.frozen
class TaggedUnion:
    """How one union of variant classes is told apart: by the value under ``key``."""

    key: str
    variants: Mapping[str, type]
    generic: type | None
    untagged: type | None


def tagged_union(tp: Any) -> TaggedUnion | None:
    """Describe ``tp`` when it is a union of tagged variant classes (else None)."""
    parts = _union_members(tp)
    if parts is None:
        return None
    members, _ = parts
    tags = {cls: variant_tag(cls) for cls in members}
    keys = {tag[0] for tag in tags.values() if tag is not None}
    if len(keys) != 1:
        return None
    (key,) = keys
    variants = {tag[1]: cls for cls, tag in tags.items() if tag is not None}
    generic = untagged = None
    for cls, tag in tags.items():
        if tag is not None:
            continue
        field_keys = {json_key(f) for f in attrs.fields(cls)}
        if key in field_keys and GENERIC_DATA_KEY in field_keys:
            generic = cls
        elif key not in field_keys:
            untagged = cls
    return TaggedUnion(key=key, variants=variants, generic=generic, untagged=untagged)


def _field_named(cls: type, key: str) -> str:
    return next(str(f.name) for f in attrs.fields(cls) if json_key(f) == key)


def _install(converter: cattrs.Converter, *, api_version: int) -> None:
    def write_name(key: str) -> str:
        return V1_NAMES.get(key, key) if api_version == 1 else key

    def structure_attrs(cls: type) -> Callable[[Any, Any], Any]:
        base = model_structure_fn(cls, converter)
        v1_spellings = {
            V1_NAMES[json_key(f)]: json_key(f) for f in attrs.fields(cls) if json_key(f) in V1_NAMES
        }
        if not v1_spellings:
            return base

        def structure(value: Any, tp: Any) -> Any:
            if isinstance(value, Mapping) and any(old in value for old in v1_spellings):
                value = dict(value)
                for old, new in v1_spellings.items():
                    if old in value and new not in value:
                        value[new] = value.pop(old)
            return base(value, tp)

        return structure

    def unstructure_attrs(cls: type) -> Callable[[Any], Any]:
        overrides: dict[str, Any] = {}
        for field in attrs.fields(cls):
            # Leave out what was never set; write defaults that say something (tags).
            keep = field.default is not attrs.NOTHING and field.default is not None
            overrides[field.name] = override(
                rename=write_name(json_key(field)), omit_if_default=not keep
            )
        return make_dict_unstructure_fn(cls, converter, _cattrs_omit_if_default=True, **overrides)

    def structure_union(tp: Any) -> Callable[[Any, Any], Any]:
        union = tagged_union(tp)
        assert union is not None

        def structure(value: Any, _: Any) -> Any:
            if value is None:
                return None
            if not isinstance(value, Mapping):
                raise ValueError(f"expected an object tagged by {union.key!r}, got {value!r}")
            tag = value.get(union.key)
            if tag is None:
                if union.untagged is not None:
                    return converter.structure(value, union.untagged)
                raise ValueError(f"the object has no {union.key!r}")
            variant = union.variants.get(tag)
            if variant is not None:
                return converter.structure(value, variant)
            if union.generic is None:
                raise ValueError(f"unknown {union.key} {tag!r}")
            return _structure_generic(value, union.generic, union.key)

        return structure

    def _structure_generic(value: Mapping[str, Any], cls: type, key: str) -> Any:
        known: Any = converter.structure(
            {k: v for k, v in value.items() if k != GENERIC_DATA_KEY}, cls
        )
        rest = {k: v for k, v in value.items() if k != key}
        return attrs.evolve(known, **{_field_named(cls, GENERIC_DATA_KEY): rest})

    def unstructure_union(tp: Any) -> Callable[[Any], Any]:
        union = tagged_union(tp)
        assert union is not None

        def unstructure(value: Any) -> Any:
            if value is None:
                return None
            if union.generic is not None and isinstance(value, union.generic):
                return _unstructure_generic(value, union.generic)
            return converter.unstructure(value, unstructure_as=type(value))

        return unstructure

    def _unstructure_generic(value: Any, cls: type) -> dict[str, Any]:
        data_name = _field_named(cls, GENERIC_DATA_KEY)
        out: dict[str, Any] = converter.unstructure(
            attrs.evolve(value, **{data_name: None}), unstructure_as=cls
        )
        out.update(getattr(value, data_name) or {})
        return out

    converter.register_structure_hook_factory(attrs.has, structure_attrs)
    converter.register_unstructure_hook_factory(attrs.has, unstructure_attrs)
    converter.register_structure_hook_factory(
        lambda tp: tagged_union(tp) is not None, structure_union
    )
    converter.register_unstructure_hook_factory(
        lambda tp: tagged_union(tp) is not None, unstructure_union
    )


def make_bank131_converter(api_version: int = 2) -> cattrs.Converter:
    """A converter that reads both API spellings and writes ``api_version``'s."""
    if api_version not in (1, 2):
        raise ValueError(f"api_version must be 1 or 2, got {api_version!r}")
    converter = make_converter()
    _install(converter, api_version=api_version)
    return converter


CONVERTERS: Mapping[int, cattrs.Converter] = {
    1: make_bank131_converter(1),
    2: make_bank131_converter(2),
}
"""One converter per API version, built once at import (they hold no state)."""

converter = CONVERTERS[2]
"""The converter answers and webhooks are read with (either spelling) and v2 is written with."""
