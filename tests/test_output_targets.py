"""Issue 20, point 1: `export --out` never destroys what it is pointed at.

The archive itself (by name, by symlink, by hard link), its -wal/-shm/lock/state files are refused
in one line; a character device, a FIFO and `-` are written as streams; a symlink to a regular file
gets the records in the file it points to, and stays a link.
"""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from archiver.cli import main
from tests.support.research_archive import fill

SQLITE_MAGIC = b"SQLite format 3\x00"


@pytest.fixture
def archive(engine, db_url, tmp_path) -> Path:
    fill(engine)
    return tmp_path / "archive.sqlite"


def export_to(db_url: str, out: str, *extra: str) -> int:
    return main(["export", "--out", out, "--db", db_url, *extra])


@pytest.mark.parametrize("name", ["itself", "symlink", "hardlink", "wal", "shm", "lock", "state"])
def test_the_archive_and_its_files_are_refused(archive, db_url, tmp_path, capsys, name):
    before = archive.read_bytes()
    target = {
        "itself": archive,
        "symlink": tmp_path / "link.jsonl",
        "hardlink": tmp_path / "other-name.jsonl",
        "wal": Path(f"{archive}-wal"),
        "shm": Path(f"{archive}-shm"),
        "lock": Path(f"{archive}.lock"),
        "state": Path(f"{archive}.state") / "out.jsonl",
    }[name]
    if name == "symlink":
        target.symlink_to(archive)
    elif name == "hardlink":
        os.link(archive, target)
    elif name == "state":
        target.parent.mkdir()
    assert export_to(db_url, str(target)) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("archiver: error: refusing to write")
    assert archive.read_bytes() == before and before.startswith(SQLITE_MAGIC)
    assert list(tmp_path.glob("*.part")) == []


def test_a_character_device_is_written_as_a_stream(archive, db_url, capsys):
    assert export_to(db_url, "/dev/null") == 0
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)  # still the device, not a regular file


def test_a_full_device_is_one_line_and_stays_a_device(archive, db_url, capsys):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    assert export_to(db_url, "/dev/full") == 2
    err = capsys.readouterr().err.splitlines()
    assert err == ["archiver: error: cannot write /dev/full: No space left on device"]
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_a_fifo_is_written_as_a_stream(archive, db_url, tmp_path):
    fifo = tmp_path / "records.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    assert export_to(db_url, str(fifo)) == 0
    reader.join(10)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    lines = received[0].decode().splitlines()
    assert len(lines) == 7 and all(json.loads(line)["url"] for line in lines)


def test_a_symlink_to_a_file_keeps_the_link_and_fills_the_file(archive, db_url, tmp_path):
    real = tmp_path / "real.jsonl"
    real.write_text("old\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    assert export_to(db_url, str(link)) == 0
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert len(real.read_text().splitlines()) == 7


def test_dash_is_standard_output(archive, db_url, capsys, tmp_path):
    assert export_to(db_url, "-") == 0
    assert len(capsys.readouterr().out.splitlines()) == 7
    assert not (Path.cwd() / "-").exists()


def test_export_warc_refuses_a_link_to_the_archive(archive, db_url, tmp_path, capsys):
    link = tmp_path / "pages.warc.gz"
    link.symlink_to(archive)
    before = archive.read_bytes()
    assert main(["export-warc", "--out", str(link), "--db", db_url]) == 2
    assert capsys.readouterr().err.startswith("archiver: error: refusing to write over the archive's own file")
    assert archive.read_bytes() == before


def test_a_killed_export_leaves_no_part_file(tmp_path):
    """Issue 25, point 2: the records go to a file without a name until complete (O_TMPFILE)."""
    import signal
    import subprocess
    import sys

    (tmp_path / "old.jsonl").write_text("the previous export\n")
    program = (
        "import os, signal, sys\n"
        "from archiver.research.outfile import open_output\n"
        f"with open_output({str(tmp_path / 'old.jsonl')!r}) as out:\n"
        "    out.write('half of it\\n'); out.flush()\n"
        f"    print(sorted(os.listdir({str(tmp_path)!r})), flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert result.returncode == -signal.SIGKILL
    assert result.stdout.strip() == "['old.jsonl']"  # nothing named while it is written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.jsonl"]
    assert (tmp_path / "old.jsonl").read_text() == "the previous export\n"


def test_a_failed_export_leaves_the_target_and_no_part(tmp_path):
    from archiver.research.outfile import open_output

    target = tmp_path / "x.jsonl"
    target.write_text("kept\n")
    with pytest.raises(RuntimeError), open_output(str(target)) as out:
        out.write("partial\n")
        raise RuntimeError("the export failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.jsonl"] and target.read_text() == "kept\n"
    with open_output(str(target)) as out:
        out.write("new\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.jsonl"] and target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~current_umask()


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
