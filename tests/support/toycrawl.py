"""Crawling the toy site (tests/support/toysite.py) in a fresh process, from a test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from types import SimpleNamespace

from tests.support.cli import PROJECT
from tests.support.faultserver import FaultServer


def toy_command(db_url: str, base_url: str, *settings: str) -> list[str]:
    return [sys.executable, "-m", "tests.support.toysite", db_url, base_url, *settings]


def crawl_toy(db_url: str, server: FaultServer, *settings: str, env: dict | None = None) -> SimpleNamespace:
    """Crawl the toy site served by `server`: return code, output lines, the run's stats, stderr."""
    result = subprocess.run(
        toy_command(db_url, server.base_url, *settings),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PROJECT,
        env={**os.environ, **(env or {})},
    )
    lines = result.stdout.splitlines()
    assert lines, result.stderr
    return SimpleNamespace(
        returncode=result.returncode, lines=lines[:-1], stats=json.loads(lines[-1]), stderr=result.stderr
    )
