"""Bank 131 signatures: keys, RSA-SHA256 over the exact bytes, and the key pair CLI.

Also home of the key pairs the other Bank 131 test modules share: RSA keys are
slow to make, so each is made once per test run.
"""

from __future__ import annotations

import base64
import functools
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from aioacquiring import InvalidInputError
from aioacquiring.bank131 import Bank131, KeyPair, Signer, generate_key_pair
from aioacquiring.bank131.__main__ import main as cli
from aioacquiring.bank131.signing import load_private_key, load_public_key, sign, verify
from aioacquiring.testing.bank131 import Bank131Emulator


@functools.cache
def partner_keys() -> KeyPair:
    return generate_key_pair()


@functools.cache
def bank_keys() -> KeyPair:
    return generate_key_pair()


@functools.cache
def encrypted_partner_keys() -> KeyPair:
    return generate_key_pair(passphrase="correct horse")


@functools.cache
def partner_private_key() -> rsa.RSAPrivateKey:
    return load_private_key(partner_keys().private_key_pem)


def client_for(emu: Bank131Emulator, **options: Any) -> Bank131:
    """A client of ``emu`` with the partner key loaded once for the whole run."""
    return Bank131(**{**emu.client_kwargs(), "private_key": partner_private_key(), **options})


def emulator(**options: object) -> Bank131Emulator:
    """An emulator that uses the shared key pairs."""
    return Bank131Emulator(partner_keys=partner_keys(), bank_keys=bank_keys(), **options)  # type: ignore[arg-type]


def independent_verify(public_pem: str, body: bytes, signature: str) -> None:
    """Check a signature with cryptography directly, not through the SDK."""
    key = serialization.load_pem_public_key(public_pem.encode())
    key.verify(base64.b64decode(signature), body, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr,call-arg]


def test_generated_pair_is_pem_and_signs_what_the_public_half_verifies() -> None:
    pair = partner_keys()
    assert pair.private_key_pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert pair.public_key_pem.startswith("-----BEGIN PUBLIC KEY-----")
    private = load_private_key(pair.private_key_pem)
    assert private.key_size == 2048
    signature = sign(b'{"a":1}', private)
    independent_verify(pair.public_key_pem, b'{"a":1}', signature)
    assert verify(b'{"a":1}', signature, load_public_key(pair.public_key_pem))


def test_key_pair_repr_and_signer_repr_hide_the_private_key() -> None:
    pair = partner_keys()
    assert "PRIVATE" not in repr(pair)
    signer = Signer(pair.private_key_pem.encode())  # bytes work as well as str
    assert "PRIVATE" not in repr(signer)
    assert repr(signer) == "Signer(rsa_2048)"


def test_encrypted_private_key_needs_its_passphrase() -> None:
    pair = encrypted_partner_keys()
    assert "ENCRYPTED" in pair.private_key_pem
    Signer(pair.private_key_pem, passphrase="correct horse")
    Signer(pair.private_key_pem, passphrase=b"correct horse")
    with pytest.raises(InvalidInputError, match="passphrase") as missing:
        Signer(pair.private_key_pem)
    with pytest.raises(InvalidInputError, match="passphrase") as wrong:
        Signer(pair.private_key_pem, passphrase="wrong")
    for error in (missing.value, wrong.value):
        assert "BEGIN" not in str(error)
        assert error.field == "private_key"


@pytest.mark.parametrize("pem", ["", "not a key", "-----BEGIN PRIVATE KEY-----\nAAAA\n"])
def test_garbage_is_not_a_private_key(pem: str) -> None:
    with pytest.raises(InvalidInputError, match="private_key"):
        Signer(pem)


def test_only_rsa_keys_are_accepted() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(InvalidInputError, match="RSA"):
        load_private_key(pem)
    with pytest.raises(InvalidInputError, match="RSA"):
        load_public_key(public_pem)
    with pytest.raises(InvalidInputError, match="bank_public_key"):
        load_public_key("nope")
    with pytest.raises(InvalidInputError, match="PEM string or bytes"):
        load_private_key(42)  # type: ignore[arg-type]


def test_small_keys_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="2048"):
        generate_key_pair(1024)


@settings(max_examples=40, deadline=None)
@given(body=st.binary(max_size=2048), other=st.binary(max_size=64))
def test_signature_verifies_exactly_the_signed_bytes(body: bytes, other: bytes) -> None:
    signature = sign(body, partner_private_key())
    public = load_public_key(partner_keys().public_key_pem)
    independent_verify(partner_keys().public_key_pem, body, signature)
    assert verify(body, signature, public)
    assert verify(body + other, signature, public) is (other == b"")
    assert not verify(body, signature, load_public_key(bank_keys().public_key_pem))


@pytest.mark.parametrize(
    "signature", [None, "", "!!!not base64!!!", base64.b64encode(b"x").decode()]
)
def test_missing_or_malformed_signatures_do_not_verify(signature: str | None) -> None:
    assert not verify(b"{}", signature, load_public_key(partner_keys().public_key_pem))


def test_keygen_cli_writes_a_private_key_only_its_owner_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("B131_PASS", "s3cret")
    assert cli(["keygen", "--out", str(tmp_path), "--passphrase-env", "B131_PASS"]) == 0
    private, public = tmp_path / "private.pem", tmp_path / "public.pem"
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    signer = Signer(private.read_text(), passphrase="s3cret")
    independent_verify(public.read_text(), b"test\n", signer.sign(b"test\n"))
    out = capsys.readouterr().out
    assert "give it to Bank 131" in out
    assert "BEGIN" not in out
    # Never overwrites a key.
    assert cli(["keygen", "--out", str(tmp_path)]) == 1
    monkeypatch.setenv("B131_EMPTY", "")
    assert cli(["keygen", "--out", str(tmp_path / "x"), "--passphrase-env", "B131_EMPTY"]) == 2


def test_client_takes_the_key_as_str_bytes_or_encrypted() -> None:
    pair = encrypted_partner_keys()
    client = Bank131(
        project_id="p", private_key=pair.private_key_pem.encode(), passphrase="correct horse"
    )
    assert "PRIVATE" not in repr(client)
    assert client.project_id == "p"
    with pytest.raises(InvalidInputError, match="private_key"):
        Bank131(project_id="p", private_key=pair.private_key_pem)
