"""Canonical JSON for consent-log events: RFC 8785 (JCS), restricted to what events hold.

One value has exactly one encoding, so anyone can recompute an event's hash from its fields: object members
sorted by the UTF-16 code units of their names, no insignificant whitespace, strings as UTF-8 with only the
escapes JSON requires. Events carry text, integers, booleans, null, arrays and objects; floats are refused
(their JCS form needs ECMAScript number formatting, and nothing in an event is fractional), as are integers
beyond 2^53 (not exact in every verifier's JSON) and text that is not valid Unicode.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

MAX_EXACT = 2**53 - 1
_SCALARS = frozenset({str, int, bool, type(None)})
ORJSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER


def canonical(value: Any) -> bytes:
    """The RFC 8785 encoding of `value`.

    Raises:
        ValueError: the value holds a float, a too large integer, a non-text key or invalid Unicode.
    """
    fast = _fast(value)
    return fast if fast is not None else _encode(value).encode("utf-8")


def is_canonical(encoded: bytes, value: Any) -> bool:
    """Whether `encoded` is exactly the canonical encoding of `value`, the JSON parsed from it (the
    verifier's check of every event, kept to orjson's speed where orjson's encoding is JCS's)."""
    try:
        if encoded.isascii() and not holds_float(value):
            return orjson.dumps(value, option=ORJSON_OPTIONS) == encoded
        return canonical(value) == encoded
    except (orjson.JSONEncodeError, ValueError):
        return False


def _fast(value: Any) -> bytes | None:
    """orjson's encoding where it is exactly JCS's, else None (then the exact encoder decides).

    orjson escapes strings as JCS does and sorts keys by code point; for ASCII text that is UTF-16 order.
    It would write floats, which events may not hold, so those go the exact way and are refused there.
    """
    try:
        encoded = orjson.dumps(value, option=ORJSON_OPTIONS)
    except orjson.JSONEncodeError:
        return None
    return encoded if encoded.isascii() and not holds_float(value) else None


def holds_float(value: Any) -> bool:
    pending = [value]
    while pending:  # exact type tests first: several times faster than isinstance on parsed JSON
        item = pending.pop()
        kind = type(item)
        if kind is dict:
            pending.extend(item.values())
        elif kind is list or kind is tuple:
            pending.extend(item)
        elif kind not in _SCALARS and isinstance(item, float | dict | list | tuple):
            return True  # a float, or a subclass the exact encoder should judge
    return False


def _encode(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, int):
        if abs(value) > MAX_EXACT:
            raise ValueError(f"integer {value} is beyond 2^53 and has no exact JSON form")
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dict):
        if not all(isinstance(name, str) for name in value):
            raise ValueError("object member names must be text")
        members = sorted(value.items(), key=lambda item: item[0].encode("utf-16-be", "surrogatepass"))
        return "{" + ",".join(f"{_string(name)}:{_encode(item)}" for name, item in members) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_encode(item) for item in value) + "]"
    raise ValueError(f"a {type(value).__name__} has no place in a log event")


def _string(text: str) -> str:
    try:
        text.encode("utf-8")  # lone surrogates are not Unicode text
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode") from None
    # The standard library escapes exactly what JCS does: quote, backslash, and controls below U+0020
    # (\b \t \n \f \r by name, the rest as lowercase \u00xx); everything else stays as it is.
    return json.dumps(text, ensure_ascii=False)
