"""Ed25519 signatures of audit checkpoints and exports.

The private key is derived from ``TDKT_AUDIT_KEY``, a secret kept outside the database, so that
someone who can rewrite the database (even recompute every hash of the chain) cannot sign a
checkpoint. The public key is not secret: an inspector pins it once (``flask audit public-key``,
the auditor's page) and verifies any export offline with ``tdkt-verify --public-key``.

Imports nothing of the service: the standalone verifier uses ``verify_signature``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

# Domain separation: the same secret could serve other purposes without its keys colliding.
_DERIVATION = b"tdkt-audit-checkpoint-ed25519-v1\x00"


def signed_bytes(payload: Mapping[str, object]) -> bytes:
    """The bytes a signature covers: sorted-key compact JSON, UTF-8."""
    return json.dumps(payload, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


class AuditSigner:
    """Signs with the installation's audit key."""

    def __init__(self, secret: str) -> None:
        if not secret or len(secret) < 16:
            raise ValueError("the audit key must be a secret of at least 16 characters")
        seed = hashlib.sha256(_DERIVATION + secret.encode("utf-8")).digest()
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        self.public_key = self._key.public_key().public_bytes(
            Encoding.Raw, PublicFormat.Raw).hex()

    @property
    def fingerprint(self) -> str:
        """A short form to compare by eye: the first 16 hex digits of SHA-256(public key)."""
        return key_fingerprint(self.public_key)

    def sign(self, payload: Mapping[str, object]) -> str:
        return self._key.sign(signed_bytes(payload)).hex()


def key_fingerprint(public_key_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(public_key_hex)).hexdigest()[:16]


def verify_signature(public_key_hex: str, payload: Mapping[str, object],
                     signature_hex: str) -> bool:
    """True when ``signature_hex`` is the key's signature of ``payload``."""
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
        key.verify(bytes.fromhex(signature_hex), signed_bytes(payload))
    except (ValueError, InvalidSignature):
        return False
    return True
