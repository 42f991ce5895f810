"""Issue 25, point 11 (and issue 26, point 6): every bad input is one line on stderr and exit 2, never a traceback.

Table-driven, in this process (`archiver.cli.main`), so each case costs milliseconds: search terms
that are not text, negative or overflowing numbers, `-s` names and values (typos, lists, ranges,
folders, an extra that is not installed), base URLs (labels too long, brackets, credentials, https
on plain HTTP), bad files in the sites folder (bytes, a FIFO, nesting, a huge selector, a
protocol-relative start), date ranges before a site's first day or in the future, and output to a
full disk (/dev/full) from every command that prints, the crawl's summary included. The valid
neighbours of those inputs pass.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from archiver.cli import main
from archiver.crawl.overrides import BadSetting, check_override
from archiver.crawl.runner import RunSummary, check_spiders
from tests.support.faultserver import FaultServer

PROFILE = 'name = "{name}"\nbase_url = "https://news.example"\nstart = ["/news/"]\narticle_url = \'^/a/\'\n'


def run_main(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        status = main(list(argv))
    except SystemExit as exc:  # argparse's own errors
        status = exc.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_one_line(status: int, err: str, contains: str) -> None:
    lines = err.strip().splitlines()
    assert "Traceback" not in err, err
    assert status == 2, err
    assert len(lines) == 1, err
    assert lines[0].startswith("archiver"), lines[0]
    assert contains in lines[0], lines[0]


@pytest.fixture
def archive(engine, db_url) -> str:
    """An empty archive (the schema made)."""
    return db_url


def sites_folder(tmp_path: Path) -> Path:
    """A sites folder of bad profiles, one per way a file can be bad, beside a good one."""
    folder = tmp_path / "sites"
    folder.mkdir()
    (folder / "good.toml").write_text(PROFILE.format(name="good"))
    (folder / "bytes.toml").write_bytes(PROFILE.format(name="bytes").encode() + b'description = "\xff"\n')
    os.mkfifo(folder / "fifo.toml")
    (folder / "nested.toml").write_text(PROFILE.format(name="nested") + "x = " + "[" * 3000 + "]" * 3000 + "\n")
    selector = " > ".join(["div"] * 20000)
    (folder / "selector.toml").write_text(PROFILE.format(name="selector") + f'[article]\nbody = "{selector}"\n')
    (folder / "relative.toml").write_text(PROFILE.format(name="relative").replace('"/news/"', '"//evil.example/x"'))
    (folder / "delay.toml").write_text(PROFILE.format(name="delay") + "download_delay = inf\n")
    return folder


ARCHIVE_CASES = [
    (["search", "a\udcffb"], "not valid UTF-8 text"),
    (["sql", "SELECT 1", "--max-rows", "-5"], "--max-rows: expected a whole number of 0 or more, got '-5'"),
    (["sql", "SELECT 1", "--max-width", "-2"], "--max-width: expected a whole number of 0 or more, got '-2'"),
    (["health", "--max-age", "99999999999999999999d"], "an age must be at most 999999999 days"),
]


@pytest.mark.parametrize(("argv", "contains"), ARCHIVE_CASES, ids=lambda v: v[0] if isinstance(v, list) else "")
def test_bad_arguments_on_an_archive(capsys, archive, argv, contains):
    status, _, err = run_main(capsys, *argv, "--db", archive)
    assert_one_line(status, err, contains)


SETTING_CASES = [
    ("RETRY_HTTP_CODES=abc", "-s RETRY_HTTP_CODES=abc: expected whole numbers separated by commas"),
    ("DOWNLOAD_MAXSIZE=-1", "-s DOWNLOAD_MAXSIZE=-1: expected 0 or more"),
    ("DOWNLOAD_DELAY=inf", "-s DOWNLOAD_DELAY=inf: expected a finite number"),
    ("DOWNLOAD_DELAY=1e308", "-s DOWNLOAD_DELAY=1e308: at most 3600 seconds"),
    ("DOWNLOAD_TIMEOUT=-3", "-s DOWNLOAD_TIMEOUT=-3: expected 0 or more"),
    ("AUTOTHROTTLE_MAX_DELAY=nan", "-s AUTOTHROTTLE_MAX_DELAY=nan: expected a finite number"),
    ("DOWNLOAD_DELAYY=0", "-s DOWNLOAD_DELAYY: no such setting; did you mean DOWNLOAD_DELAY?"),
    ("ROBOTSTXT_OBYE=0", "did you mean ROBOTSTXT_OBEY?"),
    ("JOBDIR=/proc/nope", "-s JOBDIR=/proc/nope: cannot create the folder"),
    ("ARCHIVER_DB_URL=sqlite:///other.sqlite", "-s ARCHIVER_DB_URL: not settable here: give the database with --db"),
]


@pytest.mark.parametrize(("pair", "contains"), SETTING_CASES, ids=lambda v: v.split("=")[0] if "=" in v else "")
def test_bad_settings(tmp_path, capsys, pair, contains):
    status, _, err = run_main(capsys, "crawl", "kcnawatch", "-s", pair, "--db", f"sqlite:///{tmp_path}/a.sqlite")
    assert_one_line(status, err, contains)
    assert not (tmp_path / "a.sqlite").exists()


def test_zstd_without_the_zstandard_package(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "zstandard", None)  # `import zstandard` fails, as on a plain install
    status, _, err = run_main(
        capsys,
        "crawl",
        "kcnawatch",
        "-s",
        "ARCHIVER_SNAPSHOT_COMPRESSION=zstd",
        "--db",
        f"sqlite:///{tmp_path}/a.sqlite",
    )
    assert_one_line(status, err, "zstd compression needs the zstandard package (pip install 'newsarchiver[zstd]')")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RETRY_HTTP_CODES", "500,503"),
        ("DOWNLOAD_MAXSIZE", "0"),
        ("DOWNLOAD_DELAY", "0.5"),
        ("DOWNLOAD_DELAY", "3600"),
        ("DOWNLOAD_TIMEOUT", "2.5"),
        ("RETRY_PRIORITY_ADJUST", "-2"),
        ("ARCHIVER_RSTV_VIA", "sitemap"),
        ("SCHEDULER_PERSIST", "True"),
    ],
)
def test_valid_settings_pass(name, value):
    assert check_override(name, value) is None


def test_an_unknown_setting_far_from_any_name_is_a_warning_not_an_error():
    assert check_override("MY_EXTENSION_LEVEL", "3") == (
        "-s MY_EXTENSION_LEVEL: not a setting Scrapy or the archiver knows; passed on as given"
    )
    with pytest.raises(BadSetting, match="did you mean RETRY_TIMES"):
        check_override("RETRY_TIMEZ", "3")


def test_every_setting_the_code_reads_is_known():
    """A setting read with settings.get("NAME") but defined nowhere would be taken for a typo."""
    import re

    from archiver.crawl.overrides import known_names

    root = Path(__file__).resolve().parent.parent
    read = set()
    for folder in ("archiver", "spiders", "pipelines"):
        for path in (root / folder).rglob("*.py"):
            read |= set(re.findall(r"settings\.get\w*\(\s*\"([A-Z][A-Z0-9_]+)\"", path.read_text(encoding="utf-8")))
    assert read - known_names() == set()


BASE_URL_CASES = [
    ("http://" + "a" * 300 + ".example", "not a valid host name (labels of 1-63 characters)"),
    ("http://[::1", "not an http(s) URL: 'http://[::1'"),
    (
        "http://ann:S3cretPW@127.0.0.1:9",
        "a site URL with a user name or password is not supported: 'http://ann:***@127.0.0.1:9'",
    ),
    ("http://127.0.0.1:99999", "not a port (1-65535)"),
]


@pytest.mark.parametrize(("url", "contains"), BASE_URL_CASES, ids=["label", "bracket", "credentials", "port"])
@pytest.mark.parametrize("command", ["crawl", "check"])
def test_bad_base_urls(tmp_path, capsys, url, contains, command):
    argv = (
        ["crawl", "kcnawatch", "--db", f"sqlite:///{tmp_path}/a.sqlite"]
        if command == "crawl"
        else ["check", "kcnawatch"]
    )
    status, out, err = run_main(capsys, *argv, "--base-url", url)
    assert_one_line(status, err, contains)
    assert "S3cretPW" not in out + err


def test_a_spider_argument_base_url_with_credentials(tmp_path, capsys):
    status, out, err = run_main(
        capsys,
        "crawl",
        "kcnawatch",
        "-a",
        "base_url=http://ann:S3cretPW@127.0.0.1:9",
        "--db",
        f"sqlite:///{tmp_path}/a.sqlite",
    )
    assert_one_line(status, err, "base_url: a site URL with a user name or password is not supported")
    assert "S3cretPW" not in out + err


def test_https_against_plain_http(tmp_path, capsys):
    with FaultServer({}) as server:
        url = server.base_url.replace("http://", "https://")
        status, _, err = run_main(
            capsys, "crawl", "kcnawatch", "--base-url", url, "--db", f"sqlite:///{tmp_path}/a.sqlite"
        )
    assert_one_line(status, err, f"cannot reach {url}: no TLS there")
    assert server.hits == {}  # the handshake was refused before any request
    assert not (tmp_path / "a.sqlite").exists()


@pytest.mark.parametrize(
    ("name", "contains"),
    [
        ("bytes", "bytes.toml: not UTF-8 text (byte 0xFF at offset"),
        ("fifo", "fifo.toml: not a regular file (a FIFO, a device or a socket)"),
        ("nested", "nested.toml: not valid TOML: nested too deep"),
        ("selector", "selector.toml: article.body: too long (119997 characters; at most 2000)"),
        ("relative", "relative.toml: start[0]: '//evil.example/x' is not on https://news.example"),
        ("delay", "delay.toml: download_delay: must be a number of seconds from 0 to 3600, got inf"),
    ],
)
def test_bad_files_in_the_sites_folder(tmp_path, capsys, name, contains):
    folder = sites_folder(tmp_path)
    status, _, err = run_main(capsys, "crawl", name, "--sites", str(folder), "--db", f"sqlite:///{tmp_path}/a.sqlite")
    assert_one_line(status, err, contains)


def test_bad_files_leave_the_other_spiders_alone(tmp_path, capsys):
    folder = sites_folder(tmp_path)
    check_spiders(["kcnawatch", "rstv", "good"], {"ARCHIVER_SITES": str(folder)})  # no error, no hang on the FIFO
    status, out, err = run_main(capsys, "sites", "--sites", str(folder))
    assert status == 2  # `archiver sites` says what is wrong, one line a file
    assert [line.split()[0] for line in out.splitlines()] == ["kcnawatch", "rstv", "good"]
    assert len(err.strip().splitlines()) == 6 and "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "contains"),
    [
        (
            ["backfill", "rstv", "--since", "0001-01-01", "--until", "9999-12-31"],
            "rstv: bad spider argument: since 0001-01-01 is before 2005-01-01, the site's first possible day",
        ),
        (["backfill", "rstv", "--since", "2024-01-01", "--until", "9999-12-31"], "until 9999-12-31 is in the future"),
        (["backfill", "kcnawatch", "--since", "1800-01-01"], "since 1800-01-01 is before 1900-01-01"),
        (["crawl", "kcnawatch", "-a", "since=0999-01-01"], "since 0999-01-01 is before 1900-01-01"),
    ],
    ids=["rstv-since", "rstv-until", "kcnawatch-since", "crawl-argument"],
)
def test_date_ranges_beyond_what_a_site_can_have(tmp_path, capsys, argv, contains):
    status, _, err = run_main(capsys, *argv, "--db", f"sqlite:///{tmp_path}/a.sqlite")
    assert_one_line(status, err, contains)
    assert not (tmp_path / "a.sqlite").exists()
    assert not (tmp_path / "a.sqlite.state").exists()  # no job folder made


@pytest.mark.parametrize(("command", "port"), [("browse", "-1"), ("mirror", "99999")])
def test_bad_ports_to_listen_on(capsys, command, port):
    argv = [command, "--port", port] if command == "browse" else [command, "kcnawatch", "--port", port]
    status, _, err = run_main(capsys, *argv)
    assert status == 2
    assert f"not a port (0-65535): '{port}'" in err and "Traceback" not in err


def main_on_a_full_disk(capsys, *argv: str) -> tuple[int, str]:
    """`archiver ARGV` with standard output on a full disk: every write fails with ENOSPC (at the
    latest when flushed). Set in the test's call itself: pytest's capture swaps sys.stdout per phase."""
    captured = sys.stdout
    with open("/dev/full", "w") as full:
        sys.stdout = full
        try:
            status, _, err = run_main(capsys, *argv)
        finally:
            sys.stdout = captured
    return status, err


@pytest.mark.parametrize(
    "argv",
    [["sql", "SELECT 1"], ["search", "missile"], ["stats"], ["runs"], ["health", "--max-age", "2d"]],
    ids=lambda argv: argv[0],
)
def test_output_to_a_full_disk(capsys, archive, argv):
    status, err = main_on_a_full_disk(capsys, *argv, "--db", archive)
    assert_one_line(status, err, "cannot write the output: No space left on device")


def test_sites_to_a_full_disk(capsys):
    status, err = main_on_a_full_disk(capsys, "sites")
    assert_one_line(status, err, "cannot write the output: No space left on device")


def test_the_crawl_summary_to_a_full_disk(tmp_path, capsys, monkeypatch):
    """The crawl itself is replaced by its outcome: what is tested is the printing of its summary."""
    ran = []

    def crawled(jobs, **kwargs):
        ran.append(list(jobs))
        return [RunSummary("kcnawatch", {"archiver/status": "ok", "response_received_count": 2})]

    monkeypatch.setattr("archiver.cli.crawl.run_exclusive", crawled)
    status, err = main_on_a_full_disk(capsys, "crawl", "kcnawatch", "--db", f"sqlite:///{tmp_path}/a.sqlite")
    assert ran == [["kcnawatch"]]
    assert_one_line(status, err, "cannot write the output: No space left on device")
