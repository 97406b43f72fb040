"""The request signature and the credentials, checked by the emulator over loopback."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioacquiring import AuthenticationError, InvalidInputError, SignatureVerificationError
from aioacquiring.alif import Alif, UnauthorizedError, sign, webhooks
from aioacquiring.testing.alif import AlifEmulator

from .test_alif_support import ITEMS, client_for

KEY = "merchant-secret"


def test_sign_is_lowercase_hex_hmac_sha256() -> None:
    body = b'{"msg": "ping"}'  # the seed's pseudocode example
    expected = hmac.new(b"your_secret_key", body, hashlib.sha256).hexdigest()
    assert sign(body, "your_secret_key") == expected
    assert sign(body, b"your_secret_key") == expected
    assert len(expected) == 64
    assert expected == expected.lower()


@given(body=st.binary(max_size=512), key=st.text(min_size=1, max_size=40))
def test_any_body_signs_and_verifies(body: bytes, key: str) -> None:
    webhooks.verify({"signature": sign(body, key)}, body, secret_key=key)


@given(body=st.binary(min_size=1, max_size=512), data=st.data())
def test_any_mutation_of_the_body_fails(body: bytes, data: st.DataObject) -> None:
    signature = sign(body, KEY)
    index = data.draw(st.integers(min_value=0, max_value=len(body) - 1))
    flip = data.draw(st.integers(min_value=1, max_value=255))
    tampered = body[:index] + bytes([body[index] ^ flip]) + body[index + 1 :]
    with pytest.raises(SignatureVerificationError):
        webhooks.verify({"signature": signature}, tampered, secret_key=KEY)
    extended = body + data.draw(st.binary(min_size=1, max_size=8))
    with pytest.raises(SignatureVerificationError):
        webhooks.verify({"signature": signature}, extended, secret_key=KEY)


@given(body=st.binary(max_size=256), other=st.text(min_size=1, max_size=20))
def test_another_key_fails(body: bytes, other: str) -> None:
    if other == KEY:
        return
    with pytest.raises(SignatureVerificationError):
        webhooks.verify({"signature": sign(body, other)}, body, secret_key=KEY)


async def test_the_emulator_refuses_a_wrong_token() -> None:
    async with AlifEmulator() as emu:
        async with Alif(token="wrong", secret_key=emu.secret_key, base_url=emu.url) as alif:
            with pytest.raises(UnauthorizedError) as caught:
                await alif.card.token_get(card_token="ct_1")
        assert caught.value.code == 1002
        assert isinstance(caught.value, AuthenticationError)
        assert caught.value.attempts == 1  # not retried
        assert "wrong" not in str(caught.value)


async def test_the_emulator_refuses_a_wrong_signature_on_signed_calls_only() -> None:
    async with AlifEmulator() as emu:
        async with Alif(token=emu.token, secret_key="not-the-key", base_url=emu.url) as alif:
            with pytest.raises(UnauthorizedError, match="signature"):
                await alif.checkout.session_create(items=ITEMS, redirect_url="https://x.example")
            assert await alif.card.token_list().collect() == []  # token only: fine
        assert emu.sessions == []


async def test_a_right_signature_passes_and_credentials_never_show() -> None:
    async with AlifEmulator() as emu, client_for(emu) as alif:
        session = await alif.checkout.session_create(items=ITEMS, redirect_url="https://x.example")
        assert session.amount == 3_000_000
        assert emu.token not in repr(alif)
        assert emu.secret_key not in repr(alif)


def test_constructor_needs_credentials_and_a_base_url() -> None:
    for missing in ("token", "secret_key", "base_url"):
        kwargs = {"token": "t", "secret_key": "s", "base_url": "http://x", missing: ""}
        with pytest.raises(InvalidInputError) as caught:
            Alif(**kwargs)
        assert caught.value.field == missing
    with pytest.raises(TypeError):
        Alif(token="t", secret_key="s")  # type: ignore[call-arg]  # no default base URL
