"""Checking picture files and pages the way a person would see them: PNG headers, headless Chromium."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) of a PNG file; AssertionError when it is not one."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE and head[12:16] == b"IHDR", f"not a PNG: {path}"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def chromium() -> str | None:
    """The headless browser of the OS packages (`apt-get install chromium`), None where absent."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def browse(
    url: str, *, screenshot: Path | None = None, size: tuple[int, int] = (1200, 1000), wait_ms: int = 1000
) -> str:
    """The page's DOM once its scripts ran (`--dump-dom`), in one run of the browser; with
    `screenshot`, also a PNG of the window. `wait_ms`: virtual time for scripts and their fetches."""
    browser = chromium()
    assert browser, "no chromium"
    command = [
        browser,
        "--headless",
        "--no-sandbox",  # as root, Chromium refuses to start otherwise
        "--disable-gpu",
        "--hide-scrollbars",
        f"--window-size={size[0]},{size[1]}",
        f"--virtual-time-budget={wait_ms}",
        *([f"--screenshot={screenshot}"] if screenshot is not None else []),
        "--dump-dom",
        url,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=90, check=True).stdout
