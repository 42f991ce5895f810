"""KCNA Watch's article pages: the article, its "More From" entries, the articles and listings it links.

The body is `div.article-content`; the meta line is read by its labels (`Date:`, `Source:`, "Read
original version at source"); the title and signature as spiders/kcnawatch_markup.py finds them.
Part of the spider (spiders/kcnawatch.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from parsel import Selector
from scrapy.http import Response, TextResponse

from archiver.items import ArticleItem, ListingEntryItem
from archiver.normalize.urls import canonical_url
from spiders.kcnawatch_listings import KcnaWatchListings
from spiders.kcnawatch_markup import is_chrome, is_title, json_ld_headline, page_title
from spiders.kcnawatch_site import (
    ARTICLE_PATH,
    MORE_FROM_PREFIX,
    SITE,
    SITE_TIMEZONE,
    SOURCE_LISTING_PATH,
    element_text,
    text_of,
)

DATE_LABEL = re.compile(r"Date:\s*(\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{4})")
SOURCE_LABEL = re.compile(r"Source:\s*(.+?)\s*(?:\||Read original version at source|Date:|$)")
ORIGINAL_LINK_TEXT = "read original version at source"
#: A dispatch's last line naming the agency (not body text): "KCNA", "Rodong Sinmun", "(KCNA)"…
AGENCY_SIGNATURE = re.compile(
    r"^[\s(\-–—/]*(?:KCNA|Korean Central News Agency|Rodong Sinmun|Minju Joson|Joson Sinbo|KASS|Naenara|"
    r"The Pyongyang Times|Pyongyang Times|Voice of Korea|Uriminzokkiri|Uriminjokkiri|Tongil Sinbo|Meari|"
    r"Arirang Meari|DPRK Today|Ryomyong|Sogwang|Korea Today|Foreign Trade|조선중앙통신|조선중앙통신사|로동신문|"
    r"민주조선|조선의 소리|우리민족끼리|메아리|통일신보)[\s)\-–—/.]*$",
    re.IGNORECASE,
)
CONTENT_XPATH = "//div[contains(concat(' ', normalize-space(@class), ' '), ' article-content ')]"


WRAPPER_TAG = re.compile(r"<(/?)(?:div|section|span|article|aside|header)\b([^>]*)>", re.IGNORECASE)


def flatten_wrappers(html: str) -> str:
    """The page without its wrapper tags (div, section, span…), the body's `div.article-content` kept
    open: paragraphs, headings, links and text stay, however deep the wrappers were nested."""

    def replace(match: re.Match[str]) -> str:
        if not match.group(1) and "article-content" in match.group(2):
            return '<div class="article-content">'
        return "\n"

    return WRAPPER_TAG.sub(replace, html)


HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")


def language_of(paragraphs: list[str]) -> str:
    """The site publishes English and Korean: "ko" when Hangul is most of the letters, else "en"."""
    text = "".join(paragraphs)
    if not HANGUL.search(text):
        return "en"  # without counting the letters of every English page
    letters = sum(ch.isalpha() for ch in text)
    return "ko" if letters and len(HANGUL.findall(text)) * 2 > letters else "en"


class KcnaWatchArticles(KcnaWatchListings):
    """The article pages of KcnaWatchSpider (see the module)."""

    def parse_article(self, response: Response) -> Iterator[object]:
        """The article itself, then every "More From" entry, the articles it links, its source listing.

        @url https://kcnawatch.org/newstream/1729688400-811236574/basic-party-organizations-should-be-strengthened-further-organizationally-and-id/
        @returns items 21
        @scrapes site source
        """
        assert isinstance(response, TextResponse)  # article pages are HTML (and response.text is read below)
        page: Selector = response.selector
        item = self.article_item(response, page)
        if item is None or not item.paragraphs:
            # Nesting too deep for the HTML parser (it stops at a few thousand levels): read the page
            # again without its wrapper tags; the paragraphs, labels and links are all still there.
            page = Selector(text=flatten_wrappers(response.text))
            item = self.article_item(response, page) or item
        if item is not None:
            yield item
        yield from self.more_from(response, page)
        # Other articles the page links to (a sidebar): requested when the run wants them. The source
        # listing ("Source:", "More Articles") is walked like a start listing, to the first page of
        # archived entries: its first 20 entries are the "More From" block's, so a side walk (on while
        # something is new) would stop at once on a first crawl and never reach the older ones.
        listings = []
        for anchor in page.root.iter("a"):  # the lxml tree: a Selector per link cost more than the rest
            url = self.link(response, anchor.get("href"))
            if not url:
                continue
            path = urlsplit(url).path
            if (match := ARTICLE_PATH.search(path)) and url != response.url:
                day = self._entry_dates.date_from_epoch(match.group(1), tz=SITE_TIMEZONE).value
                if request := self.article_request(url, self.parse_article, listed_on=day):
                    yield request
            elif SOURCE_LISTING_PATH.match(path):
                listings.append((url, Selector(root=anchor, type="html")))
        yield from self.walk_sources(response, listings)

    def article_item(self, response: Response, page: Selector) -> ArticleItem | None:
        found = page.xpath(CONTENT_XPATH)
        if not found:
            self.count("kcnawatch/article_without_body")
            return None
        content = found[0]
        paragraphs = self.paragraphs(content)
        signature = None
        if paragraphs and len(paragraphs[-1]) <= 60 and AGENCY_SIGNATURE.match(paragraphs[-1]):
            signature = paragraphs.pop()
        header = " ".join(
            " ".join(
                content.xpath("preceding::text()[not(ancestor::script or ancestor::style or ancestor::head)]").getall()
            ).split()
        )
        date_match = DATE_LABEL.search(header)
        source_match = SOURCE_LABEL.search(header)
        original = None
        for anchor in page.xpath("//a[@href]"):
            if ORIGINAL_LINK_TEXT in (text_of(anchor) or "").lower():
                original = anchor.attrib["href"].strip() or None
                break
        url = canonical_url(response.url)
        match = ARTICLE_PATH.search(urlsplit(url).path)
        return ArticleItem(
            site=SITE,
            url=url,
            title=self.title(page, content) or self.listed_titles.get(url),
            source=source_match.group(1).strip() if source_match else None,
            date_raw=date_match.group(1) if date_match else None,
            url_date_raw=match.group(1) if match else None,
            original_url=original,
            paragraphs=paragraphs,
            signature=signature,
            language=language_of(paragraphs),
            date_order=self.date_order,
            timezone=SITE_TIMEZONE,
        )

    @staticmethod
    def paragraphs(content: Selector) -> list[str]:
        """The body's paragraphs, however deep an unclosed tag has put them; none of a "More From"
        block an unclosed tag has pulled inside."""
        inside = content.xpath(".//*[self::h2 or self::h3 or self::h4][starts-with(normalize-space(.), 'More From ')]")
        after_more_from = {p.root for p in inside[0].xpath("following::p")} if inside else set()
        found = [text for p in content.xpath(".//p") if p.root not in after_more_from and (text := text_of(p))]
        if not found and (text := text_of(content)):
            found = [text]
        return found

    @staticmethod
    def title(page: Selector, content: Selector) -> str | None:
        """The article's own title, never the site's chrome: the nearest heading before the body that
        is not the masthead's, a widget's or "More From"; else `og:title`, `twitter:title` or a
        JSON-LD `headline`; else `<title>` without the site's name. (Else the spider falls back on the
        title a listing or the feed gave.) A value that is the site's name is no title."""
        for heading in content.xpath("preceding::*[self::h1 or self::h2]")[::-1]:
            text = text_of(heading)
            if (
                text
                and not is_chrome(heading, content)
                and not text.startswith(MORE_FROM_PREFIX.strip())
                and is_title(text)
            ):
                return text
        for name in ("og:title", "twitter:title"):
            if value := page_title(page.xpath(f"//meta[@property='{name}' or @name='{name}']/@content").get()):
                return value
        for script in page.xpath("//script[contains(@type, 'ld+json')]/text()").getall():
            if headline := page_title(json_ld_headline(script)):
                return headline
        return page_title(page.xpath("//title/text()").get())

    def more_from(self, response: Response, page: Selector) -> Iterator[object]:
        """ "More From NAME" entries (found by the heading's text) and their articles."""
        headings = page.xpath(
            "//*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::div or self::span or self::strong]"
            "[starts-with(normalize-space(.), 'More From ')]"
            "[not(.//*[starts-with(normalize-space(.), 'More From ')])]"
        )
        if not headings:
            return
        heading = headings[0]
        source = (text_of(heading) or "").removeprefix(MORE_FROM_PREFIX.strip()).strip() or None
        block = heading.xpath("..")[0]
        entries = []
        for url, container in self.linked_articles(response, block):
            root = container.root  # read on the lxml tree: twenty entries a page, each its own XPath before
            teasers = [
                element_text(a)
                for a in root.iterdescendants("a")
                if (href := a.get("href")) is not None and self.link(response, href) == url
            ]
            teaser = max((t for t in teasers if t), key=len, default=None)
            if teaser is None:
                teaser = next((t for p in root.iterdescendants("p") if (t := element_text(p))), None)
            entries.append(
                ListingEntryItem(
                    site=SITE,
                    article_url=url,
                    found_on=response.url,
                    kind="more_from",
                    source=source,
                    teaser_raw=teaser,
                    date_raw=self._entry_date_text(container),
                    date_order=self.date_order,
                    timezone=SITE_TIMEZONE,
                )
            )
        yield from entries
        yield from self.article_requests(entries, self.parse_article)
