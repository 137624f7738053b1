"""The Content-Security-Policy every answer carries, and its one widening: where a form may lead.

`form-action` covers a form's target and every redirect that follows its post, so a page whose form
ends at a business's redirect URI (the consent screen, signing in on the way to it) must name that origin,
and only that one; every other page keeps `form-action 'self'`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# An origin as a CSP host-source can name it: scheme, a DNS name or IPv4 address, an optional port. Anything
# else (an IPv6 literal, a `;` that would start a directive of its own) is never written into the policy.
ORIGIN = re.compile(r"https?://[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?")

DIRECTIVES = (
    ("default-src", "'self'"),
    ("script-src", "'self'"),
    ("style-src", "'self'"),
    ("img-src", "'self' data:"),
    ("object-src", "'none'"),
    ("base-uri", "'none'"),
    ("form-action", "'self'"),
    ("frame-ancestors", "'none'"),
)


def content_security_policy(form_targets: Iterable[str] = ()) -> str:
    """The policy, with `form-action` also allowing each origin of `form_targets` (scheme://host[:port])
    that a host-source can express."""
    extra = " ".join(sorted({origin for origin in form_targets if ORIGIN.fullmatch(origin)}))
    return "; ".join(
        f"{name} {sources} {extra}" if name == "form-action" and extra else f"{name} {sources}"
        for name, sources in DIRECTIVES
    )
