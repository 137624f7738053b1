"""Domain errors: each carries the HTTP status and problem code the fronts map it to."""

from __future__ import annotations

from collections.abc import Mapping


class VrmError(Exception):
    """Base of every error the domain raises on purpose."""

    status: int = 400
    code: str = "error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ConfigError(VrmError):
    """The service cannot start with the configuration it was given."""

    status, code = 500, "configuration_error"


class ValidationError(VrmError):
    """Input that breaks a rule; `errors` maps each offending field to its message."""

    status, code = 422, "validation_error"

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {message}" for field, message in self.errors.items()))


class NotFound(VrmError):
    status, code = 404, "not_found"


class Conflict(VrmError):
    status, code = 409, "conflict"


class AuthenticationFailed(VrmError):
    status, code = 401, "authentication_failed"


class KeyRingError(VrmError):
    """The key ring is missing, unreadable, or lacks a key that data depends on."""

    status, code = 500, "key_ring_error"


class IntegrityError(VrmError):
    """A stored ciphertext failed authentication: it was altered, moved or sealed under another key."""

    status, code = 500, "integrity_error"


class SchemaMismatch(VrmError):
    """The database schema is not the one this version of VRM vault expects."""

    status, code = 503, "schema_mismatch"
