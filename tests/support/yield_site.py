"""A small loopback news site whose markup a test can change between two crawls (issue 16).

`Markup` says how the site renders its pages; `YieldSite(...)` is a MirrorServer site (a callable)
that a test rebuilds with other markup between runs. Its spider is tests/support/yield_spiders.py
(`yieldsite`), found by the CLI through $ARCHIVER_SPIDER_MODULES (see `SPIDER_ENV`).

Listing `/list/` and `/list/?pageN` (PER_PAGE entries each, newest first), articles `/story/N`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from html import escape

from archiver.mirror.server import Resource

PER_PAGE = 6
SPIDER_ENV = {"ARCHIVER_SPIDER_MODULES": "tests.support.yield_spiders"}
ROBOTS = Resource(b"User-agent: *\nDisallow: /private/\n", "text/plain")


@dataclass(frozen=True)
class Markup:
    """How pages are rendered; the defaults are what the spider expects."""

    entry_class: str = "entry"  # another value: the spider finds no entries
    date_class: str = "entry-date"  # another value: entries without a date
    teaser_class: str = "entry-teaser"
    article_dates: bool = True  # False: article pages print no date
    body_class: str = "story-body"  # another value: articles without a body


GOOD = Markup()
NEW_LISTING_MARKUP = replace(GOOD, entry_class="post")
LISTING_WITHOUT_DATES = replace(GOOD, date_class="posted-on")
LISTING_WITHOUT_TEASERS = replace(GOOD, teaser_class="summary")
ARTICLES_WITHOUT_DATES = replace(GOOD, article_dates=False)
ARTICLES_WITHOUT_BODY = replace(GOOD, body_class="content-area")


@dataclass(frozen=True)
class Story:
    number: int
    day: date

    @property
    def path(self) -> str:
        return f"/story/{self.number}"

    @property
    def title(self) -> str:
        return f"Story number {self.number} of the day"

    @property
    def paragraphs(self) -> list[str]:
        return [f"Paragraph one of story {self.number}: a meeting was held.", f"It ended on day {self.number}."]


def stories(count: int, first: int = 1, start: date = date(2024, 1, 1)) -> list[Story]:
    return [Story(n, start + timedelta(days=n)) for n in range(first, first + count)]


def page(title: str, main: str) -> str:
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(title)}</title></head><body><main>{main}</main></body></html>"


def listing_path(number: int) -> str:
    return "/list/" if number == 1 else f"/list/?page{number}"


def render_listing(chunk: list[Story], number: int, count: int, markup: Markup) -> str:
    entries = "\n".join(
        f'<div class="{markup.entry_class}"><a class="entry-title" href="{s.path}">{escape(s.title)}</a>'
        f' <span class="{markup.date_class}">{s.day:%d.%m.%Y}</span>'
        f'<p class="{markup.teaser_class}">{escape(s.paragraphs[0][:30])}</p></div>'
        for s in chunk
    )
    more = f'<a class="next" href="{listing_path(number + 1)}">Older</a>' if number < count else ""
    return page("News", f'<div class="entries">{entries}</div>{more}')


def render_article(story: Story, markup: Markup) -> str:
    dated = f'<p class="dateline">{story.day:%d.%m.%Y}</p>' if markup.article_dates else ""
    body = "".join(f"<p>{escape(p)}</p>" for p in story.paragraphs)
    return page(
        story.title,
        f'<h1 class="headline">{escape(story.title)}</h1>{dated}<div class="{markup.body_class}">{body}</div>',
    )


def build(items: list[Story], markup: Markup = GOOD) -> dict[str, Resource]:
    ordered = sorted(items, key=lambda s: s.number, reverse=True)
    chunks = [ordered[i : i + PER_PAGE] for i in range(0, len(ordered), PER_PAGE)] or [[]]
    pages = {"/robots.txt": ROBOTS}
    for number, chunk in enumerate(chunks, start=1):
        pages[listing_path(number)] = Resource(render_listing(chunk, number, len(chunks), markup).encode())
    for story in ordered:
        pages[story.path] = Resource(render_article(story, markup).encode())
    pages["/private/secret"] = Resource(render_article(Story(999, date(2024, 1, 1)), markup).encode())
    return pages


class YieldSite:
    """A MirrorServer site that a test rebuilds with other stories or markup between crawls."""

    def __init__(self, items: list[Story], markup: Markup = GOOD) -> None:
        self.rebuild(items, markup)

    def rebuild(self, items: list[Story], markup: Markup = GOOD) -> None:
        self.pages = build(items, markup)

    def __call__(self, target: str) -> Resource | None:
        return self.pages.get(target)
