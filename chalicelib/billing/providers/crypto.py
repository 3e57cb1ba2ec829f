"""RSA PKCS#1 v1.5 / SHA-256 signatures and AES-256-GCM, through `cryptography`."""
from __future__ import annotations

import base64
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def _pem(text: str, kind: str) -> bytes:
    """Accept a PEM, or the bare base64 body providers' consoles hand out."""
    text = text.strip()
    if text.startswith("-----"):
        return text.encode()
    body = "\n".join(text[i:i + 64] for i in range(0, len(text), 64))
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n".encode()


@lru_cache(maxsize=32)
def private_key(pem: str) -> Any:
    return serialization.load_pem_private_key(_pem(pem, "PRIVATE KEY"), password=None)


@lru_cache(maxsize=32)
def public_key(pem: str) -> Any:
    return serialization.load_pem_public_key(_pem(pem, "PUBLIC KEY"))


def sign(pem: str, message: bytes) -> str:
    key = private_key(pem)
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def verify(pem: str, message: bytes, signature_b64: str) -> bool:
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (ValueError, TypeError):
        return False
    key = public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    try:
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def aesgcm_decrypt(key: str, nonce: str, ciphertext_b64: str, associated_data: str) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    return AESGCM(key.encode()).decrypt(nonce.encode(), base64.b64decode(ciphertext_b64),
                                        associated_data.encode() if associated_data else None)


def aesgcm_encrypt(key: str, nonce: str, plaintext: bytes, associated_data: str) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    return base64.b64encode(AESGCM(key.encode()).encrypt(
        nonce.encode(), plaintext, associated_data.encode() if associated_data else None)).decode()


def new_rsa_pair() -> tuple[str, str]:
    """(private PEM, public PEM): sandbox and test keys."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    priv = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()
    pub = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return priv, pub
