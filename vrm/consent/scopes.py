"""The OAuth scopes a customer grants: one per data category a business may read, and one to write history."""

from __future__ import annotations

from typing import Any

from vrm import validation as v
from vrm.vault.vocabulary import DATA_CATEGORIES

READ_SCOPES = {f"{category}:read": category for category in DATA_CATEGORIES}
SCOPES = (*READ_SCOPES, "interactions:write")


def categories_read(scopes: frozenset[str] | set[str]) -> set[str]:
    """The data categories a set of scopes lets a business read."""
    return {category for scope, category in READ_SCOPES.items() if scope in scopes}


def scope_names(value: Any, field: str, problems: v.Problems) -> set[str]:
    """The scopes named by space-separated text or a list; each unknown or malformed one is a problem."""
    names = value.split() if v.is_text(value) else value
    if not isinstance(names, list | tuple | set | frozenset) or not all(isinstance(n, str) for n in names):
        problems.add(field, "must be a list of scope names")
        return set()
    unknown = sorted(set(names) - set(SCOPES))
    if unknown:
        problems.add(field, f"has unknown scopes: {', '.join(unknown)[:200]}; known: {', '.join(SCOPES)}")
        return set()
    if not names:
        problems.add(field, "must name at least one scope")
    return set(names)


def scope_text(scopes: set[str] | frozenset[str]) -> str:
    """Scopes as stored and sent: space-separated, in the vocabulary's order."""
    return " ".join(scope for scope in SCOPES if scope in scopes)
