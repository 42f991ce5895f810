"""`archiver export-warc`: the stored pages as WARC records that read back exactly with warcio."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from hashlib import sha256

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.archive.engine import make_engine, session_factory
from archiver.archive.pages import Fetch, decompress, write_fetches
from archiver.cli import main
from archiver.research.warc import NOT_MODIFIED_PROFILE, export_warc, warc_digest
from tests.support.archive import query
from tests.support.snapshots import copy_archive, sample_archive

pytestmark = pytest.mark.slow
IDENTICAL_PROFILE = "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest"


@pytest.fixture
def archive(tmp_path_factory, tmp_path) -> str:
    """The sample crawl plus a later identical refetch of one page and a 304 for another."""
    db_url = copy_archive(sample_archive(tmp_path_factory)[0], tmp_path)
    (url1, digest1), (url2, digest2) = query(db_url, "SELECT url, sha256 FROM pages ORDER BY id LIMIT 2")
    later = datetime(2099, 1, 1, 12, 0, 0)
    engine = make_engine(db_url)
    with session_factory(engine).begin() as session:
        write_fetches(
            session,
            [
                Fetch(
                    url1,
                    "kcnawatch",
                    later,
                    200,
                    {"Content-Type": ["text/html; charset=UTF-8"]},
                    body_of(db_url, digest1),
                ),
                Fetch(url2, "kcnawatch", later, 304, {"ETag": ['"x"']}, None, sha256=digest2),
            ],
            None,
            "zlib",
        )
    engine.dispose()
    return db_url


def body_of(db_url: str, digest: str) -> bytes:
    return decompress(query(db_url, "SELECT body FROM page_bodies WHERE sha256 = :d", d=digest)[0][0], "zlib")


def read_back(path) -> list[dict]:
    records = []
    with open(path, "rb") as stream:
        for record in ArchiveIterator(stream):
            headers = record.rec_headers
            records.append(
                {
                    "type": record.rec_type,
                    "url": headers.get_header("WARC-Target-URI"),
                    "date": headers.get_header("WARC-Date"),
                    "status": int(record.http_headers.get_statuscode()) if record.http_headers else None,
                    "sha256": sha256(record.content_stream().read()).hexdigest(),
                    "payload_digest": headers.get_header("WARC-Payload-Digest"),
                    "profile": headers.get_header("WARC-Profile"),
                    "refers_to": headers.get_header("WARC-Refers-To-Target-URI"),
                    "content_length": record.http_headers.get_header("Content-Length") if record.http_headers else None,
                }
            )
    return records


def test_every_stored_fetch_reads_back_with_its_url_status_and_body(archive, tmp_path):
    out = tmp_path / "pages.warc.gz"
    engine = make_engine(archive)
    report = export_warc(engine, out)
    engine.dispose()
    pages = query(archive, "SELECT url, status, sha256, fetched_at FROM pages ORDER BY id")
    records = read_back(out)
    assert records[0]["type"] == "warcinfo"
    assert len(records) == len(pages) + 1 == 56
    assert (report.responses, report.revisits) == (53, 2)
    first_record: dict[str, dict] = {}
    for (url, status, digest, fetched_at), record in zip(pages, records[1:]):
        assert (record["url"], record["status"]) == (url, status)
        assert record["date"] == fetched_at[:19].replace(" ", "T") + "Z"
        if digest not in first_record:
            assert record["type"] == "response"
            assert record["sha256"] == digest
            assert int(record["content_length"]) == len(body_of(archive, digest))
            assert record["payload_digest"] == warc_digest(body_of(archive, digest))
            first_record[digest] = record
        else:
            assert record["type"] == "revisit"
            assert record["payload_digest"] == first_record[digest]["payload_digest"]
            assert record["refers_to"] == first_record[digest]["url"]
            assert record["profile"] == (NOT_MODIFIED_PROFILE if status == 304 else IDENTICAL_PROFILE)
    # warcio's own checker agrees with every digest.
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(out)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_command_filters_by_site_and_day(archive, tmp_path, capsys):
    out = tmp_path / "later.warc.gz"
    assert main(["export-warc", "--db", archive, "--since", "2099-01-01", "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out}: 1 response records, 1 revisit records")
    assert [(r["type"], r["status"]) for r in read_back(out)] == [
        ("warcinfo", None),
        ("response", 200),
        ("revisit", 304),
    ]
    assert main(["export-warc", "--db", archive, "--site", "rstv", "--out", str(out)]) == 0
    assert [r["type"] for r in read_back(out)] == ["warcinfo"]
    assert main(["export-warc", "--db", archive, "--out", str(tmp_path / "pages.zip")]) == 2
    assert "--out must name a .warc.gz file" in capsys.readouterr().err
