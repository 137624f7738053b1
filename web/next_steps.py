"""The steps that follow sign-up: shown on the account page (where sign-up lands) until the customer has
done them all or put them away, and never again after that."""

from __future__ import annotations

from dataclasses import dataclass

from vrm.accounts.customers import close_next_steps
from vrm.accounts.models import Customer
from vrm.consent.grants import live_grants
from vrm.serving.request_scope import db_session
from vrm.vault.preferences import preferences_saved
from vrm.vault.profile import Profile
from web.login import signed_in_vault


@dataclass(frozen=True)
class Step:
    title: str
    purpose: str  # what the step is for, in a sentence
    endpoint: str  # the page that does it
    link: str  # the link's words
    done: bool


def next_steps(customer: Customer, profile: Profile) -> list[Step]:
    """The steps to show now: none once put away; doing the last one puts them away for good."""
    if customer.next_steps_closed_at is not None:
        return []
    steps = [
        Step(
            "Complete your profile",
            "Your name, and the language and time zone companies should use with you. "
            "Companies see it only if you let them.",
            "profile.show",
            "Go to your profile",
            bool(profile.given_name or profile.family_name or profile.display_name),
        ),
        Step(
            "Set your contact preferences",
            "Who may contact you, how, what for, and when not. Every company must follow them.",
            "preferences.show",
            "Go to your preferences",
            preferences_saved(db_session(), vault=signed_in_vault()),
        ),
        Step(
            "Connect a company",
            "When a company's app asks for your data, you choose what it may see. Your connections "
            "are listed here, to narrow or end at any time.",
            "connections.overview",
            "Go to your connections",
            bool(live_grants(db_session(), customer_id=customer.id)),
        ),
    ]
    if all(step.done for step in steps):
        close_next_steps(db_session(), customer=customer)
        return []
    return steps
