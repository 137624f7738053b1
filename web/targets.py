"""Where a page may send the browser next: an address on this site, given by the request (`next` after
signing in, `back` after a form), checked before any redirect follows it.

Browsers read more as "another site" than `urlsplit` does: `/\\evil.example` and `/\\/evil.example` are
`//evil.example` to them, tabs and newlines are dropped from addresses (so `/\\t/evil.example` is too), and
a percent-encoded backslash or slash may be decoded by something on the way. Anything of the kind is
refused rather than repaired.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit


def local_target(value: object, *, under: str | None = None) -> str | None:
    """Return `value` if it is a path on this site (with its query), under the path `under` if given;
    None for anything else: another site, a scheme, a backslash, control or non-printable characters,
    a `.` or `..` segment, or a path that does not start with exactly one `/`."""
    if not isinstance(value, str) or not value.isprintable() or "\\" in value:
        return None
    parts = urlsplit(value)
    path = unquote(parts.path)  # what the path may turn into on the way: it must be as harmless
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return None
    if path.startswith("//") or "\\" in path or not path.isprintable():
        return None
    if any(segment in (".", "..") for segment in path.split("/")):
        return None
    if under is not None and path != under and not path.startswith(under.rstrip("/") + "/"):
        return None
    return value
