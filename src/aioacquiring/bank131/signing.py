"""Bank 131 signatures: RSA PKCS#1 v1.5 with SHA-256 over the exact bytes, base64.

The partner signs every request body with its private key (``X-PARTNER-SIGN``);
the bank signs every webhook with its own key, verified with the bank's public
key. Keys are PEM, the private one possibly encrypted with a passphrase; each
is loaded once (a :class:`Signer` holds the loaded key) and never appears in
a repr, a log line or an error message.

Make a partner key pair the way the bank's docs do with ``openssl genrsa 2048``::

    pair = generate_key_pair()
    Path("private.pem").write_text(pair.private_key_pem)   # keep it secret
    Path("public.pem").write_text(pair.public_key_pem)     # give it to the bank

or from the shell: ``python -m aioacquiring.bank131 keygen --out keys/``.
"""

from __future__ import annotations

import base64
import binascii

import attrs
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from aioacquiring.core.errors import InvalidInputError

__all__ = [
    "KeyPair",
    "Signer",
    "generate_key_pair",
    "load_private_key",
    "load_public_key",
    "sign",
    "verify",
]

PemInput = str | bytes
PrivateKeyInput = PemInput | rsa.RSAPrivateKey
PublicKeyInput = PemInput | rsa.RSAPublicKey


def _pem_bytes(pem: PemInput, field: str) -> bytes:
    if isinstance(pem, str):
        return pem.encode()
    if isinstance(pem, bytes):
        return pem
    raise InvalidInputError("must be a PEM string or bytes", field=field)


def load_private_key(
    pem: PrivateKeyInput, *, passphrase: str | bytes | None = None
) -> rsa.RSAPrivateKey:
    """Load an RSA private key from PEM (PKCS#1 or PKCS#8, optionally encrypted).

    Raises :class:`InvalidInputError` (naming no part of the key) when it cannot.
    """
    if isinstance(pem, rsa.RSAPrivateKey):
        return pem
    data = _pem_bytes(pem, "private_key")
    password = passphrase.encode() if isinstance(passphrase, str) else passphrase
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except TypeError as exc:
        # The key is encrypted and no passphrase was given, or the reverse.
        raise InvalidInputError(
            "the key is encrypted and needs a passphrase, or is not and takes none",
            field="private_key",
        ) from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise InvalidInputError(
            "is not a PEM RSA private key, or the passphrase is wrong", field="private_key"
        ) from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InvalidInputError("must be an RSA key", field="private_key")
    return key


def load_public_key(pem: PublicKeyInput, *, field: str = "bank_public_key") -> rsa.RSAPublicKey:
    """Load an RSA public key from PEM (``-----BEGIN PUBLIC KEY-----`` or PKCS#1)."""
    if isinstance(pem, rsa.RSAPublicKey):
        return pem
    data = _pem_bytes(pem, field)
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise InvalidInputError("is not a PEM RSA public key", field=field) from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise InvalidInputError("must be an RSA key", field=field)
    return key


def sign(body: bytes, private_key: rsa.RSAPrivateKey) -> str:
    """Base64 RSA PKCS#1 v1.5 SHA-256 signature of exactly ``body``."""
    signature = private_key.sign(body, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def verify(body: bytes, signature: str | None, public_key: rsa.RSAPublicKey) -> bool:
    """Whether ``signature`` (base64) is the key's signature of exactly ``body``."""
    if not signature:
        return False
    try:
        raw = base64.b64decode(signature.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        public_key.verify(raw, body, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


class Signer:
    """Signs request bodies with the partner's private key, loaded once."""

    def __init__(
        self, private_key: PrivateKeyInput, *, passphrase: str | bytes | None = None
    ) -> None:
        self._key = load_private_key(private_key, passphrase=passphrase)

    def __repr__(self) -> str:
        return f"Signer(rsa_{self._key.key_size})"

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        """The public half: what the bank verifies requests with."""
        return self._key.public_key()

    def sign(self, body: bytes) -> str:
        """The ``X-PARTNER-SIGN`` value for exactly ``body``."""
        return sign(body, self._key)


@attrs.frozen(kw_only=True)
class KeyPair:
    """A new RSA key pair as PEM text: give ``public_key_pem`` to the bank, keep the other."""

    private_key_pem: str = attrs.field(repr=False)
    """The private key, PKCS#8 PEM (encrypted when a passphrase was given)."""
    public_key_pem: str
    """The public key, SubjectPublicKeyInfo PEM (``-----BEGIN PUBLIC KEY-----``)."""


def generate_key_pair(bits: int = 2048, *, passphrase: str | bytes | None = None) -> KeyPair:
    """Make an RSA key pair, like ``openssl genrsa 2048`` + ``openssl rsa -pubout``."""
    if bits < 2048:
        raise InvalidInputError("must be at least 2048", field="bits")
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    password = passphrase.encode() if isinstance(passphrase, str) else passphrase
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return KeyPair(private_key_pem=private_pem.decode(), public_key_pem=public_pem.decode())
