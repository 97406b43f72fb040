"""Credentials sent in HTTP headers are refused at construction when no header can carry them.

A token read from a file or an environment file often keeps its line break. aiohttp
refuses that only when sending, on every call, with a bare ValueError; the clients
refuse it when they are built, naming the argument and never repeating its value.
"""

from __future__ import annotations

from typing import Any

import pytest

from aioacquiring import InvalidInputError
from aioacquiring.alif import Alif
from aioacquiring.bank131 import Bank131
from aioacquiring.testing.bank131 import generate_key_pair

SECRET_TOKEN = "alif-merchant-token-7f3a"
PARTNER = generate_key_pair()


def bank131(**changes: Any) -> Bank131:
    return Bank131(
        **{"project_id": "shop", "private_key": PARTNER.private_key_pem, **changes},
    )


@pytest.mark.parametrize("bad", ["\n", "\r\n", "\t", " ключ"])
def test_a_header_credential_must_be_printable_ascii(bad: str) -> None:
    builders = {
        "token": lambda: Alif(
            token=SECRET_TOKEN + bad, secret_key="secret", base_url="http://127.0.0.1:9"
        ),
        "project_id": lambda: bank131(project_id="shop" + bad),
        "submerchant": lambda: bank131(submerchant="sub" + bad),
    }
    for field, build in builders.items():
        with pytest.raises(InvalidInputError, match="printable ASCII") as caught:
            build()
        assert caught.value.field == field
        assert SECRET_TOKEN not in str(caught.value)


def test_header_credentials_with_inner_spaces_and_punctuation_are_fine() -> None:
    Alif(token="tok en-1_2.3:4", secret_key="secret", base_url="http://127.0.0.1:9")
    bank131(project_id="shop-7", submerchant="sub 1")
