"""Faster Payments System (SBP) links and QR images (``/payments/qr/sbp/link|image``).

The emulator answers as the API does, with a link in the shape of the SBP's own
(``https://qr.nspk.ru/...``) and, for ``/image``, a small PNG that stands in for
the QR code; nothing is paid through them.
"""

from __future__ import annotations

import base64
import secrets
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aioacquiring.testing import _cloudpayments_fields as fields
from aioacquiring.testing._cloudpayments_envelope import Operation, accepted
from aioacquiring.testing._cloudpayments_fields import ApiError
from aioacquiring.testing._cloudpayments_state import Store

__all__ = ["SbpLink", "SbpLinks"]

_SCHEMES = ("charge", "auth")
_BANKS = [
    {
        "bankName": "Emulator Bank",
        "logoURL": "https://qr.nspk.ru/proxyapp/logo/bank100000000001.png",
        "schema": "bank100000000001",
        "package_name": None,
    }
]


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def placeholder_png(size: int = 8) -> bytes:
    """A valid black-and-white checkerboard PNG (the emulator draws no real QR code)."""
    rows = b"".join(b"\x00" + bytes(255 * ((x + y) % 2) for x in range(size)) for y in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(rows))
        + _png_chunk(b"IEND", b"")
    )


@dataclass(frozen=True)
class SbpLink:
    """A link made by the emulator."""

    transaction_id: int
    provider_qr_id: str
    amount: Decimal
    scheme: str
    details: dict[str, Any]


class SbpLinks:
    """The SBP methods; the links made are kept in :attr:`items`."""

    def __init__(self, store: Store, public_id: Callable[[], str]) -> None:
        self._store = store
        self._public_id = public_id
        self.items: list[SbpLink] = []

    def operations(self) -> dict[str, Operation]:
        """Path -> method."""
        return {
            "/payments/qr/sbp/link": lambda body: self._make(body, image=False),
            "/payments/qr/sbp/image": lambda body: self._make(body, image=True),
        }

    def _make(self, body: dict[str, Any], *, image: bool) -> dict[str, Any]:
        if fields.required_str(body, "PublicId") != self._public_id():
            raise ApiError("Invalid PublicId value")
        amount = fields.amount(body)
        if fields.optional_str(body, "Currency") is None:
            raise ApiError("Currency is required")
        if fields.currency(body) != "RUB":
            raise ApiError("Invalid Currency value")  # the SBP pays in roubles only
        scheme = fields.one_of(body, "Scheme", _SCHEMES, required=True)
        assert scheme is not None
        fields.optional_positive_int(body, "TtlMinutes")
        fields.boolean(body, "SaveCard", required=False)
        is_test = fields.boolean(body, "IsTest", required=False)
        details = {
            key: fields.optional_str(body, key)
            for key in ("InvoiceId", "AccountId", "Email", "Description", "SuccessRedirectUrl")
        }
        qr_id = "AD" + secrets.token_hex(15).upper()
        link = SbpLink(self._store.new_id(), qr_id, amount, scheme, details)
        self.items.append(link)
        kopecks = int(amount * 100)
        return accepted(
            {
                "QrUrl": f"https://qr.nspk.ru/{qr_id}?type=02&bank=100000000001"
                f"&sum={kopecks}&cur=RUB&crc={secrets.token_hex(2).upper()}",
                "QrImage": base64.b64encode(placeholder_png()).decode() if image else None,
                "TransactionId": link.transaction_id,
                "ProviderQrId": qr_id,
                "Amount": amount,
                "Message": None,
                "IsTest": True if is_test is None else is_test,
                "Banks": None if image else _BANKS,
            }
        )
