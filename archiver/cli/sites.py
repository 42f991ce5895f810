"""`archiver sites [--sites DIR]`: the built-in spiders and the site profiles, each a name to crawl."""

from __future__ import annotations

import argparse
import sys

from archiver.cli.options import add_sites_option, sites_settings


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("sites", help="list the built-in spiders and the site profiles")
    add_sites_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from archiver.crawl.runner import spider_loader

    loader = spider_loader(sites_settings(args))
    infos = loader.describe()
    width = max(len(info.name) for info in infos)
    for info in infos:
        about = f": {info.description}" if info.description else ""
        print(f"{info.name:<{width}}  {info.kind:<8}  {info.base_url}  ({info.origin}){about}")
    for error in loader.errors.values():
        print(f"archiver: error: site profile {error}", file=sys.stderr)
    return 2 if loader.errors else 0
