"""Opening CloudPayments answers: the ``Success``/``Message``/``Model`` envelope.

``Success`` says whether the *call* worked, not the payment: ``Success:false``
with a ``Model`` is a declined payment or a 3-D Secure challenge (results), and
only ``Success:false`` with a bare ``Message`` is an error.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from typing import Any, NoReturn, TypeVar

from aioacquiring.cloudpayments.results import (
    Accepted,
    Declined,
    PaymentResult,
    ThreeDSecureRequired,
)
from aioacquiring.core.errors import InvalidRequestError, InvalidResponseError, NotFoundError
from aioacquiring.core.serde import make_converter, structure_answer
from aioacquiring.models.cloudpayments import ThreeDSecureChallenge, Transaction

ModelT = TypeVar("ModelT")

converter = make_converter()
"""The CloudPayments converter: built once, shared by every client (it holds no state)."""

Envelope = Mapping[str, Any]


def _fail(envelope: Envelope) -> NoReturn:
    message = envelope.get("Message") or "CloudPayments refused the request without a message"
    code = envelope.get("ErrorCode")
    if str(message).strip().lower() == "not found":
        raise NotFoundError(str(message), code=code)
    raise InvalidRequestError(str(message), code=code)


def _structure(data: Any, cls: type[ModelT]) -> ModelT:
    result: ModelT = structure_answer(converter, data, cls, provider="CloudPayments")
    return result


def _transaction(model: Mapping[str, Any]) -> Transaction:
    json_data = model.get("JsonData")
    if isinstance(json_data, str) and json_data.strip():
        # List answers carry JsonData as a JSON string; decode it when it is one.
        with contextlib.suppress(ValueError):
            model = {**model, "JsonData": json.loads(json_data)}
    return _structure(model, Transaction)


def decode_payment(envelope: Envelope) -> PaymentResult:
    """Accepted (``Success:true``), 3-D Secure (``AcsUrl``) or Declined (``ReasonCode``)."""
    model = envelope.get("Model")
    if isinstance(model, Mapping):
        if envelope.get("Success") is True:
            return Accepted(transaction=_transaction(model))
        if model.get("AcsUrl") and model.get("PaReq"):
            return ThreeDSecureRequired(challenge=_structure(model, ThreeDSecureChallenge))
        if "TransactionId" in model:
            return Declined(transaction=_transaction(model))
    if envelope.get("Success") is True:
        raise InvalidResponseError(
            "CloudPayments accepted the payment but sent no transaction", outcome_unknown=True
        )
    _fail(envelope)


def decode_model(cls: type[ModelT]) -> Callable[[Envelope], ModelT]:
    """A decoder for operations whose ``Model`` is one ``cls`` object."""

    def decode(envelope: Envelope) -> ModelT:
        if envelope.get("Success") is not True:
            _fail(envelope)
        model = envelope.get("Model")
        if not isinstance(model, Mapping):
            raise InvalidResponseError(
                f"CloudPayments sent no {cls.__name__} in its answer", outcome_unknown=True
            )
        if cls is Transaction:
            return _transaction(model)  # type: ignore[return-value]
        return _structure(model, cls)

    return decode


def decode_list(cls: type[ModelT]) -> Callable[[Envelope], list[ModelT]]:
    """A decoder for operations whose ``Model`` is a list of ``cls`` (a page)."""

    def decode(envelope: Envelope) -> list[ModelT]:
        if envelope.get("Success") is not True:
            _fail(envelope)
        model = envelope.get("Model")
        if model is None:
            return []
        if not isinstance(model, list):
            raise InvalidResponseError(
                f"CloudPayments sent no list of {cls.__name__}", outcome_unknown=True
            )
        if cls is Transaction:
            return [_transaction(item) for item in model]  # type: ignore[misc]
        return [_structure(item, cls) for item in model]

    return decode


def decode_nothing(envelope: Envelope) -> None:
    """For operations that answer only ``Success``."""
    if envelope.get("Success") is not True:
        _fail(envelope)


def decode_message(envelope: Envelope) -> str:
    """For ``/test``: the ``Message`` CloudPayments echoes."""
    if envelope.get("Success") is not True:
        _fail(envelope)
    return str(envelope.get("Message") or "")
