"""A base URL that cannot be called is refused when the client is built, not call after call.

aiohttp refuses such a URL only when a request is made, with an error that read
as a connection broken halfway: the SDK retried it and, for a money call without
a key, warned that the provider might have acted -- though nothing ever left.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from aioacquiring import InvalidInputError
from aioacquiring.alif import Alif
from aioacquiring.bank131 import Bank131
from aioacquiring.cloudpayments import CloudPayments
from aioacquiring.testing.bank131 import generate_key_pair

PARTNER = generate_key_pair()

CLIENTS: dict[str, Callable[[str], object]] = {
    "cloudpayments": lambda url: CloudPayments(public_id="pk", api_secret="s", base_url=url),
    "bank131": lambda url: Bank131(
        project_id="shop", private_key=PARTNER.private_key_pem, base_url=url
    ),
    "alif": lambda url: Alif(token="t", secret_key="s", base_url=url),
}


@pytest.mark.parametrize("provider", list(CLIENTS))
@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("api.cloudpayments.ru", "absolute http"),  # no scheme
        ("ftp://files.example", "absolute http"),
        ("http://", "absolute http"),
        ("https://:443/api", "absolute http"),
        ("http://[::1", "not a URL"),
        ("http://127.0.0.1:99999", "not a URL"),
        ("https://api.example/v1?key=1", "plain URL"),
        ("https://api.example/#top", "plain URL"),
        ("https://exa mple.com", "plain URL"),
        ("https://api.example\n", "plain URL"),
        ("https://shop:s3cret@api.example", "credentials"),
        ("https://token@api.example", "credentials"),
        ("", "non-empty"),
    ],
)
def test_a_base_url_that_cannot_be_called_is_refused_at_construction(
    provider: str, url: str, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message) as caught:
        CLIENTS[provider](url)
    assert caught.value.field == "base_url"
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize("provider", list(CLIENTS))
@pytest.mark.parametrize(
    "url",
    [
        "https://api.cloudpayments.ru",
        "https://api.cloudpayments.ru/",
        "http://127.0.0.1:8080",
        "http://[::1]:9000",
        "https://gateway.example/acquiring/v1",
        "HTTPS://API.EXAMPLE",
    ],
)
def test_usual_base_urls_are_taken(provider: str, url: str) -> None:
    client = CLIENTS[provider](url)
    assert getattr(client, "base_url") == url.rstrip("/")  # noqa: B009 - any of the three
