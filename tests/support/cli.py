"""Running the `archiver` command line in a fresh process, from the project folder."""

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


def run_archiver(*args: str, env: dict | None = None, timeout: float = 120, cwd: Path | None = None):
    """Run the `archiver` command line in a fresh process (Scrapy's reactor runs once per process)."""
    return subprocess.run(
        [sys.executable, "-m", "archiver", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=cwd or PROJECT,
    )
