"""Reading Bank 131 answers: the ``status``/``session``/... envelope into typed results.

The client has already raised for ``status: "error"`` (see ``client._open``), so
what arrives here is an ``ok`` envelope: ``{"status": "ok", "session": {...},
"confirm_information"?: {...}}`` for sessions, or the method's own payload
(``public_token``, ``wallets``, ``banks``, ...). Fields the models do not know are
ignored; v1 and v2 spellings read alike (see :mod:`aioacquiring.bank131.serde`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from aioacquiring.bank131.results import RawAnswer, SessionResult
from aioacquiring.bank131.serde import converter
from aioacquiring.core.errors import InvalidResponseError
from aioacquiring.core.serde import structure_answer
from aioacquiring.models.bank131.confirm_information import ConfirmInformation
from aioacquiring.models.bank131.session import Session

__all__ = ["decode_model", "decode_raw", "decode_session", "structure"]

ModelT = TypeVar("ModelT")
Envelope = Mapping[str, Any]


def structure(data: Any, cls: Any) -> Any:
    """Structure ``data`` into ``cls``; a wrong shape is an :class:`InvalidResponseError`."""
    return structure_answer(converter, data, cls, provider="Bank 131")


def _payload(envelope: Envelope) -> dict[str, Any]:
    return {key: value for key, value in envelope.items() if key != "status"}


def decode_session(envelope: Envelope) -> SessionResult:
    """A session answer: the typed session plus ``confirm_information`` when present."""
    session = envelope.get("session")
    if not isinstance(session, Mapping):
        raise InvalidResponseError("Bank 131 sent no session in its answer", outcome_unknown=True)
    information = envelope.get("confirm_information")
    return SessionResult(
        session=structure(session, Session),
        confirm_information=(
            structure(information, ConfirmInformation) if information is not None else None
        ),
    )


def decode_model(cls: type[ModelT]) -> Callable[[Envelope], ModelT]:
    """A decoder for answers whose payload (the envelope without ``status``) is a ``cls``."""

    def decode(envelope: Envelope) -> ModelT:
        result: ModelT = structure(_payload(envelope), cls)
        return result

    return decode


def decode_raw(envelope: Envelope) -> RawAnswer:
    """For answers without a published schema: the payload as read."""
    return _payload(envelope)
