"""AES-256-GCM sealing with a versioned header that names the key.

Every ciphertext is `version (1 byte) | key id (uint32, big-endian) | nonce (12 bytes) | ciphertext+tag`.
The header is authenticated together with the caller's associated data, so changing the version or key id
of a stored value is detected just like changing its bytes.
"""

from __future__ import annotations

import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from vrm.errors import IntegrityError

FORMAT_VERSION = 1
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
HEADER = struct.Struct(">BI")
OVERHEAD = HEADER.size + NONCE_BYTES + TAG_BYTES


def new_key() -> bytes:
    """Return a fresh random 256-bit key."""
    return os.urandom(KEY_BYTES)


def key_id_of(blob: bytes) -> int:
    """Return the key id a ciphertext names in its header.

    Raises:
        IntegrityError: the value is too short or of an unknown format version.
    """
    if len(blob) < OVERHEAD:
        raise IntegrityError("stored ciphertext is truncated")
    version, key_id = HEADER.unpack_from(blob)
    if version != FORMAT_VERSION:
        raise IntegrityError(f"stored ciphertext has unknown format version {version}")
    return int(key_id)


class Sealer:
    """Seal and open values under one key; build it once per key (AESGCM setup costs as much as a seal)."""

    __slots__ = ("_aead", "_header", "key_id")

    def __init__(self, key_id: int, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError("AES-256-GCM needs a 32-byte key")
        self.key_id = key_id
        self._aead = AESGCM(key)
        self._header = HEADER.pack(FORMAT_VERSION, key_id)

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        """Encrypt `plaintext` bound to `aad` under a random 96-bit nonce."""
        nonce = os.urandom(NONCE_BYTES)
        return self._header + nonce + self._aead.encrypt(nonce, plaintext, self._header + aad)

    def open(self, blob: bytes, aad: bytes) -> bytes:
        """Decrypt a value sealed by `seal` with the same associated data.

        Raises:
            IntegrityError: the value was altered, moved to another place, or sealed under another key.
        """
        if key_id_of(blob) != self.key_id:
            raise IntegrityError(f"stored ciphertext names key {key_id_of(blob)}, expected {self.key_id}")
        header_end = HEADER.size + NONCE_BYTES
        try:
            return self._aead.decrypt(blob[HEADER.size : header_end], blob[header_end:], self._header + aad)
        except InvalidTag:
            raise IntegrityError("stored ciphertext failed its integrity check") from None
