"""The development mail outbox: messages appended as JSON lines to a file, since there is no mail server.

Production needs a real mail transport (not built yet): the outbox refuses to write there, so no message,
and no email address in clear, is ever left in a file on a production host.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from vrm.errors import ConfigError


def deliver(path: Path, *, production: bool, to: str, subject: str, body: str) -> None:
    """Append one message to the outbox file (mode 0600).

    Raises:
        ConfigError: in production, where messages must go through a mail server.
    """
    if production:
        raise ConfigError("no mail transport is configured for production; the development outbox is off")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    line = json.dumps(
        {"at": datetime.now(UTC).isoformat(timespec="seconds"), "to": to, "subject": subject, "body": body},
        ensure_ascii=False,
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as outbox:
        outbox.write(line + "\n")
