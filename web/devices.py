"""Plain words for a browser's user-agent string ("Firefox on Windows"), for the sessions list."""

from __future__ import annotations

# Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari", Android also says "Linux".
BROWSERS = [
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
]
SYSTEMS = [
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
]


def describe(user_agent: str | None) -> str:
    if not user_agent:
        return "Unknown browser"
    browser = next((name for marker, name in BROWSERS if marker in user_agent), "A browser")
    system = next((name for marker, name in SYSTEMS if marker in user_agent), None)
    return f"{browser} on {system}" if system else browser
