"""Import every model module, so the metadata knows every table (for Alembic and tests)."""

from __future__ import annotations

from vrm.accounts.models import (
    Business,
    BusinessSession,
    BusinessUser,
    Customer,
    RecoveryCode,
    TwoFactor,
    WebSession,
)
from vrm.consent.models import ContactStanding, Grant, LogEvent, Webhook, WebhookDelivery
from vrm.oauth.models import AuthorizationCode, IdempotentRequest, OAuthClient, Relationship, Token
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
    "AuthorizationCode",
    "Business",
    "BusinessOverride",
    "BusinessSession",
    "BusinessUser",
    "ContactStanding",
    "Customer",
    "DataKey",
    "Grant",
    "IdempotentRequest",
    "Interaction",
    "Journey",
    "KeyRingBinding",
    "LogEvent",
    "OAuthClient",
    "Preferences",
    "Profile",
    "RecoveryCode",
    "Relationship",
    "Token",
    "TwoFactor",
    "WebSession",
    "Webhook",
    "WebhookDelivery",
]
