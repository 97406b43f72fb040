"""The CloudPayments answer envelope, and the shape of one emulated API method.

Every method reads the request's parameters (a dict, from JSON or a form, path
parameters included) and returns the envelope ``{"Success", "Message",
"Model"}``; a method that has to wait for something (a Check notification) may
be a coroutine.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

__all__ = ["Operation", "accepted"]

Operation: TypeAlias = Callable[[dict[str, Any]], "dict[str, Any] | Awaitable[dict[str, Any]]"]
"""One API method: the request's parameters in, the answer's envelope out."""


def accepted(model: Any) -> dict[str, Any]:
    """``Success: true`` with ``model`` (None for methods that answer only ``Success``)."""
    return {"Model": model, "Success": True, "Message": None}
