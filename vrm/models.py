"""Import every model module, so the metadata knows every table (for Alembic and tests)."""

from __future__ import annotations

from vrm.accounts.models import Business, Customer, RecoveryCode, TwoFactor, WebSession
from vrm.consent.models import Grant
from vrm.vault.models import (
    BusinessOverride,
    DataKey,
    Interaction,
    Journey,
    KeyRingBinding,
    Preferences,
    Profile,
)

__all__ = [
    "Business",
    "BusinessOverride",
    "Customer",
    "DataKey",
    "Grant",
    "Interaction",
    "Journey",
    "KeyRingBinding",
    "Preferences",
    "Profile",
    "RecoveryCode",
    "TwoFactor",
    "WebSession",
]
