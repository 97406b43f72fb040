"""The straight-line structure hooks read every model exactly as cattrs' generic hooks do.

``core.structuring`` replaces cattrs' ``make_dict_structure_fn`` for speed. These
properties hold it to the old behaviour: for every generated model of the
three providers and any JSON-shaped input -- well-formed, wrong types, missing
keys, nulls, unknown enum values -- the new hook returns an equal object, or
fails, as a converter built with cattrs' own
hook factory.
"""

from __future__ import annotations

import enum
import importlib
import pkgutil
import typing
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import cattrs
import pytest
from cattrs.gen import make_dict_structure_fn, override
from hypothesis import given, settings
from hypothesis import strategies as st

import aioacquiring.models
from aioacquiring.alif import decoders as alif_decoders
from aioacquiring.bank131 import serde as bank131_serde
from aioacquiring.cloudpayments import decoders as cloudpayments_decoders
from aioacquiring.core.errors import InvalidResponseError
from aioacquiring.core.serde import json_key, make_converter, parse_datetime, structure_answer
from aioacquiring.core.structuring import make_structure_fn, open_enum_parts, optional_inner
from aioacquiring.models.cloudpayments.kkt import CustomerReceipt


def _models(provider: str) -> list[type]:
    package = importlib.import_module(f"aioacquiring.models.{provider}")
    found: dict[str, type] = {}
    for module_info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        for value in vars(module).values():
            if attrs.has(value) and value.__module__ == module.__name__:
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


def _cattrs_reference(build: Callable[[], cattrs.Converter]) -> cattrs.Converter:
    """The provider's converter with cattrs' own attrs hook factory registered over ours."""
    converter = build()

    def cattrs_factory(cls: type) -> Any:
        renames = {f.name: override(rename=json_key(f)) for f in attrs.fields(cls)}
        return make_dict_structure_fn(cls, converter, _cattrs_forbid_extra_keys=False, **renames)

    converter.register_structure_hook_factory(attrs.has, cattrs_factory)
    return converter


def _bank131_reference() -> cattrs.Converter:
    # Bank 131 wraps its attrs hook (v1 spellings): rebuild it around cattrs' hook.
    original = bank131_serde.model_structure_fn

    def cattrs_hook(cls: type, converter: cattrs.Converter, **_: Any) -> Any:
        renames = {f.name: override(rename=json_key(f)) for f in attrs.fields(cls)}
        return make_dict_structure_fn(cls, converter, _cattrs_forbid_extra_keys=False, **renames)

    bank131_serde.model_structure_fn = cattrs_hook  # type: ignore[assignment]
    try:
        return bank131_serde.make_bank131_converter(2)
    finally:
        bank131_serde.model_structure_fn = original


PROVIDERS: dict[str, tuple[cattrs.Converter, cattrs.Converter]] = {
    "cloudpayments": (cloudpayments_decoders.converter, _cattrs_reference(make_converter)),
    "alif": (alif_decoders.converter, _cattrs_reference(make_converter)),
    "bank131": (bank131_serde.converter, _bank131_reference()),
}

CASES = [(provider, cls) for provider in PROVIDERS for cls in _models(provider)]


# -- JSON-shaped values for a field type: plausible ones and wrong ones -------------------

noise = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.text(max_size=8),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.just([1, "x"]),
    st.just({"k": "v"}),
)

moments = st.datetimes(
    min_value=datetime(1971, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from(
        [timezone.utc, timezone(timedelta(hours=3)), timezone(-timedelta(hours=5))]
    ),
)


def _datetime_texts() -> st.SearchStrategy[Any]:
    return st.one_of(
        moments.map(lambda d: d.isoformat()),
        moments.map(lambda d: d.astimezone(timezone.utc).replace(tzinfo=None).isoformat()),
        moments.map(lambda d: d.strftime("%Y-%m-%d")),
        moments.map(lambda d: f"/Date({int(d.timestamp() * 1000)})/"),
        st.sampled_from(["05/19", "", "2014-13-01T00:00:00", "/Date(x)/"]),
    )


def _holds_model(tp: Any) -> bool:
    return attrs.has(tp) or any(_holds_model(arg) for arg in typing.get_args(tp))


def json_for(tp: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """A value the provider could send for a field of type ``tp`` (or noise, now and then)."""
    if _holds_model(tp):
        # Where a model belongs, text or a list is refused here but read by cattrs as an
        # empty object (``"Key" in o`` is just False); test_text_or_a_list_is_not_a_model.
        objects_only = st.one_of(st.none(), st.just({"k": "v"}))
        return st.one_of(_plausible(tp, depth), objects_only) if depth < 3 else objects_only
    return st.one_of(_plausible(tp, depth), noise) if depth < 3 else noise


def _plausible(tp: Any, depth: int) -> st.SearchStrategy[Any]:
    if (open_enum := open_enum_parts(tp)) is not None:
        return st.one_of(st.sampled_from([m.value for m in open_enum[0]]), st.text(max_size=5))
    if (inner := optional_inner(tp)) is not None:
        return st.one_of(st.none(), _plausible(inner, depth))
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return st.one_of(st.sampled_from(typing.get_args(tp)), st.text(max_size=5))
    if origin in (typing.Union, type(int | str)):
        return st.one_of(*(_plausible(member, depth) for member in typing.get_args(tp)))
    if origin is list:
        (item,) = typing.get_args(tp)
        return st.lists(json_for(item, depth + 1), max_size=3)
    if attrs.has(tp):
        return _object_for(tp, depth + 1)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.sampled_from([m.value for m in tp])
    simple: dict[Any, st.SearchStrategy[Any]] = {
        str: st.text(max_size=12),
        int: st.integers(-(2**63), 2**63),
        bool: st.one_of(st.booleans(), st.sampled_from(["1", "0", "true", "no", "maybe"])),
        Decimal: st.decimals(allow_nan=False, allow_infinity=False, places=2),
        datetime: _datetime_texts(),
        date: moments.map(lambda d: d.date().isoformat()),
    }
    return simple.get(tp, noise)


def _object_for(cls: type, depth: int) -> st.SearchStrategy[dict[str, Any]]:
    attrs.resolve_types(cls)
    required = {}
    optional = {}
    for field in attrs.fields(cls):
        strategy = json_for(field.type, depth)
        if field.default is attrs.NOTHING:
            required[json_key(field)] = strategy
        else:
            optional[json_key(field)] = strategy
    # A missing required key now and then, and an unknown key, which must be ignored.
    optional["UnknownKeyFromTheFuture"] = noise
    mapping = st.fixed_dictionaries(required, optional=optional)
    return st.one_of(mapping, mapping.map(lambda d: dict(list(d.items())[1:])))


def _outcome(converter: cattrs.Converter, data: Any, cls: type) -> tuple[str, Any]:
    # Only that it fails is compared: with two bad fields, cattrs reports the optional
    # one first and this hook the first in order (every failure reads as the same
    # InvalidResponseError to the caller).
    try:
        return "value", converter.structure(data, cls)
    except Exception:
        return "error", None


@pytest.mark.parametrize(("provider", "cls"), CASES, ids=[f"{p}-{c.__name__}" for p, c in CASES])
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_a_model_reads_as_cattrs_reads_it(provider: str, cls: type, data: st.DataObject) -> None:
    ours, reference = PROVIDERS[provider]
    document = data.draw(_object_for(cls, 0))
    assert _outcome(ours, document, cls) == _outcome(reference, document, cls)


def test_every_provider_has_models_under_test() -> None:
    counts = {provider: sum(p == provider for p, _ in CASES) for provider in PROVIDERS}
    assert all(count >= 10 for count in counts.values()), counts
    assert aioacquiring.models.__name__ == "aioacquiring.models"


@pytest.mark.parametrize("shape", ["text", ["a", "list"], 7])
def test_text_or_a_list_is_not_a_model(shape: object) -> None:
    # cattrs' generic hook reads these as an object with none of its keys; an answer
    # of the wrong shape is an error, not an empty receipt.
    receipt = {"Items": [], "amounts": shape}
    with pytest.raises(AttributeError):
        cloudpayments_decoders.converter.structure(receipt, CustomerReceipt)
    with pytest.raises(InvalidResponseError, match="could not be read"):
        structure_answer(
            cloudpayments_decoders.converter, receipt, CustomerReceipt, provider="CloudPayments"
        )
    if not isinstance(shape, int):  # what cattrs' own hook made of it
        reference = PROVIDERS["cloudpayments"][1]
        assert reference.structure(receipt, CustomerReceipt).amounts is not None


# -- classes whose __init__ does more than fill slots are called, not bypassed -----------


def _hook_for(cls: type) -> Callable[[Any, Any], Any]:
    return make_structure_fn(cls, make_converter(), key_of=json_key)


def test_validators_and_post_init_still_run() -> None:
    seen: list[str] = []

    @attrs.define(frozen=True, kw_only=True)
    class Checked:
        amount: int = attrs.field(validator=attrs.validators.gt(0), metadata={"key": "Amount"})

    @attrs.define(kw_only=True)
    class Hooked:
        name: str | None = None

        def __attrs_post_init__(self) -> None:
            seen.append(self.name or "")

    assert _hook_for(Checked)({"Amount": 5}, Checked) == Checked(amount=5)
    with pytest.raises(ValueError, match="'amount' must be > 0"):
        _hook_for(Checked)({"Amount": -5}, Checked)
    assert _hook_for(Hooked)({"name": "x"}, Hooked) == Hooked(name="x")
    assert seen == ["x", "x"]


def test_defaults_other_than_none_apply_only_when_the_key_is_absent() -> None:
    @attrs.define(frozen=True, kw_only=True)
    class Tagged:
        kind: str = attrs.field(default="card", metadata={"key": "type"})
        tags: list[str] = attrs.field(factory=list, metadata={"key": "tags"})

    @attrs.define(frozen=True, kw_only=True, cache_hash=True)
    class Hashed:
        kind: str = attrs.field(default="card", metadata={"key": "type"})

    for cls in (Tagged, Hashed):
        hook = _hook_for(cls)
        assert hook({}, cls) == cls()
        assert hook({"type": "sbp"}, cls).kind == "sbp"
    first, second = _hook_for(Tagged)({}, Tagged), _hook_for(Tagged)({}, Tagged)
    assert first.tags == []
    assert first.tags is not second.tags  # a fresh list each time
    assert hash(_hook_for(Hashed)({}, Hashed)) == hash(Hashed())


def test_a_missing_required_key_is_a_key_error() -> None:
    @attrs.define(frozen=True, kw_only=True)
    class Required:
        number: int = attrs.field(metadata={"key": "Number"})

    with pytest.raises(KeyError, match="Number"):
        _hook_for(Required)({"number": 1}, Required)


# -- provider timestamps -----------------------------------------------------------------


def _renderings(moment: datetime) -> Iterator[tuple[str, datetime]]:
    """Texts a provider may send for ``moment``, each with what it must read as."""
    utc = moment.astimezone(timezone.utc)
    yield moment.isoformat(), utc
    yield utc.replace(tzinfo=None).isoformat(), utc
    yield utc.replace(tzinfo=None).isoformat(sep=" "), utc
    yield utc.replace(tzinfo=None).isoformat() + "Z", utc
    yield (
        utc.replace(tzinfo=None).isoformat(timespec="milliseconds"),
        utc.replace(microsecond=utc.microsecond // 1000 * 1000),
    )
    yield utc.strftime("%Y-%m-%d"), utc.replace(hour=0, minute=0, second=0, microsecond=0)
    millis = (utc - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(milliseconds=1)
    yield (
        f"/Date({millis})/",
        datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=millis),
    )


@given(moments)
def test_every_timestamp_form_reads_as_the_same_aware_utc_moment(moment: datetime) -> None:
    for text, expected in _renderings(moment):
        parsed = parse_datetime(text)
        assert (text, parsed) == (text, expected)
        assert parsed.tzinfo is timezone.utc, text
