"""Real processes for the deployment and fault drills: `vrm` commands and app nodes served by gunicorn."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import requests

from tests.web.browser import free_port

VRM = Path(sys.executable).parent / "vrm"


def vrm_env(instance: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    """This test's own configuration: nothing inherited from the VRM_* variables of whoever runs the suite."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VRM_", "PROMETHEUS", "WEB_CONCURRENCY"))}
    env["VRM_INSTANCE_DIR"] = str(instance)
    if database_url is not None:
        env["VRM_DATABASE_URL"] = database_url
    env.update(extra)
    return env


def run_vrm(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VRM), *args], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout
    )


@dataclass
class Node:
    """An app node (`vrm serve`) listening on `base`; `stderr` holds its log once it has stopped."""

    base: str
    process: subprocess.Popen[str]
    log: IO[str]  # stderr goes to a file: a pipe nobody reads would fill up and stall the node
    stderr: str = field(default="")

    def errors(self) -> list[str]:
        """The node's log lines at level ERROR so far (an exception it answered 500 is one)."""
        self.log.flush()
        self.log.seek(0)
        return [line for line in self.log.read().splitlines() if '"level": "ERROR"' in line]

    def workers(self) -> list[int]:
        """The pids of gunicorn's workers (children of the master, which `vrm serve` became)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        return [int(pid) for pid in children.split()]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 40) -> int:
        """Stop the node (gracefully by default) and return gunicorn's exit status."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.seek(0)
        self.stderr = self.log.read()
        return self.process.returncode


def wait_until_ready(base: str, process: subprocess.Popen[str], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the node stopped while starting (exit status {process.returncode})")
        try:
            if requests.get(base + "/readyz", timeout=1).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or its first worker still starting
            pass
        time.sleep(0.1)
    raise AssertionError(f"{base} did not become ready in {seconds} s")


@contextmanager
def node(env: dict[str, str], *, workers: int = 2, threads: int = 2) -> Iterator[Node]:
    """Serve the app with `vrm serve` (gunicorn, as in the image) until the block ends."""
    port = free_port()
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [str(VRM), "serve", "--port", str(port), "--workers", str(workers), "--threads", str(threads)],
            # OAuth clients check that the issuer is the address they reach.
            env={"VRM_ISSUER": f"http://127.0.0.1:{port}", **env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
            text=True,
        )
        served = Node(f"http://127.0.0.1:{port}", process, log)
        try:
            wait_until_ready(served.base, process)
            yield served
        finally:
            served.stop()
