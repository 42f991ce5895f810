"""RSTV's entry pages: the entry (uCoz's `table.eBlock` cells, else the page's lines around the
title), its dateline, subtitle and language links, and requests for its other language versions.
Part of the spider (spiders/rstv.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

from archiver.items import ArticleItem, MissingVersionItem
from archiver.normalize.language import detect_language
from spiders.rstv_listings import RstvListings
from spiders.rstv_text import (
    LANGUAGES,
    PHOTO_LINE,
    SUBTITLE,
    TIME,
    TOTAL_COMMENTS,
    Line,
    collapse,
    details_fields,
    is_dateline,
    is_details_line,
    language_links,
    split_lines,
    squeeze,
)
from spiders.rstv_urls import ENTRY_PATH, SITE, SOURCE, entry_date


class RstvEntries(RstvListings):
    """The entry pages of RstvSpider (see the module)."""

    if TYPE_CHECKING:  # given by RstvSpider (spiders/rstv.py)

        @staticmethod
        def kind(request: scrapy.Request, kind: str) -> scrapy.Request: ...

    def parse_article(self, response: Response) -> Iterator[object]:
        """The entry, then requests for its other language versions.

        @url http://www.redstartv.org/blog/large_online_meeting_in_china_held/2023-07-25-683
        @returns items 1 1
        @returns requests 1
        @scrapes site url title paragraphs language url_date_raw dateline_raw category views author
        """
        if response.status >= 400:  # a linked version that is gone: noted, the group goes on
            self.count(f"rstv/missing_versions/{response.status}")
            yield MissingVersionItem(SITE, response.url, response.status, response.meta.get("linked_from"))
            return
        item = self.article_item(response)
        if item is None:
            self.count("rstv/articles_without_text")
            return
        yield item
        yield from self.note_sources(response, item.translation_urls)
        for url in item.translation_urls:
            if url != item.url:
                request = self.article_request(url, self.parse_article, listed_on=entry_date(url))
                if request is not None:
                    request.meta.update(handle_httpstatus_list=[404, 410], linked_from=item.url)
                    yield self.kind(request, "article")

    def article_item(self, response: Response) -> ArticleItem | None:
        """The entry's fields: uCoz's `table.eBlock` cells first, else the page's lines around the title."""
        parts = self.ucoz_parts(response) or self.text_parts(response)
        if parts is None:
            return None
        title, message, details = parts
        item = ArticleItem(
            site=SITE,
            url=response.url,
            title=title or None,
            source=SOURCE,
            date_order=self.date_order,
            dateline_nearest=True,
        )
        if match := ENTRY_PATH.match(urlsplit(response.url).path):
            item.url_date_raw = match.group(1)
        # Itself at least: the store then finds links to it from versions stored before (one-way links).
        item.translation_urls = [item.url]
        own_language = self.read_message(response, message, item)
        fields = details_fields(details)
        item.category = fields.get("category")  # type: ignore[assignment]
        item.views = fields.get("views")  # type: ignore[assignment]
        item.author = fields.get("author")  # type: ignore[assignment]
        tags = [t for t in (squeeze(t) for t in response.css("a.eTag::text").getall()) if t]
        item.tags = tags or fields.get("tags", [])  # type: ignore[assignment]
        comments = TOTAL_COMMENTS.search(squeeze(" ".join(response.xpath("//body//text()").getall())))
        item.comments = int(comments.group(1)) if comments else None
        text = " ".join([item.title or "", *item.paragraphs])
        item.language = detect_language(text, LANGUAGES) or own_language
        return item

    def ucoz_parts(self, response: Response) -> tuple[str, list[Line], str] | None:
        """(title, message lines, details text) from uCoz's default entry template, if the page has it."""
        block = response.css("table.eBlock")
        if not block or not block.css("td.eMessage"):
            return None
        cell = block.css("td.eTitle")
        # The cell opens with the time (`<div style="float:right">09:14</div>`): keep the rest.
        title = collapse("".join(cell.xpath("./text() | ./*[not(self::div)]//text()").getall()))
        details = " ".join(squeeze(t) for t in block.css("td.eDetails").xpath(".//text()").getall())
        return title, split_lines(block.css("td.eMessage")), details

    def text_parts(self, response: Response) -> tuple[str, list[Line], str] | None:
        """(title, message lines, details text) from any template: the title is the line after the
        posting time (or the page title's first part), the text runs to the details line."""
        lines = split_lines(response.xpath("//body"))
        hint = collapse((response.xpath("//title/text()").get() or "").split(" - ")[0])
        start = None
        for n, line in enumerate(lines):
            time = TIME.match(line.collapsed)
            if time and (time.group(2) or n + 1 < len(lines)):
                title = time.group(2) or lines[n + 1].collapsed
                if not hint or title == hint:
                    start = n + (1 if time.group(2) else 2)
                    break
        if start is None and hint:
            start = next((n + 1 for n, line in enumerate(lines) if line.collapsed == hint), None)
            title = hint
        if start is None:
            return None
        end = next((n for n in range(start, len(lines)) if is_details_line(lines[n].plain)), None)
        if end is None:
            return None
        details: list[str] = []
        for line in lines[end : end + 8]:
            if not is_details_line(line.plain) and details:
                break
            details.append(line.plain)
        return title, lines[start:end], " | ".join(details)

    def read_message(self, response: Response, lines: list[Line], item: ArticleItem) -> str | None:
        """Dateline, photo link, language links and subtitle from the opening lines; the rest is body.

        Returns the language the link line names for this page (its own name), if any.
        """
        own_language = None
        head = True
        for line in lines:
            text = line.plain
            if head and item.dateline_raw is None and not item.paragraphs and is_dateline(text):
                item.dateline_raw = line.collapsed
                continue
            if PHOTO_LINE.match(text) or (any("/photo/" in href for href, _ in line.links) and len(text) < 40):
                continue
            versions = language_links(line)
            if versions is not None:
                urls = {item.url}
                for code, href in versions:
                    url = self.entry_url(response, href) if href else None
                    if url:
                        urls.add(url)
                    if href is None or url == item.url:
                        own_language = code
                item.translation_urls = sorted(urls)
                continue
            if head and item.subtitle is None and not item.paragraphs and (subtitle := SUBTITLE.match(text)):
                item.subtitle = subtitle.group(1)
                continue
            if text.lower() == "avatar":
                continue
            head = False
            item.paragraphs.append(line.text)
        return own_language
