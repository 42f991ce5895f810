"""KCNA Watch's feed `/newstream/feed/`: its items as listing entries, read with lxml's recovering parser
(the feed is sometimes malformed XML), and whether the run goes on to the listings.
Part of the spider (spiders/kcnawatch.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import scrapy
from lxml import etree
from scrapy.http import Response
from w3lib.html import remove_tags

from archiver.archive.incremental import START, Entry
from archiver.items import ListingEntryItem
from archiver.normalize.dates import site_zone, zoned_time
from spiders.kcnawatch_listings import KcnaWatchListings
from spiders.kcnawatch_markup import is_title
from spiders.kcnawatch_site import ARTICLE_PATH, SITE, SITE_TIMEZONE

FEED_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=True)


def listing_day(published: str | None) -> str | None:
    """A feed item's time (`Wed, 25 Jun 2025 21:02:46 +0000`) as the site lists it: its Pyongyang day,
    `June 26, 2025`. Every sighting of an entry (feed, listing, "More From") then gives the same
    date_raw, whichever the archive stores first. A time it cannot read is kept as printed."""
    published = (published or "").strip()
    if not published:
        return None
    moment = zoned_time(published)
    if moment is None:
        return published
    return moment.astimezone(site_zone(SITE_TIMEZONE)).strftime("%B %d, %Y")


class KcnaWatchFeed(KcnaWatchListings):
    """The feed of KcnaWatchSpider (see the module)."""

    if TYPE_CHECKING:  # given by KcnaWatchSpider (spiders/kcnawatch.py)

        def note(self, text: str) -> None: ...

    def parse_feed(self, response: Response) -> Iterator[object]:
        """Every item of the feed that can be read, as a listing entry; the listings after it unless
        it holds nothing new; the listings instead when it cannot be read at all.

        @url https://kcnawatch.org/newstream/feed/
        @returns items 1
        @scrapes site article_url title date_raw
        """
        entries = self.feed_entries(response)
        started = response.meta.get("kcnawatch_listings_started")
        if not entries:
            self.count("kcnawatch/feed_unreadable")
            response.meta["archiver_may_be_empty"] = True  # said in the summary; the listings stand in
            if not started:
                self.note("kcnawatch: the feed could not be read; fell back to the listings")
                yield from self.listing_requests(self.configured_sources())
            return
        yield from entries
        stop = self.policy.why_stop([Entry(e.article_url, self.entry_date(e)) for e in entries], START)
        stop = stop or self.reached_archive(entries)
        yield from self.walk_listing(
            response, entries, None, article_callback=self.parse_article, listing_callback=self.parse_listing
        )
        yield from self.feed_discovery(entries)
        if started:
            return
        if stop is None:
            yield from self.listing_requests(self.configured_sources())
        else:
            self.count(f"walk/stopped/{stop}")

    def feed_discovery(self, entries: list[ListingEntryItem]) -> Iterator[scrapy.Request]:
        """For each source the feed names (an item's category) that no listing has named: one of its
        articles, even outside the run's dates, for its page's "Source:" link (not with `-a sources`)."""
        if self.configured_sources():
            return
        named = {s.name for s in self.known()} | {s.name for s in self.source_log.seen.values()}
        for entry in entries:
            if entry.source and entry.source not in named:
                named.add(entry.source)
                yield from self.discovery_request([entry])

    def feed_entries(self, response: Response) -> list[ListingEntryItem]:
        try:
            root = etree.fromstring(response.body, FEED_PARSER)
        except etree.XMLSyntaxError:
            root = None
        if root is None:
            return []
        entries = []
        for item in root.iter("item", "{*}item", "{*}entry"):
            link = (item.findtext("link") or "").strip()
            if not link:
                atom = item.find("{*}link")
                link = atom.get("href", "") if atom is not None else ""
            url = self.link(response, link)
            if not url or not ARTICLE_PATH.search(urlsplit(url).path):
                continue
            title = " ".join((item.findtext("title") or "").split()) or None
            title = title if is_title(title) else None
            if title:
                self.listed_titles.setdefault(url, title)
            description = item.findtext("description") or item.findtext("{*}summary") or ""
            entries.append(
                ListingEntryItem(
                    site=SITE,
                    article_url=url,
                    found_on=response.url,
                    kind="feed",
                    title=title,
                    source=(item.findtext("category") or "").strip() or None,
                    teaser_raw=" ".join(remove_tags(description).split()) or None,
                    date_raw=listing_day(item.findtext("pubDate") or item.findtext("{*}published")),
                    date_order=self.date_order,
                    timezone=SITE_TIMEZONE,
                )
            )
        return entries
