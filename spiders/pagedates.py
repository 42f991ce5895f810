"""The dates an article page states, as raw candidates (archiver/normalize/datechoice.py chooses).

Extraction only, as everywhere in spiders: each candidate is `{"source", "role", "raw"}` (and
`"order"` or `"weight"` where the page decides them), and the dates pipeline reads and weighs them.

Where a page states its own date, and how this module finds it:

- **JSON-LD** (`jsonld`): of the items of every `application/ld+json` script (arrays and `@graph`
  included), the article or web page whose `url`, `@id` or `mainEntityOfPage` is the page (its
  address, `<link rel=canonical>` or `og:url`); failing that, the page's only article item. Its
  `datePublished` and `dateModified`, never those of the items it lists (related stories, live
  updates).
- **`<meta>`** (`meta`): Open Graph `article:published_time` / `article:modified_time` /
  `og:updated_time`, Dublin Core, Parse.ly, Sailthru, `pubdate`, `date` and the like.
- **The article itself**: the element around the title and the body text (spiders/articlezones.py). In it,
  microdata `itemprop=datePublished` / `dateModified` (`itemprop`), RDFa `dc:created` (`rdfa`),
  `<time>` (`time`: its `datetime`, and its text as a printed date), and dates printed in bylines and
  date lines, or in a short line beside the title (`text`), with their labels: "Updated 5 March" is a
  modification. Never inside what
  belongs to other pages or to nobody: cards of other stories (an element linking elsewhere from a
  heading), related/recent/popular lists, comments, sidebars, widgets, menus, share bars, the site's
  header and footer.
- **The URL** (`url`, `url_month`): `/2023/11/08/`, `2023-11-08`, `/20231108/`, or `/2023/11/`.
- **htmldate** (`htmldate`, a hint): its reading of the page's visible text, structured data and
  page furniture taken out, where the structured dates leave the day open.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator
from copy import deepcopy
from datetime import date
from urllib.parse import urlsplit

from scrapy.http import Response, TextResponse

from spiders.articlezones import (
    HEADINGS,
    OTHER_ZONES,
    Zones,
    article_scope,
    canonical_address,
    page_addresses,
    same_page,
    squeeze,
    title_element,
    tokens_of,
)

logging.getLogger("htmldate").setLevel(logging.ERROR)

ARTICLE_TYPES = frozenset(
    [
        "article",
        "newsarticle",
        "blogposting",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "reviewnewsarticle",
        "backgroundnewsarticle",
        "askpublicnewsarticle",
        "satiricalarticle",
        "techarticle",
        "report",
        "scholarlyarticle",
        "liveblogposting",
        "socialmediaposting",
        "posting",
    ]
)
PAGE_TYPES = frozenset(("webpage", "itempage"))
META_PUBLISHED = frozenset(
    [
        "article:published_time",
        "og:article:published_time",
        "article:published",
        "og:published_time",
        "published_time",
        "datepublished",
        "pubdate",
        "publishdate",
        "publish-date",
        "publish_date",
        "publication_date",
        "date",
        "dc.date",
        "dc.date.issued",
        "dc.date.created",
        "dcterms.issued",
        "dcterms.created",
        "dcterms.date",
        "parsely-pub-date",
        "sailthru.date",
        "article.published",
        "article_date_original",
        "original-publish-date",
        "cxenseparse:recs:publishtime",
        "citation_publication_date",
        "rnews:datepublished",
        "bt:pubdate",
        "og:pubdate",
    ]
)
META_MODIFIED = frozenset(
    [
        "article:modified_time",
        "og:article:modified_time",
        "og:updated_time",
        "og:modified_time",
        "article:modified",
        "modified_time",
        "datemodified",
        "dc.date.modified",
        "dcterms.modified",
        "article.updated",
        "updated_time",
        "parsely-updated",
    ]
)
RDFA_ROLES = {"dc:created": "published", "dc:date": "published", "schema:datepublished": "published",
              "dc:modified": "modified", "schema:datemodified": "modified"}  # fmt: skip
#: Class, id or itemprop of an element that says which date it holds.
MODIFIED_MARK = re.compile(r"modif|updat|lastmod|changed|revis", re.IGNORECASE)
PUBLISHED_SAID = re.compile(r"publish|pubdate", re.IGNORECASE)
PUBLISHED_MARK = re.compile(r"posted|created|entry-date|post-date|submitted", re.IGNORECASE)
#: Class or id of an element that prints a date (a byline, a date line).
DATE_HOLDER = re.compile(
    r"date|datum|fecha|publish|posted|byline|timestamp|submitted|(?:^|[\s_-])(?:time|meta|info|dates?)(?:$|[\s_-])",
    re.IGNORECASE,
)
#: Words before a printed date that make it the modification date, or the publication date.
MODIFIED_LABEL = re.compile(
    r"updated|update|modified|last\s+edited|revised|reviewed|aktualisiert|geändert|mis\s+à\s+jour|actualizado|"
    r"aggiornato|bijgewerkt|zaktualizowano|uppdaterad|opdateret|oppdatert|päivitetty",
    re.IGNORECASE,
)
PUBLISHED_LABEL = re.compile(
    r"published|posted|publié|publicado|veröffentlicht|erschienen|pubblicato|gepubliceerd|opublikowano|"
    r"publicerad|udgivet|julkaistu",
    re.IGNORECASE,
)
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
#: A date printed in running text: "8 November 2023", "8. November 2023", "November 8, 2023",
#: "Sept. 12, 2022", "Wed, 11/08/2023", "2023-11-08", "2023年11月8日".
DATE_IN_TEXT = re.compile(
    _WEEKDAY
    + r"(?:\d{1,2}(?:st|nd|rd|th)?\.?\s+(?:de\s+)?[^\W\d_]{3,}\.?,?\s+(?:de\s+)?\d{4}"
    + r"|[^\W\d_]{3,}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"
    + r"|\d{4}[./-]\d{1,2}[./-]\d{1,2}(?!\d)"
    + r"|\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})(?!\d)"
    + r"|\d{4}年\d{1,2}月\d{1,2}日)",
    re.IGNORECASE,
)
#: Printed text longer than this is running text, not a date line.
DATE_LINE_MAX = 160
#: A date line beside the title is at most this long.
TITLE_LINE_MAX = 80
#: A byline before a date: "By Ann Lee, March 3, 2019", "Von Anna Berg am 8. November 2023".
BYLINE = re.compile(r"(?:^|\s)(?:by|von|par|por|di|door|av|af)\s", re.IGNORECASE)
#: A paragraph around a `<time>` longer than this is a sentence the time is part of.
RUNNING_TEXT = 100
UTC_STAMP = re.compile(r"T\d{2}:\d{2}.*(?:Z|[+-]00:?00)$|\+0000$|GMT$", re.IGNORECASE)


# JSON-LD -------------------------------------------------------------------------------------------
def load_json(text: str) -> object:
    """A JSON-LD script's data; sloppy scripts (HTML comments, raw newlines, trailing commas) too."""
    text = text.strip()
    for wrapper in ("<!--", "-->", "<![CDATA[", "]]>", "//<![CDATA[", "//]]>"):
        text = text.replace(wrapper, "")
    for attempt in (text, re.sub(r",\s*([}\]])", r"\1", text)):
        try:
            return json.loads(attempt, strict=False)
        except ValueError:
            continue
    return None


def ld_items(data: object) -> Iterator[dict]:
    """The items of a JSON-LD document: top level, `@graph`, and a web page's `mainEntity`."""
    if isinstance(data, list):
        for value in data:
            yield from ld_items(value)
    elif isinstance(data, dict):
        yield data
        for key in ("@graph", "mainEntity"):
            if key in data:
                yield from ld_items(data[key])


def ld_types(item: dict) -> set[str]:
    kinds = item.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return {str(kind).rsplit("/", 1)[-1].lower() for kind in kinds if kind}


def ld_addresses(item: dict) -> set[str]:
    found = set()
    for key in ("url", "@id", "mainEntityOfPage"):
        value = item.get(key)
        if isinstance(value, dict):
            value = value.get("@id") or value.get("url")
        if isinstance(value, str) and value.strip():
            found.add(same_page(value.split("#", 1)[0]))
    return found


def ld_values(value: object) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [v.strip() for v in values if isinstance(v, str) and v.strip()]


def jsonld_candidates(response: Response, addresses: set[str]) -> list[dict]:
    """The page's item's datePublished / dateModified (see the module's docstring)."""
    items = []
    for script in response.xpath("//script[contains(@type, 'ld+json')]/text()").getall():
        items += [item for item in ld_items(load_json(script)) if ld_types(item) & (ARTICLE_TYPES | PAGE_TYPES)]
    own = [item for item in items if ld_addresses(item) & addresses]
    if not own:
        articles = [item for item in items if ld_types(item) & ARTICLE_TYPES]
        pages = [item for item in items if not ld_types(item) & ARTICLE_TYPES]
        if len({json.dumps(i.get("datePublished"), sort_keys=True) for i in articles}) == 1:
            own = articles  # the page's one article (however often it is repeated)
        elif not articles and len(pages) == 1:
            own = pages
    candidates = []
    for item in own:
        for key, role in (("datePublished", "published"), ("dateModified", "modified")):
            candidates += [{"source": "jsonld", "role": role, "raw": raw} for raw in ld_values(item.get(key))]
    return candidates


# <meta> --------------------------------------------------------------------------------------------
def meta_candidates(response: Response) -> list[dict]:
    candidates = []
    for meta in response.xpath("//meta[@content][@name or @property]"):
        key = (meta.attrib.get("property") or meta.attrib.get("name") or "").strip().lower()
        content = meta.attrib["content"].strip()
        if not content:
            continue
        if key in META_PUBLISHED:
            candidates.append({"source": "meta", "role": "published", "raw": content})
        elif key in META_MODIFIED:
            candidates.append({"source": "meta", "role": "modified", "raw": content})
        elif key == "parsely-page":  # Parse.ly's JSON: {"pub_date": "…"}
            data = load_json(content)
            if isinstance(data, dict) and isinstance(data.get("pub_date"), str):
                candidates.append({"source": "meta", "role": "published", "raw": data["pub_date"]})
    return candidates


# Dates of the article -----------------------------------------------------------------------------
def role_by_marks(element, scope) -> str | None:
    """ "published" or "modified" by the class, id or itemprop of the element or its near ancestors.

    WordPress marks a post never edited `entry-date published updated`: "published" said outright wins.
    """
    for ancestor in (element, *list(element.iterancestors())[:3]):
        marks = f"{ancestor.get('class') or ''} {ancestor.get('id') or ''} {ancestor.get('itemprop') or ''}"
        if PUBLISHED_SAID.search(marks):
            return "published"
        if MODIFIED_MARK.search(marks):
            return "modified"
        if PUBLISHED_MARK.search(marks):
            return "published"
        if ancestor is scope:
            break
    return None


def text_before(element, limit: int = 60) -> str:
    """The text just before an element in its parent (its parent's, when it comes first)."""
    parent = element.getparent()
    if parent is None:
        return ""
    parts = [parent.text or ""]
    for child in parent:
        if child is element:
            break
        parts += [child.text_content() if isinstance(child.tag, str) else "", child.tail or ""]
    text = squeeze(" ".join(parts))
    if not text and parent.getparent() is not None and parent.tag not in ("article", "body"):
        return text_before(parent, limit)
    return text[-limit:]


def role_by_label(label: str) -> str | None:
    """The role the last label in a text gives: "Updated …" → modified, "Published …" → published."""
    modified = [m.end() for m in MODIFIED_LABEL.finditer(label)]
    published = [m.end() for m in PUBLISHED_LABEL.finditer(label)]
    if not modified and not published:
        return None
    return "modified" if max(modified, default=-1) > max(published, default=-1) else "published"


def time_candidates(scope, zones: Zones) -> list[dict]:
    """`<time>` of the article: its `datetime`, and its text when that is a printed date."""
    found = []
    for element in scope.iter("time"):
        if zones.excluded(element):
            continue
        role = role_by_marks(element, scope) or role_by_label(text_before(element))
        machine = (element.get("datetime") or "").strip()
        shown = DATE_IN_TEXT.search(squeeze(element.text_content()))
        if not machine and not shown:
            continue  # "3 hours ago"
        found.append((role, machine, shown.group(0) if shown else None, in_running_text(element)))
    candidates = []
    # Times that say nothing of their role count only when they agree (one date, not a live blog's
    # many) and stand apart from the text (not "the meeting on <time>May 1</time>").
    plain = {(machine, printed) for role, machine, printed, _ in found if role is None}
    for role, machine, printed, running in found:
        weight = "hint" if role is None and (len(plain) > 1 or running) else None
        for source, raw in (("time", machine), ("text", printed)):
            if raw:
                candidate = {"source": source, "role": role or "published", "raw": raw}
                if weight:
                    candidate["weight"] = weight
                candidates.append(candidate)
    return candidates


def in_running_text(element) -> bool:
    """Whether an element sits in a sentence: its paragraph (or list item, cell) is longer than a date line."""
    for ancestor in element.iterancestors():
        if ancestor.tag in ("p", "li", "td", "dd", "blockquote", "figcaption"):
            return len(squeeze(ancestor.text_content())) > RUNNING_TEXT
        if ancestor.tag in ("div", "article", "section", "header", "footer", "main", "body"):
            return False
    return False


def itemprop_candidates(root, zones: Zones) -> list[dict]:
    """Microdata `datePublished` / `dateModified` of the article (not of comments or other items),
    and RDFa `dc:created` / `dc:date`."""
    candidates = []
    for element in root.xpath("//*[@itemprop] | //*[@property][not(self::meta)]"):
        if zones.excluded(element):
            continue
        props = (element.get("itemprop") or "").lower().split()
        role = "published" if "datepublished" in props else "modified" if "datemodified" in props else None
        source = "itemprop"
        if role is None:
            rdfa = [RDFA_ROLES[p] for p in (element.get("property") or "").lower().split() if p in RDFA_ROLES]
            if not rdfa or element.get("content") is None:
                continue
            role, source = rdfa[0], "rdfa"
        raw = element.get("content") or element.get("datetime") or element.get("title") or element.text_content()
        if squeeze(raw):
            candidates.append({"source": source, "role": role, "raw": squeeze(raw)})
    return candidates


def printed_candidates(scope, zones: Zones, order: str | None) -> list[dict]:
    """Dates printed in the article's bylines and date lines, each with the role its label gives."""
    candidates = []
    for element in scope.iter():
        if not isinstance(element.tag, str) or element.tag in ("time", "script", "style"):
            continue
        if not DATE_HOLDER.search(f"{element.get('class') or ''} {element.get('id') or ''}"):
            continue
        text = own_text(element)
        if not text or len(text) > DATE_LINE_MAX or zones.excluded(element):
            continue
        end = 0
        for match in DATE_IN_TEXT.finditer(text):
            label = text[end : match.start()]
            end = match.end()
            role = role_by_label(label) or role_by_marks(element, scope) or "published"
            candidate = {"source": "text", "role": role, "raw": match.group(0)}
            if order:
                candidate["order"] = order
            candidates.append(candidate)
    return candidates


def title_line_candidates(heading, zones: Zones, order: str | None) -> list[dict]:
    """A date line just above or below the title that no class names ("<h1>…</h1><p>March 3, 2019</p>"):
    a short block that is the date, or the date with a label or a byline ("Posted by Ann on …")."""
    if heading is None:
        return []
    candidates = []
    neighbours = [heading.getprevious(), heading.getnext()]
    following = heading.getnext()
    if following is not None:
        neighbours.append(following.getnext())
    for element in neighbours:
        if element is None or not isinstance(element.tag, str) or element.tag in HEADINGS or zones.excluded(element):
            continue
        text = own_text(element)
        if not text or len(text) > TITLE_LINE_MAX:
            continue
        for match in DATE_IN_TEXT.finditer(text):
            rest = (text[: match.start()] + " " + text[match.end() :]).split()
            label = text[: match.start()]
            if len(rest) > 2 and not (role_by_label(label) or BYLINE.search(label)):
                continue
            candidate = {"source": "text", "role": role_by_label(label) or "published", "raw": match.group(0)}
            if order:
                candidate["order"] = order
            candidates.append(candidate)
    return candidates


def own_text(element) -> str:
    """The element's text without that of its `<time>` elements (read as times) and its scripts."""
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and child.tag not in ("time", "script", "style"):
            parts.append(own_text(child))
        parts.append(child.tail or "")
    return squeeze(" ".join(parts))


# htmldate ------------------------------------------------------------------------------------------
def visible_text_date(root, zones: Zones, today: date) -> str | None:
    """htmldate's reading of the page's visible text: structured data, `datetime` attributes, the
    URL and the page furniture taken out, so that it is a reading independent of the others."""
    from htmldate import find_date

    copy = deepcopy(root)
    for element in copy.xpath("//head | //script | //style | //noscript | //template | //nav | //aside"):
        if element.getparent() is not None:
            element.getparent().remove(element)
    for element in list(copy.iter()):
        if not isinstance(element.tag, str) or element.getparent() is None:
            continue
        if tokens_of(element) & OTHER_ZONES or element.tag in ("header", "footer"):
            element.getparent().remove(element)
            continue
        for name in ("datetime", "content", "title", "itemprop", "property"):
            element.attrib.pop(name, None)
    try:
        found = find_date(
            copy, extensive_search=False, original_date=True, max_date=today.isoformat(), outputformat="%Y-%m-%d"
        )
    except Exception:  # htmldate raises assorted errors on odd pages: no reading then
        return None
    return found if found and found != today.isoformat() else None


# All of it -----------------------------------------------------------------------------------------
def article_date_candidates(
    response: Response,
    *,
    title: str | None,
    order: str | None = None,
    url_date: tuple[str, str] | None = None,
    today: date | None = None,
) -> list[dict]:
    """Every date the page states for itself, as candidates (see the module's docstring).

    `order`: the profile's order for numeric dates (None: unknown, both readings kept); `url_date`:
    ("url" or "url_month", the date) the address carries. What a page gives depends on the page
    alone (a reparse of it gives the same): the listing's date is not among its candidates; the
    archive falls back on it where the page leaves the date empty (archiver/archive/writer.py).
    """
    if not isinstance(response, TextResponse) or not isinstance(getattr(response.selector.root, "tag", None), str):
        return []
    root = response.selector.root
    addresses = page_addresses(response)
    scope = article_scope(root, title)
    zones = Zones(scope, title_element(root, title), addresses, response.url)
    candidates = jsonld_candidates(response, addresses) + meta_candidates(response)
    candidates += itemprop_candidates(root, zones)
    candidates += time_candidates(scope, zones)
    candidates += printed_candidates(scope, zones, order)
    candidates += title_line_candidates(zones.heading, zones, order)
    if url_date:
        candidates.append({"source": url_date[0], "role": "published", "raw": url_date[1]})
    if (own := canonical_address(response)) and urlsplit(own).hostname != urlsplit(response.url).hostname:
        candidates.append({"source": "canonical", "role": "address", "raw": own})  # a mirror: the site's host
    structured = [
        c
        for c in candidates
        if c["role"] == "published" and c["source"] in ("jsonld", "meta", "itemprop", "rdfa", "time")
    ]
    # htmldate reads the visible text where the structured dates give no day, or may give two.
    open_day = not structured or any(UTC_STAMP.search(c["raw"]) for c in structured)
    if open_day and (hint := visible_text_date(root, zones, today or date.today())):
        candidates.append({"source": "htmldate", "role": "published", "raw": hint})
    return unique(candidates)


def unique(candidates: Iterable[dict]) -> list[dict]:
    seen, kept = set(), []
    for candidate in candidates:
        key = tuple(sorted((k, str(v)) for k, v in candidate.items()))
        if key not in seen:
            seen.add(key)
            kept.append(candidate)
    return kept
