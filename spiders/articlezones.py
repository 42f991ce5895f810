"""What of a page belongs to its article: the element around the title and the body text, and
the parts inside it that belong to other pages or to no one (spiders/pagedates.py reads dates there).

The article's scope is the smallest element holding both its title heading and its body text,
widened to the `<article>` (or article-typed microdata item) around it, so that its own header and
footer belong to it. Inside, `Zones.excluded` says what does not: cards of other stories (an element
in which a heading links to another story; links to an author's or a topic's page do not count),
related, recent, popular and "more" lists, comments (and microdata `Comment`s), sidebars, widgets,
menus, share bars, breadcrumbs, tickers; and where the scope is the whole page, its header and footer.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from scrapy.http import Response

HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
TOKENS = re.compile(r"[\s_\-]+")
#: Class or id tokens of what is not the article: other stories, comments, furniture.
OTHER_ZONES = frozenset(
    [
        "related",
        "relatedposts",
        "recent",
        "popular",
        "trending",
        "mostread",
        "most",
        "more",
        "also",
        "recommended",
        "recommend",
        "recommendations",
        "readnext",
        "next",
        "prev",
        "previous",
        "sidebar",
        "widget",
        "widgets",
        "comment",
        "comments",
        "commentlist",
        "respond",
        "reply",
        "replies",
        "discussion",
        "share",
        "sharing",
        "social",
        "newsletter",
        "promo",
        "advert",
        "ads",
        "sponsored",
        "breadcrumb",
        "breadcrumbs",
        "menu",
        "nav",
        "navigation",
        "pagination",
        "paginav",
        "outbrain",
        "taboola",
        "rail",
        "ticker",
        "latest",
        "masthead",
        "topbar",
        "today",
        "current",
        "yarpp",
    ]
)
#: Links that lead to a person or a topic, not to another story (a byline's `<h4><a>Author</a></h4>`).
NOT_STORY_RELS = frozenset(("author", "tag", "category"))
NOT_STORY_PATHS = frozenset(
    [
        "author",
        "authors",
        "by",
        "writer",
        "writers",
        "contributor",
        "contributors",
        "user",
        "users",
        "profile",
        "profiles",
        "people",
        "staff",
        "tag",
        "tags",
        "category",
        "categories",
        "topic",
        "topics",
        "section",
        "sections",
    ]
)
FURNITURE_TAGS = frozenset(("nav", "aside"))
PAGE_FURNITURE_TAGS = frozenset(("nav", "aside", "header", "footer"))
FURNITURE_ROLES = frozenset(("navigation", "complementary", "banner", "contentinfo"))
HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
TOKENS = re.compile(r"[\s_\-]+")


def squeeze(text: str | None) -> str:
    return " ".join((text or "").split())


def tokens_of(element) -> set[str]:
    names = f"{element.get('class') or ''} {element.get('id') or ''}".lower()
    return {token for token in TOKENS.split(names) if token}


def same_page(url: str | None) -> str:
    """An address as compared with the page's: host without `www.`, path without its final slash."""
    parts = urlsplit((url or "").strip())
    host = (parts.hostname or "").removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}"


def canonical_address(response: Response) -> str | None:
    """The address the page gives itself (`<link rel=canonical>`, else `og:url`), absolute."""
    for href in response.xpath("//link[@rel='canonical']/@href | //meta[@property='og:url']/@content").getall():
        if href.strip():
            return response.urljoin(href.strip())
    return None


def page_addresses(response: Response) -> set[str]:
    """The page's own address, its canonical and its `og:url`, as `same_page` gives them."""
    found = {response.url}
    for href in response.xpath("//link[@rel='canonical']/@href | //meta[@property='og:url']/@content").getall():
        found.add(response.urljoin(href.strip()))
    return {same_page(url) for url in found if url}


def body_block(root):
    """The element holding the most text in its own paragraphs (or its own `<br>`-separated lines)."""
    best, best_size = None, 0
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag in ("script", "style", "head"):
            continue
        size = len(squeeze(element.text))
        for child in element:
            if child.tag == "p":
                size += len(squeeze(child.text_content()))
            size += len(squeeze(child.tail))
        if size > best_size:
            best, best_size = element, size
    return best


def title_element(root, title: str | None):
    """The heading that shows the article's title (an `<h1>` first)."""
    wanted = squeeze(title).casefold()
    headings = [h for h in root.iter(*HEADINGS)]
    if wanted:
        for tags in (("h1",), tuple(HEADINGS)):
            for heading in headings:
                if heading.tag in tags and squeeze(heading.text_content()).casefold() == wanted:
                    return heading
    return None


def common_ancestor(first, second):
    ancestors = [first, *first.iterancestors()]  # held: lxml's element proxies live as long as referenced
    for element in (second, *second.iterancestors()):
        if any(element is a for a in ancestors):
            return element
    return None


def article_scope(root, title: str | None):
    """The element around the article's title and its body text: the smallest holding both, widened
    to the `<article>` or article-typed microdata item around it (its own header and footer)."""
    heading, body = title_element(root, title), body_block(root)
    if heading is not None and body is not None:
        scope = common_ancestor(heading, body)
    else:
        scope = body.getparent() if body is not None and body.getparent() is not None else body
    if scope is None:
        found = root.xpath("//main | //*[@role='main']")
        scope = found[0] if found else (root.find("body") if root.find("body") is not None else root)
    for ancestor in (scope, *scope.iterancestors()):
        if ancestor.tag == "article" or "article" in (ancestor.get("itemtype") or "").lower():
            return ancestor
    return scope


class Zones:
    """Which elements of a scope belong to the article (not to other stories, comments, furniture)."""

    def __init__(self, scope, heading, addresses: set[str], base_url: str) -> None:
        self.scope = scope
        self.heading = heading
        self.addresses = addresses
        self.base_url = base_url
        self.wide = scope.tag in ("body", "html", "main") or scope.get("role") == "main"
        self._verdicts: dict[object, bool] = {}  # keyed by element (kept alive, so its proxy is stable)

    def excluded(self, element) -> bool:
        """Whether `element` lies in another story, a comment, or page furniture."""
        for ancestor in (element, *element.iterancestors()):
            if ancestor is self.scope:
                return False
            if ancestor not in self._verdicts:
                self._verdicts[ancestor] = self._other(ancestor)
            if self._verdicts[ancestor]:
                return True
        return False  # outside the scope: meta in <head> and the like

    def _other(self, element) -> bool:
        if not isinstance(element.tag, str):
            return False
        tags = PAGE_FURNITURE_TAGS if self.wide and not self._in_article(element) else FURNITURE_TAGS
        if element.tag in tags or (element.get("role") or "") in FURNITURE_ROLES:
            return True
        if tokens_of(element) & OTHER_ZONES:
            return True
        if "comment" in (element.get("itemtype") or "").lower():
            return True
        return self._card(element)

    def _in_article(self, element) -> bool:
        return any(a.tag == "article" for a in element.iterancestors()) and element.tag != "article"

    def _card(self, element) -> bool:
        """An element that stands for another page: a heading in it links elsewhere (a story card, a
        teaser, an entry of a "more posts" list). The element around the article's title never is."""
        if self.heading is not None and (element is self.heading or _contains(element, self.heading)):
            return False
        for heading in element.iter(*HEADINGS):
            links = [*heading.iter("a"), *(a for a in heading.iterancestors("a"))]
            if any(self._elsewhere(link) for link in links):
                return True
        return False

    def _elsewhere(self, link) -> bool:
        """Whether a link leads to another story (not this page, not an author's or a topic's page)."""
        href = (link.get("href") or "").strip()
        if (
            not href
            or href.startswith(("#", "javascript:", "mailto:"))
            or set((link.get("rel") or "").split()) & NOT_STORY_RELS
        ):
            return False
        target = urljoin(self.base_url, href)
        first = urlsplit(target).path.strip("/").split("/", 1)[0].lower()
        return first not in NOT_STORY_PATHS and same_page(target) not in self.addresses


def _contains(ancestor, element) -> bool:
    return any(a is ancestor for a in element.iterancestors())
