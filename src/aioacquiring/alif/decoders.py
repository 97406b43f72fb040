"""Opening Alif answers: the ``code``/``message``/``data`` envelope, then typed ``data``.

Seed: every answer is HTTP 200 and its root ``code`` says how the call went;
1000 carries the result in ``data``, anything else a ``message``. The envelope
is opened once (:func:`open_envelope`, which raises the typed error for a
failure code), then the operation's decoder turns ``data`` into its model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from aioacquiring.alif.errors import error_for
from aioacquiring.core.errors import InvalidResponseError
from aioacquiring.core.serde import loads, make_converter, structure_answer

__all__ = [
    "OK",
    "converter",
    "decode_list",
    "decode_model",
    "decode_nothing",
    "open_envelope",
    "structure",
]

ModelT = TypeVar("ModelT")

OK = 1000
"""Seed: the code of a successful answer."""

converter = make_converter()
"""The Alif converter: built once, shared by every client (it holds no state)."""


def open_envelope(body: bytes) -> Any:
    """The ``data`` of a successful answer; the typed :class:`AlifError` of a failed one."""
    try:
        envelope = loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidResponseError(
            "Alif answered with a body that is not JSON", outcome_unknown=True
        ) from exc
    if not isinstance(envelope, Mapping) or "code" not in envelope:
        raise InvalidResponseError(
            "Alif answered without its code/message/data envelope", outcome_unknown=True
        )
    code = envelope["code"]
    if isinstance(code, str) and code.strip().isdigit():
        code = int(code)
    if not isinstance(code, int) or isinstance(code, bool):
        raise InvalidResponseError(
            f"Alif answered with a code that is not a number: {code!r}", outcome_unknown=True
        )
    if code == OK:
        return envelope.get("data")
    message = envelope.get("message")
    data = envelope.get("data")
    raise error_for(
        code,
        str(message) if message else f"Alif refused the request (code {code})",
        data if isinstance(data, Mapping) else None,
    )


def structure(data: Any, cls: type[ModelT]) -> ModelT:
    """``data`` as a ``cls``; a shape that does not fit raises InvalidResponseError."""
    result: ModelT = structure_answer(converter, data, cls, provider="Alif")
    return result


def decode_model(cls: type[ModelT]) -> Callable[[Any], ModelT]:
    """A decoder for methods whose ``data`` is one ``cls`` object."""

    def decode(data: Any) -> ModelT:
        if not isinstance(data, Mapping):
            raise InvalidResponseError(
                f"Alif sent no {cls.__name__} in its answer", outcome_unknown=True
            )
        return structure(data, cls)

    return decode


def decode_list(cls: type[ModelT]) -> Callable[[Any], list[ModelT]]:
    """A decoder for list methods: ``data`` is one page, a list of ``cls``.

    ``{"items": [...]}`` is read as well, in case the real API wraps its pages
    (derived: the seed does not show a list answer).
    """

    def decode(data: Any) -> list[ModelT]:
        if data is None:
            return []
        if isinstance(data, Mapping) and isinstance(data.get("items"), list):
            data = data["items"]
        if not isinstance(data, list):
            raise InvalidResponseError(f"Alif sent no list of {cls.__name__}", outcome_unknown=True)
        return [structure(item, cls) for item in data]

    return decode


def decode_nothing(data: Any) -> None:
    """For methods whose success carries nothing of use (``card.token.delete``)."""
    return None
