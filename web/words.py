"""Plain words for the vault's vocabulary, as the customer reads it."""

from __future__ import annotations

CHANNELS = {
    "email": "Email",
    "sms": "Text message",
    "voice": "Phone call",
    "chat": "Chat",
    "post": "Post",
    "push": "App notification",
    "social": "Social media",
    "web": "Web self-service",
}
PURPOSES = {
    "service": "Service messages",
    "marketing": "Marketing",
    "surveys": "Surveys and feedback",
    "research": "Research",
    "partners": "Offers from partners",
}


def direction(direction: str, business: str) -> str:
    return f"You contacted {business}" if direction == "inbound" else f"{business} contacted you"


def journey_title_seen(business: str) -> str:
    """Who sees a journey's title: its company, once the journey is the company's to see."""
    return (
        f"{business} can see the title once it can see the journey: as soon as the journey holds "
        f"something {business} recorded, or something you shared with {business}."
    )


def journey_seen(business: str, seen: bool) -> str:
    """Whether the company sees a journey (and its title) now."""
    if seen:
        return f"{business} can see this journey and its title, and in it what it recorded or you shared."
    return f"Only you can see this journey and its title: it holds nothing {business} recorded or you shared."


def journey_summary(channels: list[str]) -> str:
    """'Started on chat, continued by phone call and email': the path of one issue across channels."""
    path = [channel for index, channel in enumerate(channels) if index == 0 or channels[index - 1] != channel]
    if not path:
        return "No interactions yet."
    words = [CHANNELS.get(channel, channel).lower() for channel in path]
    if len(words) == 1:
        return f"Started and stayed on {words[0]}."
    rest = words[1:]
    continued = rest[0] if len(rest) == 1 else ", ".join(rest[:-1]) + " and " + rest[-1]
    return f"Started on {words[0]}, continued by {continued}."


CATEGORIES = {
    "profile": ("Your name, language and time zone", "Names, language, region format and time zone."),
    "contact": ("How to reach you", "Email addresses, phone numbers and postal addresses."),
    "preferences": ("Your contact preferences", "What a company may send you, when and how often."),
    "interactions": ("Your history with them", "The interactions you had with that company."),
    "feedback": ("Your ratings and comments", "What you thought of that company's service."),
}
PERIODS = {"day": "a day", "week": "a week", "month": "a month"}
SCOPES = {
    "profile:read": "See your name, language, region format and time zone",
    "contact:read": "See your email addresses, phone numbers and postal addresses",
    "preferences:read": "See your contact preferences",
    "interactions:read": "See your history with them",
    "interactions:write": "Add what happens between you to your history",
    "feedback:read": "See your ratings and comments on their service",
}


def scope_actions(scopes: str) -> str:
    """'see your contact preferences and add what happens between you to your history': what
    space-separated scopes let a company do, in the vocabulary's order."""
    actions = [text[0].lower() + text[1:] for scope, text in SCOPES.items() if scope in scopes.split()]
    return actions[0] if len(actions) == 1 else ", ".join(actions[:-1]) + " and " + actions[-1]


def category_list(categories: set[str] | frozenset[str]) -> str:
    """'your name, language and time zone, how to reach you': categories in the vocabulary's order."""
    names = [title[0].lower() + title[1:] for key, (title, _) in CATEGORIES.items() if key in categories]
    return ", ".join(names)


def scopes_read(scopes: str | None) -> str:
    """The categories named by space-separated read scopes, as `category_list` words."""
    return category_list({scope.removesuffix(":read") for scope in (scopes or "").split()})


SCOPES_FOR_BUSINESSES = {
    "profile:read": "read the customer's names, language, region format and time zone",
    "contact:read": "read the customer's email addresses, phone numbers and postal addresses",
    "preferences:read": "read what you may do: channels, purposes, quiet hours, caps",
    "interactions:read": "read the customer's history with you",
    "interactions:write": "record your interactions into the customer's history",
    "feedback:read": "read the customer's ratings and comments on your interactions",
}


def own_record(shared: bool, business: str) -> str:
    """What the customer recorded themselves, and who sees it."""
    return f"Recorded by you · shared with {business}" if shared else "Recorded by you · only you can see it"
