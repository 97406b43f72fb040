"""JSON and cattrs: one converter per provider, built once, exact with money.

The generated attrs models keep each provider's JSON key in field metadata
(``metadata={"key": "TransactionId"}``); the converter built here renames both
ways, leaves unset optionals out of requests, ignores unknown keys in answers,
and moves ``Decimal`` without ever passing through a lossy float.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn, override

from aioacquiring.core.errors import InvalidInputError, InvalidResponseError
from aioacquiring.core.structuring import make_structure_fn, open_enum_parts, optional_inner

JSON_KEY = "key"
"""Field-metadata key under which generated models keep the provider's JSON key."""

DatetimeParser = Callable[[str], datetime]


_DECODER = json.JSONDecoder(parse_float=Decimal)  # stateless; built once, not per answer
# JSONDecoder sets scan_once in __init__; typeshed does not declare it.
_scan: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]
_JSON_SPACE = " \t\n\r"


def loads(raw: bytes | str) -> Any:
    """Parse JSON with every non-integer number read as an exact ``Decimal``."""
    if isinstance(raw, (bytes, bytearray)):
        raw = raw.decode("utf-8-sig" if raw[:3] == b"\xef\xbb\xbf" else "utf-8")
    # An answer is almost always one value from its first byte: the C scanner reads it
    # directly, without decode()'s two wrappers and its two whitespace regexes. Anything
    # else -- leading space, nothing, extra data -- takes decode(), which reads it or
    # raises its usual JSONDecodeError.
    try:
        value, end = _scan(raw, 0)
    except StopIteration:
        return _DECODER.decode(raw)
    if end != len(raw) and raw[end:].strip(_JSON_SPACE):
        return _DECODER.decode(raw)
    return value


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _iterencoder() -> Callable[[Any], Any]:
    # JSONEncoder.encode builds its C scanner anew on every call; build it once. Without
    # circular-reference markers: what is encoded comes from the converter, a tree.
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator (another Python implementation)
        return lambda payload: (_ENCODER.encode(payload),)
    encode = make(
        None, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",", False, False, True
    )
    return lambda payload: encode(payload, 0)


_encode_chunks = _iterencoder()


def dumps(payload: Any) -> bytes:
    """Serialise unstructured data to compact UTF-8 JSON bytes (done once per call)."""
    return "".join(_encode_chunks(payload)).encode()


def decimal_to_json_number(value: Decimal) -> float | int:
    """Turn a Decimal into a JSON-encodable number whose text equals it exactly.

    ``json`` writes a float with ``repr``, the shortest text that reads back as
    the same float; so ``Decimal("0.10")`` goes out as ``0.1``. A Decimal with
    more digits than a float holds would be rounded on the way: that is
    refused rather than sent.
    """
    if not value.is_finite():
        raise InvalidInputError(f"{value} is not a finite number")
    if value == value.to_integral_value():
        return int(value)
    as_float = float(value)
    if Decimal(repr(as_float)) != value:
        raise InvalidInputError(f"{value} has too many digits to be sent exactly as a JSON number")
    return as_float


_NET_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)


_UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=_UTC)
_fromisoformat = datetime.fromisoformat


def parse_datetime(text: str) -> datetime:
    """Read a provider timestamp into an aware UTC ``datetime``.

    Accepts ISO 8601 with or without an offset (no offset means UTC, as the
    providers document), with any number of fraction digits or a ``Z``, and the
    .NET form ``/Date(1401718880000)/`` (epoch milliseconds, UTC).
    """
    if text[-2:] == ")/" and text[:6] == "/Date(":
        # CloudPayments' .NET form, often three times in one transaction: no regex needed
        # when it holds plain epoch milliseconds (an offset, if any, is informative only).
        digits = text[6:-2]
        if digits.isdigit() or (digits := digits.split("+", 1)[0]).isdigit():
            return _EPOCH + timedelta(0, 0, 0, int(digits))  # positional: milliseconds
    elif text[:1].isdigit():
        # The common case, ISO 8601, costs one or two C calls; the regex below is the
        # fallback for what fromisoformat refuses (7+ fraction digits on 3.10, ...).
        if len(text) == 19:
            # "2014-08-09T11:49:41", CloudPayments' other form: no offset means UTC, and
            # reading it with the offset written out is one call (.replace() costs five).
            try:
                aware = _fromisoformat(text + "+00:00")
            except ValueError:
                pass
            else:
                if aware.tzinfo is _UTC:
                    return aware
        try:
            quick = _fromisoformat(text)
        except ValueError:
            pass
        else:
            if quick.tzinfo is None:
                # A text without a time ("2014-08-09") reads back naive, and is replaced.
                aware = _fromisoformat(text + "+00:00")
                return aware if aware.tzinfo is _UTC else quick.replace(tzinfo=_UTC)
            return quick if quick.tzinfo is _UTC else quick.astimezone(_UTC)
    text = text.strip()
    net = _NET_DATE.match(text)
    if net:
        return _EPOCH + timedelta(milliseconds=int(net[1]))
    iso = _ISO.match(text)
    if iso is None:
        raise ValueError(f"not a date-time: {text!r}")
    year, month, day, hour, minute, second, fraction, offset = iso.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz = timezone.utc
    if offset and offset != "Z":
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    parsed = datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tz
    )
    return parsed.astimezone(timezone.utc)


def _structure_decimal(value: Any, _: type) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError(f"not a decimal number: {value!r}") from exc


def _unstructure_decimal(value: Decimal) -> float | int:
    if isinstance(value, float):
        raise InvalidInputError("money must be a Decimal (Decimal('10.50')), not a float")
    return decimal_to_json_number(Decimal(value))


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def _structure_bool(value: Any, _: type) -> bool:
    # Form-encoded webhooks carry booleans as text: bool("0") would be True.
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"not a boolean: {value!r}")
    return bool(value)


def _unstructure_datetime(value: datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInputError(f"datetime {value.isoformat()} must be timezone-aware")
    return value.astimezone(timezone.utc).isoformat()


def _make_open_enum_hook(tp: Any) -> Callable[[Any, Any], Any]:
    parts = open_enum_parts(tp)
    assert parts is not None
    enum_type, _ = parts

    def structure_open_enum(value: Any, _: Any) -> Any:
        if value is None:
            return None
        try:
            return enum_type(value)
        except ValueError:
            return str(value)

    return structure_open_enum


def _make_optional_hook(converter: cattrs.Converter) -> Callable[[Any], Any]:
    # cattrs' own Optional hook looks the inner type's hook up on every value;
    # resolving it once per type makes reading a 40-field transaction much cheaper.
    def factory(tp: Any) -> Callable[[Any, Any], Any]:
        inner = optional_inner(tp)
        inner_hook = converter.get_structure_hook(inner)

        def structure_optional(value: Any, _: Any) -> Any:
            return None if value is None else inner_hook(value, inner)

        if inner is str:
            # The most common field kind: skip the second call when it already is text.
            def structure_optional_str(value: Any, _: Any) -> Any:
                if value is None or type(value) is str:
                    return value
                return inner_hook(value, inner)

            return structure_optional_str
        return structure_optional

    return factory


def json_key(field: Any) -> str:
    """The provider's JSON key of a generated model field, an ``attrs.Attribute``.

    (Typed ``Any``: ``attrs.Attribute`` cannot be subscripted at run time, where
    documentation tools read the annotations.)
    """
    return str(field.metadata.get(JSON_KEY, field.name))


def structure_answer(converter: cattrs.Converter, data: Any, cls: Any, *, provider: str) -> Any:
    """``data`` from a provider's answer as ``cls``; a shape that does not fit is an error.

    cattrs raises many kinds of exception; all mean "not the documented shape", so
    each becomes :class:`InvalidResponseError` (outcome unknown: the provider may
    have acted). The offending value stays out of the message -- it may be a secret.
    """
    try:
        return converter.structure(data, cls)
    except Exception as exc:
        name = getattr(cls, "__name__", str(cls))
        raise InvalidResponseError(
            f"{provider} answered with a {name} that could not be read: {type(exc).__name__}",
            outcome_unknown=True,
        ) from exc


def model_structure_fn(
    cls: type, converter: cattrs.Converter, *, parse_datetime: DatetimeParser = parse_datetime
) -> Callable[[Any, Any], Any]:
    """The hook that reads a generated model: each field from its provider JSON key.

    The one place that says how models are read; a provider converter that wraps
    the hook (Bank 131's v1 spellings) builds it here too.
    """
    return make_structure_fn(cls, converter, key_of=json_key, readers={datetime: parse_datetime})


def make_converter(*, parse_datetime: DatetimeParser = parse_datetime) -> cattrs.Converter:
    """Build a provider's converter: renames, Decimal, aware datetimes, open enums."""
    converter = cattrs.Converter(detailed_validation=False)
    converter.register_structure_hook(Decimal, _structure_decimal)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_unstructure_hook(Decimal, _unstructure_decimal)
    converter.register_structure_hook(datetime, lambda value, _: parse_datetime(value))
    converter.register_unstructure_hook(datetime, _unstructure_datetime)
    converter.register_structure_hook(date, lambda value, _: date.fromisoformat(value))
    converter.register_unstructure_hook(date, date.isoformat)
    # By predicate: on Python 3.10 typing.Any is not a class, and registering it as a
    # type (singledispatch) fails when the converter is built.
    converter.register_structure_hook_func(lambda tp: tp is Any, lambda value, _: value)
    converter.register_structure_hook_factory(
        lambda tp: optional_inner(tp) is not None and open_enum_parts(tp) is None,
        _make_optional_hook(converter),
    )
    converter.register_structure_hook_factory(
        lambda tp: open_enum_parts(tp) is not None, _make_open_enum_hook
    )

    def structure_factory(cls: type) -> Any:
        return model_structure_fn(cls, converter, parse_datetime=parse_datetime)

    def unstructure_factory(cls: type) -> Any:
        renames: dict[str, Any] = {f.name: override(rename=json_key(f)) for f in attrs.fields(cls)}
        return make_dict_unstructure_fn(cls, converter, _cattrs_omit_if_default=True, **renames)

    converter.register_structure_hook_factory(attrs.has, structure_factory)
    converter.register_unstructure_hook_factory(attrs.has, unstructure_factory)
    return converter
