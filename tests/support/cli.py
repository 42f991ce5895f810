"""Running the `archiver` command line in a fresh process, from the project folder: the one way tests do it.

Scrapy's reactor runs once per process, so every crawl a test starts runs in a process of its own:
`run_archiver(...)` runs the command to its end; `start_archiver(...)` starts it and hands back the
process (to wait for, kill, or talk to). `start_process(...)` is the same for any other command
(a `scrapy crawl`, a `python -c` program) so that all of them run alike: same folder, same environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from archiver.mirror import FULL_SPEED

PROJECT = Path(__file__).resolve().parent.parent.parent
# archiver.mirror.FULL_SPEED as `-s NAME=VALUE` options of a crawling command.
FAST = [
    word
    for name, value in FULL_SPEED.items()
    for word in ("-s", f"{name}={int(value) if isinstance(value, bool) else value}")
]


def archiver_command(*args: str) -> list[str]:
    """The command line that runs `archiver ARGS…` with this interpreter."""
    return [sys.executable, "-m", "archiver", *args]


def start_process(
    command: list[str],
    *,
    env: dict | None = None,
    cwd: Path | None = None,
    stdin=None,
    stdout=subprocess.PIPE,
    stderr=subprocess.PIPE,
) -> subprocess.Popen:
    """Start `command` from the project folder, with this environment plus `env`; output captured as text."""
    return subprocess.Popen(
        command,
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd or PROJECT,
    )


def start_archiver(*args: str, **options) -> subprocess.Popen:
    """Start `archiver ARGS…` in its own process (options as for start_process)."""
    return start_process(archiver_command(*args), **options)


def run_archiver(
    *args: str, env: dict | None = None, timeout: float = 120, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    """Run `archiver ARGS…` in its own process to its end (killed after `timeout` seconds)."""
    return subprocess.run(
        archiver_command(*args),
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=cwd or PROJECT,
    )
