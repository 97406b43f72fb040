"""An API operation declared as data: the generated client methods are built from these."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import attrs

ResultT = TypeVar("ResultT")


@attrs.frozen(kw_only=True)
class Paging:
    """How an operation pages: the request field holding the page number, and the page size.

    A page shorter than ``page_size`` is the last one (the providers give no total).
    """

    page_field: str
    page_size: int
    first_page: int = 1


@attrs.frozen(kw_only=True)
class Operation(Generic[ResultT]):
    """One provider endpoint.

    Attributes:
        name: The SDK method name, ``namespace.method`` (``payments.cards_charge``).
        path: The provider's path (``/payments/cards/charge``).
        decode: Turns the opened answer into the typed result (may raise).
        http_method: The HTTP verb.
        moves_money: Whether a duplicate call could charge or pay out twice.
        dedupe: Whether the provider dedupes repeats of this call by idempotency key.
        paging: How the operation pages, for list operations.
        path_params: ``(JSON key, request attribute)`` pairs whose values go into
            ``{JSON key}`` placeholders of the path instead of the body.
        flags: Provider-specific traits declared in the catalogue (``"signed"``,
            ``"v1_only"``, ...), read by that provider's client.
    """

    name: str
    path: str
    decode: Callable[[Any], ResultT] = attrs.field(repr=False)
    http_method: str = "POST"
    moves_money: bool = False
    dedupe: bool = False
    paging: Paging | None = None
    path_params: tuple[tuple[str, str], ...] = ()
    flags: frozenset[str] = frozenset()

    def url_path(self, request: Any) -> str:
        """The path with its placeholders filled from ``request``."""
        path = self.path
        for key, attribute in self.path_params:
            value = getattr(request, attribute)
            text = value.value if isinstance(value, enum.Enum) else value
            path = path.replace("{" + key + "}", quote(str(text), safe=""))
        return path
