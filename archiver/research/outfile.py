"""Where an export goes, safely: a new or regular file replaced whole, or a stream (a device, a FIFO, `-`).

An export must never destroy what it is pointed at. A regular file (or none yet) gets the records in
a file that has no name until everything is written (Linux's O_TMPFILE; elsewhere `FILE.part`), then
named `FILE.part` and renamed over FILE, so FILE is complete or untouched, and a killed export leaves
no `.part` behind. A
symbolic link is followed: the file it points to is the target, and the link stays. Anything that is
not a regular file (a character device such as /dev/null, a FIFO, a socket) is opened and written as
a stream: never renamed over. `-` is standard output. The archive itself, or any file of it (its
`-wal`, `-shm`, `-journal`, run lock or state folder), is refused by device and inode, whatever name
or link points at it.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

#: The files SQLite and the archiver keep beside a database file.
COMPANION_SUFFIXES = ("-wal", "-shm", "-journal", ".lock", ".state")


class OutputRefused(Exception):
    """An output that must not be written; the message is meant for the user."""


def archive_files(database: Path | None) -> list[Path]:
    """The database file and every companion file of it."""
    if database is None:
        return []
    return [database, *(database.with_name(database.name + suffix) for suffix in COMPANION_SUFFIXES)]


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def check_output(target: Path, protected: Iterable[Path], option: str = "--out") -> None:
    """OutputRefused when `target` is (or links to) one of the `protected` files, or sits in a state
    folder; `option` names the option that gave `target`, for the message."""
    identity = _identity(target)
    resolved = target.resolve()
    for path in protected:
        if resolved == path.resolve() or (identity is not None and identity == _identity(path)):
            raise OutputRefused(f"refusing to write over the archive's own file {path} ({option} {target})")
        if path.name.endswith(".state") and resolved.is_relative_to(path.resolve()):
            raise OutputRefused(f"refusing to write into the archive's state folder {path} ({option} {target})")


def is_stream(target: Path) -> bool:
    """Whether `target` exists and is not a regular file (a device, a FIFO, a socket): written in place."""
    try:
        mode = os.stat(target).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode)


@contextmanager
def open_output(out: str | None, protected: Iterable[Path] = (), *, binary: bool = False) -> Iterator[IO]:
    """The stream to write an export to (see the module docstring); standard output for None or "-".

    On an exception the partial file is removed and FILE is left as it was.
    """
    mode = "wb" if binary else "w"
    text_args: dict[str, Any] = {} if binary else {"encoding": "utf-8", "newline": ""}
    if out is None or out == "-":
        yield sys.stdout.buffer if binary else sys.stdout
        return
    target = Path(out).expanduser()
    check_output(target, list(protected))
    if target.is_dir():
        raise OutputRefused(f"--out is a folder: {target}")
    if is_stream(target):
        with open(target, mode, **text_args) as stream:  # no O_CREAT surprises: it exists
            yield stream
        return
    final = target.resolve()  # a symlink's target is replaced; the link stays
    if not final.parent.is_dir():
        raise OutputRefused(f"folder does not exist: {final.parent}")
    partial = final.with_name(final.name + ".part")
    check_output(partial, list(protected))
    unnamed = _unnamed_file(final.parent)
    if unnamed is not None:
        with os.fdopen(unnamed, mode, **text_args) as stream:
            yield stream
            stream.flush()
            partial.unlink(missing_ok=True)  # a leftover of a run killed between the two calls below
            _name(unnamed, partial)
        os.replace(partial, final)
        return
    try:
        with open(partial, mode, **text_args) as stream:
            yield stream
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, final)


def _name(fd: int, path: Path) -> None:
    """Give the unnamed file `fd` the name `path` (linkat with AT_SYMLINK_FOLLOW on its /proc link;
    a folder descriptor makes os.link call linkat rather than link, which would not follow it)."""
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.link(f"/proc/self/fd/{fd}", path.name, dst_dir_fd=folder, follow_symlinks=True)
    finally:
        os.close(folder)


def _unnamed_file(folder: Path) -> int | None:
    """A descriptor of a new file without a name in `folder` (Linux's O_TMPFILE), to write an export
    into: a process killed before the end (SIGKILL included) leaves nothing behind. It gets its
    `.part` name only once complete, through /proc/self/fd, and is renamed over the target at once.
    None where that is not possible (another system, a file system without O_TMPFILE, no /proc):
    then the export is written to FILE.part, which a kill -9 leaves behind."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        return os.open(folder, flag | os.O_WRONLY, 0o666)
    except OSError:
        return None
