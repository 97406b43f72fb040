"""Where and how each notification type is delivered (``/site/notifications/{Type}/...``).

Each type has its own settings: whether it is on, the address, GET or POST,
UTF-8 or Windows-1251, and the format. The API changes them for every type
but ``Check``; from Python any type can be set, and JSON asked for.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aioacquiring.testing._cloudpayments_envelope import Operation, accepted
from aioacquiring.testing._cloudpayments_fields import ApiError

__all__ = ["ENCODINGS", "NOTIFICATION_TYPES", "NotificationSettings", "TypeSettings"]

NOTIFICATION_TYPES = ("Check", "Pay", "Fail", "Confirm", "Refund", "Recurrent", "Cancel")
ENCODINGS = {"UTF8": "utf-8", "Windows1251": "windows-1251"}
"""The API's encoding names and the codecs they stand for."""
_METHODS = ("GET", "POST")
_FORMATS = ("CloudPayments", "QIWI", "RT")  # all delivered in CloudPayments' own fields


@dataclass
class TypeSettings:
    """One notification type's settings."""

    is_enabled: bool = False
    address: str | None = None
    http_method: str = "GET"  # CloudPayments' default
    encoding: str = "UTF8"
    format: str = "CloudPayments"
    json: bool = False  # only from Python: CloudPayments sends JSON on the merchant's request

    def model(self) -> dict[str, Any]:
        """The ``/site/notifications/{Type}/get`` model."""
        return {
            "IsEnabled": self.is_enabled,
            "Address": self.address,
            "HttpMethod": self.http_method,
            "Encoding": self.encoding,
            "Format": self.format,
        }


class NotificationSettings:
    """Every type's settings, and the API methods that read and change them."""

    def __init__(self) -> None:
        self._settings = {kind: TypeSettings() for kind in NOTIFICATION_TYPES}

    def __getitem__(self, kind: str) -> TypeSettings:
        return self._settings[kind]

    def set_url(
        self, kind: str, url: str | None, *, as_json: bool, http_method: str, encoding: str
    ) -> None:
        """Send ``kind`` to ``url`` (None: stop sending it), with every setting given."""
        if kind not in NOTIFICATION_TYPES:
            raise ValueError(f"notification type must be one of {', '.join(NOTIFICATION_TYPES)}")
        if http_method not in _METHODS:
            raise ValueError(f"http_method must be one of {', '.join(_METHODS)}")
        if encoding not in ENCODINGS:
            raise ValueError(f"encoding must be one of {', '.join(ENCODINGS)}")
        if as_json and http_method == "GET":
            raise ValueError(
                "JSON notifications are sent by POST: a query string holds form fields"
            )
        self._settings[kind] = TypeSettings(
            is_enabled=url is not None,
            address=url,
            http_method=http_method,
            encoding=encoding,
            json=as_json,
        )

    def operations(self) -> dict[str, Operation]:
        """Path -> method (the type travels in the path)."""
        return {
            "/site/notifications/{Type}/get": self._get,
            "/site/notifications/{Type}/update": self._update,
        }

    def _get(self, body: dict[str, Any]) -> dict[str, Any]:
        kind = body["Type"]
        if kind not in NOTIFICATION_TYPES:
            raise ApiError("Invalid Type value")
        return accepted(self._settings[kind].model())

    def _update(self, body: dict[str, Any]) -> dict[str, Any]:
        kind = body["Type"]
        if kind not in NOTIFICATION_TYPES or kind == "Check":
            raise ApiError("Invalid Type value")
        self._settings[kind] = _changed(self._settings[kind], body)
        return accepted(None)


def _changed(settings: TypeSettings, body: Mapping[str, Any]) -> TypeSettings:
    """The settings with the parameters given applied, checked as the API checks them."""
    changes = dataclasses.replace(settings)
    enabled = body.get("IsEnabled")
    if enabled is not None:
        if isinstance(enabled, str) and enabled.lower() in ("true", "false"):
            enabled = enabled.lower() == "true"
        if not isinstance(enabled, bool):
            raise ApiError("Invalid IsEnabled value")
        changes.is_enabled = enabled
    address = body.get("Address")
    if address is not None:
        if not isinstance(address, str) or not address.startswith(("http://", "https://")):
            raise ApiError("Invalid Address value")
        changes.address = address
    for key, allowed, attribute in (
        ("HttpMethod", _METHODS, "http_method"),
        ("Encoding", tuple(ENCODINGS), "encoding"),
        ("Format", _FORMATS, "format"),
    ):
        value = body.get(key)
        if value is not None:
            if value not in allowed:
                raise ApiError(f"Invalid {key} value")
            setattr(changes, attribute, value)
    if changes.is_enabled and not changes.address:
        raise ApiError("Address is required")
    return changes
