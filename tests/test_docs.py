"""The documentation cannot drift from the code: every command and option of the `archiver` parser
appears in README.md or docs/, and the schema in docs/research.md is the models' schema.

Both read the code, not a list: a command or a column added elsewhere is covered once it exists.
"""

from __future__ import annotations

import argparse
import re

import pytest

from archiver.archive.models import Base
from archiver.cli import build_parser
from tests.support.cli import PROJECT

DOCS = [PROJECT / "README.md", *sorted((PROJECT / "docs").glob("*.md"))]
# argparse's own options, the same in every command.
UNDOCUMENTED_OPTIONS = {"-h", "--help"}


def docs_text() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in DOCS)


def subcommands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    """(words, parser) for every command under `parser`: ("crawl",), ("db", "upgrade"), …"""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name), sub
                yield from subcommands(sub, (*prefix, name))


def options(parser: argparse.ArgumentParser) -> list[tuple[str, ...]]:
    """The option strings of each of the parser's options (("--set", "-s"), ("--db",) …), help aside."""
    return [
        tuple(action.option_strings)
        for action in parser._actions
        if action.option_strings and not set(action.option_strings) & UNDOCUMENTED_OPTIONS
    ]


def mentioned(option: str, text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(option)}\b", text) is not None


def undocumented(parser: argparse.ArgumentParser, text: str) -> list[str]:
    """The options of which no spelling appears in `text`."""
    return [" / ".join(spellings) for spellings in options(parser) if not any(mentioned(o, text) for o in spellings)]


COMMANDS = dict(subcommands(build_parser()))


def test_the_parser_has_the_commands_we_know() -> None:
    """The walk itself works (a broken walk would make the tests below pass on nothing)."""
    names = {" ".join(words) for words in COMMANDS}
    assert {"crawl", "backfill", "worker", "search", "sql", "export", "stats", "db", "db upgrade"} <= names
    assert ("--db",) in options(COMMANDS[("crawl",)])


@pytest.mark.parametrize("words", sorted(COMMANDS), ids=" ".join)
def test_every_command_is_documented(words: tuple[str, ...]) -> None:
    command = "archiver " + " ".join(words)
    assert re.search(rf"{re.escape(command)}\b", docs_text()), f"`{command}` appears nowhere in README.md or docs/"


@pytest.mark.parametrize("words", sorted(COMMANDS), ids=" ".join)
def test_every_option_is_documented(words: tuple[str, ...]) -> None:
    missing = undocumented(COMMANDS[words], docs_text())
    assert missing == [], f"options of `archiver {' '.join(words)}` missing from README.md and docs/: {missing}"


def test_the_top_level_options_are_documented() -> None:
    assert undocumented(build_parser(), docs_text()) == []


def documented_schema() -> dict[str, set[str]]:
    """Table → columns, from the tables under "## The schema" in docs/research.md: a bold `name`
    line, then a table whose first cells name the columns (several per cell, in backticks)."""
    research = (PROJECT / "docs" / "research.md").read_text(encoding="utf-8")
    section = research.split("\n## The schema\n", 1)[1].split("\n## ", 1)[0]
    schema: dict[str, set[str]] = {}
    table = None
    for line in section.splitlines():
        if heading := re.match(r"\*\*`(\w+)`\*\*", line):
            table = heading.group(1)
        elif table and line.startswith("| `"):
            first_cell = line.split("|")[1]
            schema.setdefault(table, set()).update(re.findall(r"`(\w+)`", first_cell))
        elif table and line.startswith("**"):
            table = None
    return schema


def test_the_documented_schema_is_the_models_schema() -> None:
    documented = documented_schema()
    models = {name: {column.name for column in table.columns} for name, table in Base.metadata.tables.items()}
    assert sorted(documented) == sorted(models), "tables documented in docs/research.md vs archiver/archive/models.py"
    for name, columns in models.items():
        assert documented[name] == columns, (
            f"{name}: missing from docs/research.md {sorted(columns - documented[name])}, "
            f"not in the model {sorted(documented[name] - columns)}"
        )
