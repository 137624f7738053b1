"""Owner-only files written atomically: the key ring, the development secret, the embedded database."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_private(path: Path, data: bytes, *, replace: bool) -> bool:
    """Write `data` to `path` with mode 0600: temporary file, fsync, then rename (or link) into place.

    With `replace=False` an existing file is never touched, even by a concurrent writer: the file is
    linked into place, which fails if the name exists. Returns whether the file was written.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                return False
        fsync_directory(path.parent)  # the new name itself must survive a power loss
        return True
    finally:
        Path(tmp).unlink(missing_ok=True)


def fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_private(path: Path) -> None:
    """Create `path` empty if missing and make it owner-only either way."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    path.chmod(0o600)
