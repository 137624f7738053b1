"""The OAuth scopes a customer grants: one per data category a business may read, and one to write history."""

from __future__ import annotations

from vrm.vault.vocabulary import DATA_CATEGORIES

READ_SCOPES = {f"{category}:read": category for category in DATA_CATEGORIES}
SCOPES = (*READ_SCOPES, "interactions:write")


def categories_read(scopes: frozenset[str] | set[str]) -> set[str]:
    """The data categories a set of scopes lets a business read."""
    return {category for scope, category in READ_SCOPES.items() if scope in scopes}
