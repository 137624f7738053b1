"""The key ring: versioned key-encryption keys that wrap every customer's data key.

The ring is a JSON file (mode 0600) holding:
- `keys`: key-encryption keys (KEKs), each with a numeric version; the `primary` one wraps new data keys;
- `derivation_secret`: the root of HKDF subkeys (blind index, pseudonyms); it never rotates, because the
  values derived from it are stored as lookup keys;
- `environment`: `development` rings are refused in production;
- `rotating_to`: set while `vrm keys rotate` is re-wrapping data keys, so an interrupted run resumes.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hmac
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vrm.crypto.derive import (
    AUTHORIZATION_ANSWER,
    BLIND_INDEX_EMAIL,
    JOURNEY_REFERENCE,
    LOG_PSEUDONYM,
    LOG_SIGNING,
    PAIRWISE_SUBJECT,
    WEBHOOK_SECRET,
    BlindIndex,
    derive_subkey,
)
from vrm.crypto.envelope import KEY_BYTES, Sealer, key_id_of, new_key
from vrm.errors import ConfigError, KeyRingError
from vrm.files import write_private

FORMAT = "vrm-keyring/1"
MAX_KEY_ID = 2**32 - 1  # key ids travel as uint32 in ciphertext headers
FINGERPRINT_LABEL = b"vrm/keyring-fingerprint/v1"


@dataclass
class KeyRing:
    # Key material never appears in a repr, so it cannot leak through logs or test reports.
    keys: dict[int, bytes] = field(repr=False)
    primary: int
    derivation_secret: bytes = field(repr=False)
    environment: str
    rotating_to: int | None = None
    created: dict[int, str] = field(default_factory=dict)
    path: Path | None = None
    _sealers: dict[int, Sealer] = field(default_factory=dict, repr=False)
    _derived: dict[tuple[bytes, int], Sealer] = field(default_factory=dict, repr=False)
    _file_stamp: tuple[int, int, int] | None = field(default=None, repr=False)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Pretty-printers (IPython, Hypothesis) walk dataclass fields and would ignore repr=False.
        printer.text(repr(self))

    @classmethod
    def generate(cls, environment: str) -> KeyRing:
        """Return a new ring with one key-encryption key and a fresh derivation secret."""
        return cls(
            keys={1: new_key()},
            primary=1,
            derivation_secret=new_key(),
            environment=environment,
            created={1: _now()},
        )

    # --- persistence -------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path) -> KeyRing:
        """Read a ring from its file.

        Raises:
            KeyRingError: the file is missing, unreadable, too widely readable, or not a key ring.
        """
        try:
            with path.open("rb") as handle:  # one open: mode, stamp and content describe the same file
                status = os.fstat(handle.fileno())
                raw = handle.read()
        except FileNotFoundError:
            raise KeyRingError(f"key ring {path} does not exist (create one with `vrm keys init`)") from None
        except OSError as exc:
            raise KeyRingError(f"key ring {path} cannot be read: {exc.strerror}") from None
        if status.st_mode & 0o077:
            raise KeyRingError(f"key ring {path} is readable by other users; run `chmod 600 {path}`")
        ring = cls._parse(raw, path)
        ring.path = path
        ring._file_stamp = _stamp_of(status)
        return ring

    @classmethod
    def _parse(cls, raw: bytes, path: Path) -> KeyRing:
        damaged = KeyRingError(f"key ring {path} is damaged or not a VRM key ring")
        try:
            doc = json.loads(raw)
            if doc.get("format") != FORMAT:
                raise ValueError("unknown format")
            entries = [
                (int(k["id"]), _b64decode(k["secret"]), str(k.get("created", ""))) for k in doc["keys"]
            ]
            ring = cls(
                keys={key_id: secret for key_id, secret, _ in entries},
                primary=int(doc["primary"]),
                derivation_secret=_b64decode(doc["derivation_secret"]),
                environment=str(doc["environment"]),
                rotating_to=None if doc.get("rotating_to") is None else int(doc["rotating_to"]),
                created={key_id: created for key_id, _, created in entries},
            )
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
            raise damaged from None
        ids = [key_id for key_id, _, _ in entries]
        valid = (
            len(set(ids)) == len(ids)
            and all(1 <= key_id <= MAX_KEY_ID for key_id in ids)
            and ring.primary in ring.keys
            and ring.rotating_to in (None, ring.primary)
            and ring.environment in ("development", "production")
            and all(len(k) == KEY_BYTES for k in [*ring.keys.values(), ring.derivation_secret])
        )
        if not valid:
            raise damaged
        return ring

    def save(self, path: Path | None = None, *, create: bool = False) -> None:
        """Write the ring atomically with mode 0600; with `create`, never over an existing file.

        Raises:
            KeyRingError: no file to save to, or `create` and the file already exists.
        """
        target = path or self.path
        if target is None:
            raise KeyRingError("this key ring has no file to be saved to")
        data = json.dumps(self._document(), indent=2).encode()
        if not write_private(target, data, replace=not create):
            raise KeyRingError(f"key ring {target} already exists; refusing to overwrite it")
        self.path = target
        self._file_stamp = _stamp(target)

    def _document(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "environment": self.environment,
            "primary": self.primary,
            "rotating_to": self.rotating_to,
            "derivation_secret": _b64encode(self.derivation_secret),
            "keys": [
                {"id": kid, "created": self.created.get(kid, ""), "secret": _b64encode(secret)}
                for kid, secret in sorted(self.keys.items())
            ],
        }

    @contextmanager
    def editing(self) -> Iterator[KeyRing]:
        """Change the ring under an exclusive lock, starting from the file's current content, then save.

        Two processes editing at once (two rotations, a rotation and a retirement) would otherwise each
        save their own idea of the ring, and one could overwrite a key the other had already used.

        If the edit or the save fails, the ring is read back from the file, so this process never goes
        on using a key that exists on no disk.

        Raises:
            KeyRingError: the ring has no file.
        """
        if self.path is None:
            raise KeyRingError("this key ring has no file to edit")
        fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self.reload()
            try:
                yield self
                self.save()
            except BaseException:
                self.reload()
                raise
        finally:
            os.close(fd)  # closing releases the lock

    def reload(self) -> None:
        """Pick up what another process changed in the same file (a rotation while this one runs).

        New dictionaries are swapped in whole, so threads reading the old ones are never disturbed.

        Raises:
            KeyRingError: the file now holds a different ring (another derivation secret).
        """
        if self.path is None:
            return
        fresh = KeyRing.load(self.path)
        if not hmac.compare_digest(fresh.derivation_secret, self.derivation_secret):
            raise KeyRingError(f"key ring {self.path} was replaced by a different key ring")
        self.keys, self.created, self._sealers, self._derived = fresh.keys, fresh.created, {}, {}
        self.primary, self.rotating_to, self._file_stamp = fresh.primary, fresh.rotating_to, fresh._file_stamp

    def refresh(self) -> None:
        """Reload when another process rewrote the file, so no one wraps under a superseded or retired key."""
        if self.path is not None and _stamp(self.path) != self._file_stamp:
            self.reload()

    # --- wrapping data keys -------------------------------------------------------------------------

    def wrap(self, data_key: bytes, aad: bytes) -> bytes:
        """Seal a data key under the current primary key-encryption key (re-read if the file changed)."""
        self.refresh()
        return self._sealer(self.primary).seal(data_key, aad)

    def unwrap(self, wrapped: bytes, aad: bytes) -> bytes:
        """Open a wrapped data key with whichever key version sealed it.

        Raises:
            KeyRingError: the ring does not hold that key version (retired, or the wrong ring).
            IntegrityError: the wrapped key was altered or belongs to another customer.
        """
        return self._sealer(key_id_of(wrapped)).open(wrapped, aad)

    def _sealer(self, key_id: int) -> Sealer:
        """Raises: KeyRingError: the ring does not hold this key version."""
        sealers = self._sealers  # one reference: a concurrent reload swaps the dict, never empties it
        sealer = sealers.get(key_id)
        if sealer is None:
            sealer = sealers[key_id] = Sealer(key_id, self._secret(key_id, "a stored data key"))
        return sealer

    def _secret(self, key_id: int, needed_by: str) -> bytes:
        """Raises: KeyRingError: the ring does not hold this key version, even as its file reads now."""
        if key_id not in self.keys:
            self.reload()  # another process may have rotated since this one loaded the ring
        secret = self.keys.get(key_id)
        if secret is None:
            raise KeyRingError(f"the key ring does not hold key {key_id}, which {needed_by} needs")
        return secret

    def derived_sealer(self, label: bytes, key_id: int) -> Sealer:
        """A sealer for one purpose (`label`) under a key derived from key-encryption key `key_id`.

        For values sealed in bulk that must not cost a data key each: like the data keys that version
        wraps, they can no longer be opened, backups included, once it is retired.

        Raises:
            KeyRingError: the ring does not hold this key version.
        """
        derived = self._derived  # one reference, as in `_sealer`
        sealer = derived.get((label, key_id))
        if sealer is None:
            secret = derive_subkey(self._secret(key_id, "a stored value"), label)
            sealer = derived[(label, key_id)] = Sealer(key_id, secret)
        return sealer

    # --- versions -----------------------------------------------------------------------------------

    def add_primary(self) -> int:
        """Add a new key version, make it primary and mark a rotation towards it as under way."""
        key_id = max(self.keys) + 1
        self.keys[key_id] = new_key()
        self.created[key_id] = _now()
        self.primary = self.rotating_to = key_id
        return key_id

    def retire(self, key_id: int) -> None:
        """Forget a key version for good.

        Raises:
            KeyRingError: it is the primary key, or the ring has no such key.
        """
        if key_id not in self.keys:
            raise KeyRingError(f"the key ring has no key {key_id}")
        if key_id == self.primary:
            raise KeyRingError(f"key {key_id} is the primary key and cannot be retired")
        del self.keys[key_id]
        self.created.pop(key_id, None)
        self._sealers, self._derived = {}, {}

    # --- derived keys -------------------------------------------------------------------------------

    @cached_property
    def blind_index(self) -> BlindIndex:
        return BlindIndex(derive_subkey(self.derivation_secret, BLIND_INDEX_EMAIL))

    @cached_property
    def pairwise_key(self) -> bytes:
        """The HMAC key of the pairwise ids businesses know customers by (never rotates, so ids stay)."""
        return derive_subkey(self.derivation_secret, PAIRWISE_SUBJECT)

    @cached_property
    def log_pseudonym_key(self) -> bytes:
        """The HMAC key of the ids customers have in the consent log (never rotates: the log keeps them)."""
        return derive_subkey(self.derivation_secret, LOG_PSEUDONYM)

    @cached_property
    def log_signing_key(self) -> Ed25519PrivateKey:
        """The Ed25519 key that signs log checkpoints and consent receipts. Derived from the secret that
        never rotates, so signatures made years ago still verify under the one published public key."""
        return Ed25519PrivateKey.from_private_bytes(derive_subkey(self.derivation_secret, LOG_SIGNING))

    @cached_property
    def journey_reference_key(self) -> bytes:
        """The HMAC key of journey reference indexes (never rotates: stored indexes must keep matching)."""
        return derive_subkey(self.derivation_secret, JOURNEY_REFERENCE)

    @cached_property
    def webhook_key(self) -> bytes:
        """The key webhook signing secrets are derived from (each hook's id and version select its own)."""
        return derive_subkey(self.derivation_secret, WEBHOOK_SECRET)

    @cached_property
    def answer_key(self) -> bytes:
        """The HMAC key naming the authorization requests customers answered (`vrm.oauth.answers`)."""
        return derive_subkey(self.derivation_secret, AUTHORIZATION_ANSWER)

    @cached_property
    def fingerprint(self) -> bytes:
        """Identify this ring (not its current keys) so a database can tell it was given another ring."""
        return derive_subkey(self.derivation_secret, FINGERPRINT_LABEL)

    def require_production_ready(self, *, production: bool) -> None:
        """Refuse a development ring in production.

        Raises:
            ConfigError: naming the variable to change.
        """
        if production and self.environment != "production":
            raise ConfigError(
                f"VRM_KEYRING_FILE points at a {self.environment} key ring ({self.path}); production needs "
                "its own: VRM_ENV=production vrm keys init"
            )


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        return _stamp_of(path.stat())
    except OSError:
        return None


def _stamp_of(status: os.stat_result) -> tuple[int, int, int]:
    return (status.st_mtime_ns, status.st_ino, status.st_size)


def _b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _b64decode(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
