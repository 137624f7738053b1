"""The fixed words of the vault: channels, purposes, data categories, directions."""

from __future__ import annotations

# "web": self-service on the business's website or app (its messages centre, its account pages).
CHANNELS = ("email", "sms", "voice", "chat", "post", "push", "social", "web")
PURPOSES = ("service", "marketing", "surveys", "research", "partners")
DATA_CATEGORIES = ("profile", "contact", "preferences", "interactions", "feedback")
DIRECTIONS = ("inbound", "outbound")  # inbound: from the customer to the business
FREQUENCY_PERIODS = ("day", "week", "month")
