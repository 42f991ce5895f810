"""`python -m archiver.research.datasette_serve serve …`: Datasette's own command line, with the
archive's plugin (archiver/research/datasette_plugin.py) loaded: `archiver browse` runs this."""

from __future__ import annotations

from datasette.cli import cli
from datasette.plugins import pm

from archiver.research import datasette_plugin


def main() -> None:
    if not pm.is_registered(datasette_plugin):
        pm.register(datasette_plugin, name=datasette_plugin.NAME)
    cli()


if __name__ == "__main__":
    main()
