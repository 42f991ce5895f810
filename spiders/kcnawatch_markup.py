"""What a KCNA Watch page says besides its entries, read where it is assumed and in every other form.

Nothing here is seen of the real site (shared/sites/README.md §2 lists it as assumed), so each
reader anchors on text and on every form a theme could give the same thing:

- an article's title: its own heading, never the masthead's (`h1.site-title` "KCNA Watch"), else
  `og:title`/`twitter:title`/a JSON-LD `headline`, else `<title>` without the site's name;
- a source listing's "load more" id: an attribute of the load-more control (`data-id`,
  `data-source`…), the "load more" request's URL anywhere in the page, an inline script (JSON, JS
  variables named for the source, a URL with `id=`), a form field (`input`/`select` named `source`);
- the date search (seen in a scraper: `/?s=&source=ID&start=DD-MM-YYYY&end=DD-MM-YYYY&sort=recent`),
  for a listing whose id is nowhere: month windows walked back, a full one split in halves.
"""

from __future__ import annotations

import json
import re
from calendar import monthrange
from datetime import date, timedelta
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from parsel import Selector

from archiver.normalize.text import clean_text

SITE_NAME = "KCNA Watch"
#: The site's name at either end of a `<title>`, after or before one of the separators sites use.
TITLE_SITE_NAME = re.compile(
    r"^\s*KCNA\s*Watch\s*(?:[|–—\-»:·]+\s*)(?=\S)|(?<=\S)\s*(?:[|–—\-»:·]+\s*)KCNA\s*Watch\s*$", re.IGNORECASE
)
#: Classes of the page's chrome around headings: the masthead, navigation, widgets.
CHROME_CLASS = re.compile(
    r"\b(?:site-(?:title|description|branding|header|footer|logo)|masthead|branding|logo|brand|navbar|"
    r"nav(?:igation)?|menu|widget|sidebar|footer)\b",
    re.IGNORECASE,
)


def is_title(value: str | None) -> bool:
    """A non-empty value that is not the site's name."""
    text = " ".join((value or "").split())
    return bool(text) and text.casefold() != SITE_NAME.casefold()


CHROME_TAGS = frozenset({"nav", "footer", "aside"})


def is_chrome(heading: Selector, content: Selector) -> bool:
    """A heading of the page's chrome: inside nav/footer/aside or an element of a masthead, navigation
    or widget class (on the heading or around it) that does not also hold the article's body."""
    body = content.root
    for element in (heading.root, *heading.root.iterancestors()):
        if element.tag in ("body", "html"):
            return False
        chrome = element.tag in CHROME_TAGS or element.get("role") == "banner"
        if (chrome or CHROME_CLASS.search(element.get("class") or "")) and body not in element.iterdescendants():
            return True
    return False


def page_title(value: str | None) -> str | None:
    """A page's title (`<title>`, og:title…) without the site's name (`Handicraft Exhibition Draws
    Visitors | KCNA Watch`); None when nothing else is left."""
    text = TITLE_SITE_NAME.sub("", " ".join((value or "").split()))
    return text if is_title(text) else None


def json_ld_headline(script: str) -> str | None:
    """The `headline` of a JSON-LD block (an object, a list, or a `@graph`), else None."""
    try:
        data = json.loads(script)
    except ValueError:
        return None
    todo = [data]
    while todo:
        node = todo.pop(0)
        if isinstance(node, list):
            todo.extend(node)
        elif isinstance(node, dict):
            headline = node.get("headline")
            if isinstance(headline, str) and headline.strip():
                return " ".join(headline.split())
            todo.extend(v for v in node.values() if isinstance(v, (list, dict)))
    return None


# The "load more" id ---------------------------------------------------------------------------
#: Attributes of the load-more control (or of any element) that name the source id.
ID_ATTRIBUTES = (
    "data-id",
    "data-source",
    "data-source-id",
    "data-sourceid",
    "data-source_id",
    "data-cat",
    "data-cat-id",
)
#: Attributes that name the source on any element (`data-id` alone could be a post's id).
SOURCE_ATTRIBUTES = ("data-source", "data-source-id", "data-sourceid", "data-source_id")
#: The "load more" request (`admin-ajax.php?…action=get_cat_by_source…&id=N`) written out anywhere.
AJAX_URL = re.compile(r"""[^\s"'<>()]*admin-ajax\.php\?[^\s"'<>()]+""")
#: A script naming the action, then an id: `{"action": "get_cat_by_source", "id": "189661"}`, `…&id=189661`.
ID_AFTER_ACTION = re.compile(r"get_cat_by_source\W[^<]{0,300}?\bid\W{1,4}(\d+)", re.DOTALL)
#: A script variable or key and the number it is given, directly or as an object's `id`:
#: `var kw_source = {"id": 189661, …}`, `source_id = 189661`, `kwSourceId: '189661'`, `"source": 189661`.
NAMED_NUMBER = re.compile(
    r"""\b([A-Za-z_$][\w$]*)["']?\s*[:=]\s*(?:\{[^{}]{0,300}?["']?\bid["']?\s*:\s*["']?(\d+)|["']?(\d+))"""
)


def named_for_source(name: str) -> bool:
    """A name that stands for the source: `kw_source`, `sourceId`, `source_id` (not `resource`)."""
    name = name.lower()
    return name.endswith(("source", "sourceid", "source_id")) and not name.endswith(("resource", "resourceid"))


#: Form fields naming the source.
FORM_FIELDS = ("source", "source_id", "sourceid", "sid", "cat")


def source_id_in(page: Selector, name: str | None = None) -> tuple[str, str] | None:
    """The "load more" id a source listing gives, and the form it was in ("attribute", "url",
    "script", "form"), or None."""
    controls = page.css("#more_results, [id*=more], [class*=more], [class*=load]")
    for selection, attributes in ((controls, ID_ATTRIBUTES), (page.xpath("//*"), SOURCE_ATTRIBUTES)):
        for attribute in attributes:
            for value in selection.xpath(f"@{attribute}").getall():
                if value.strip().isdigit():
                    return value.strip(), "attribute"
    html = page.get()
    for found in AJAX_URL.findall(html):
        query = dict(parse_qsl(urlsplit(unquote(found.replace("&amp;", "&"))).query, keep_blank_values=True))
        if query.get("action") == "get_cat_by_source" and query.get("id", "").isdigit():
            return query["id"], "url"
    scripts = page.xpath("//script[not(@src)]/text()").getall()
    for script in scripts:
        if match := ID_AFTER_ACTION.search(script):
            return match.group(1), "script"
    for script in scripts:
        for match in NAMED_NUMBER.finditer(script):
            if named_for_source(match.group(1)):
                return match.group(2) or match.group(3), "script"
    return form_source_id(page, name)


def form_source_id(page: Selector, name: str | None) -> tuple[str, str] | None:
    """A form field naming the source: an input's value, a select's chosen option, or the option
    whose text is the listing's name."""
    names = " or ".join(f"@name='{field}'" for field in FORM_FIELDS)
    for value in page.xpath(f"//input[{names}]/@value").getall():
        if value.strip().isdigit():
            return value.strip(), "form"
    for select in page.xpath(f"//select[{names}]"):
        chosen = select.xpath("./option[@selected]/@value").get()
        if chosen and chosen.strip().isdigit():
            return chosen.strip(), "form"
        wanted = clean_text(name or "").casefold()
        for option in select.xpath("./option"):
            text = clean_text(option.xpath("string()").get() or "").casefold()
            value = (option.attrib.get("value") or "").strip()
            if wanted and text == wanted and value.isdigit():
                return value, "form"
    return None


# The date search -------------------------------------------------------------------------------
Window = tuple[date, date]


def search_target(source: str, window: Window) -> str:
    """`/?end=…&s=&sort=recent&source=ID&start=…` (dates DD-MM-YYYY), its query sorted as canonical."""
    start, end = window
    query = {"s": "", "source": source, "start": f"{start:%d-%m-%Y}", "end": f"{end:%d-%m-%Y}", "sort": "recent"}
    return "/?" + urlencode(sorted(query.items()))


def month_of(day: date) -> Window:
    return day.replace(day=1), day.replace(day=monthrange(day.year, day.month)[1])


def month_before(window: Window) -> Window:
    return month_of(window[0].replace(day=1) - timedelta(days=1))


def halves(window: Window) -> list[Window]:
    """A window's newer half, then its older half (a one-day window stays whole)."""
    start, end = window
    if start >= end:
        return [window]
    middle = start + (end - start) // 2
    return [(middle + timedelta(days=1), end), (start, middle)]


def window_of(url: str) -> Window | None:
    """The (start, end) days of a date-search URL, or None."""
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    try:
        start, end = (date(*reversed([int(p) for p in query[k].split("-")])) for k in ("start", "end"))
    except (KeyError, ValueError, TypeError):
        return None
    return start, end
