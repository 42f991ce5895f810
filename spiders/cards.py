"""A listing entry's title and teaser read from its card, where a site profile gives no selector.

The shapes of the common themes' cards, and how they read:

- the heading links to the article (WordPress classic and block themes, Drupal node teasers, Jekyll,
  Bootstrap cards): the title is the link's text;
- the link wraps the heading (Ghost's `post-card-content-link` around the tag, the heading and the
  excerpt; news CMS teasers around a kicker and a headline): the link is read block by block, and
  the title is the heading's text (or the block a class names the title), never the link's whole text;
- the heading stands beside a link without text (Hugo PaperMod's `entry-link` overlay): the heading;
- no heading (Drupal views rows, simple lists): the link's text (the longest, if several).

The teaser is the block a class names the excerpt (`entry-summary`, `post-card-excerpt`,
`wp-block-post-excerpt`, `field--name-body`, `teaser__standfirst`, `entry-content`, …), without the
text of its links ("Continue reading …"); failing that, the longest text block of a few words that
is neither the title, the date's line, a kicker nor a link's text ("Read more"). Text inside a link
that wraps the card's blocks is the card's own text, and is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
BLOCKS = frozenset(
    [
        "p",
        "div",
        "li",
        "section",
        "article",
        "header",
        "footer",
        "aside",
        "blockquote",
        "td",
        "th",
        "dd",
        "dt",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "figure",
        "figcaption",
        "main",
        "nav",
        "ul",
        "ol",
        "table",
        "tr",
        "body",
    ]
)
TOKENS = re.compile(r"[\s_\-]+")
#: Class tokens of a card's title, its excerpt, and its kicker (a section or tag above the title).
TITLE_TOKENS = frozenset(("title", "headline", "heading", "hed"))
TEASER_TOKENS = frozenset(
    [
        "excerpt",
        "summary",
        "dek",
        "standfirst",
        "description",
        "desc",
        "lede",
        "lead",
        "intro",
        "abstract",
        "snippet",
        "blurb",
        "strapline",
        "subhead",
        "body",
        "content",
    ]
)
KICKER_TOKENS = frozenset(("tag", "tags", "kicker", "category", "label", "eyebrow", "section", "topic", "flag"))
#: A teaser found without a class naming it has at least this many words (a byline has fewer).
TEASER_MIN_WORDS = 6


def squeeze(text: str | None) -> str:
    return " ".join((text or "").split())


def tokens_of(element) -> set[str]:
    names = f"{element.get('class') or ''} {element.get('id') or ''}".lower()
    return {token for token in TOKENS.split(names) if token}


def is_block(element) -> bool:
    return isinstance(element.tag, str) and element.tag.lower() in BLOCKS


def wraps_blocks(link) -> bool:
    """A link around several blocks (a whole card), not around a few words."""
    return any(is_block(child) for child in link.iter() if child is not link)


def inside(element, ancestor) -> bool:
    return element is ancestor or any(a is ancestor for a in element.iterancestors())


def title_element(block, links: Iterable):
    """The element whose text is the card's title (see the module's docstring), or None."""
    links = list(links)
    for link in links:  # a heading inside the link, or the block a class names the title
        if wraps_blocks(link):
            for element in link.iter(*HEADINGS):
                if squeeze(element.text_content()):
                    return element
            for element in link.iter():
                if is_block(element) and tokens_of(element) & TITLE_TOKENS and squeeze(element.text_content()):
                    return element
    for link in links:  # a heading around the link: the link's own text
        if any(a.tag in HEADINGS for a in link.iterancestors()) and squeeze(link.text_content()):
            return link
    worded = [link for link in links if squeeze(link.text_content()) and not wraps_blocks(link)]
    if worded:
        return max(worded, key=lambda link: len(squeeze(link.text_content())))
    for link in links:  # a link around blocks without a heading: its first block of text that is no kicker
        if wraps_blocks(link):
            for element in link.iter():
                if is_block(element) and not tokens_of(element) & KICKER_TOKENS and leaf_text(element):
                    return element
    for element in block.iter(*HEADINGS):  # a heading beside a link without text
        if squeeze(element.text_content()):
            return element
    return None


def leaf_text(element) -> str:
    """The text of a block that holds no other block."""
    if any(is_block(child) for child in element.iter() if child is not element):
        return ""
    return squeeze(element.text_content())


def card_title(block, links: Iterable) -> str | None:
    element = title_element(block, links)
    return (squeeze(element.text_content()) or None) if element is not None else None


def text_without_links(element) -> str:
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and child.tag not in ("a", "script", "style", "time"):
            parts.append(text_without_links(child))
        parts.append(child.tail or "")
    return squeeze(" ".join(parts))


def card_teaser(block, links: Iterable, title: str | None, date_text: str | None) -> str | None:
    """The card's excerpt (see the module's docstring), None when it shows none."""
    links = list(links)
    heading = title_element(block, links)
    title_text, date_line = squeeze(title), squeeze(date_text)
    for element in block.iter():
        if element is block or not is_block(element) or not tokens_of(element) & TEASER_TOKENS:
            continue
        if heading is not None and inside(heading, element):
            continue  # a container of the whole card, not its excerpt
        text = text_without_links(element)
        if text and text != title_text and text != date_line and len(text.split()) > 1:
            return text
    return longest_text(block, links, heading, title_text, date_line)


def longest_text(block, links: list, heading, title: str, date_line: str) -> str | None:
    """The longest text block of at least TEASER_MIN_WORDS words that is the card's own text."""
    card_links = [link for link in links if wraps_blocks(link)]
    groups: dict[object, list[str]] = {}
    for node in block.iter():
        if not isinstance(node.tag, str) or node.tag in ("script", "style"):
            continue
        # An element's text is its own; its tail belongs to its parent.
        for text, owner in ((node.text, node), (node.tail, node.getparent())):
            if not text or not text.strip() or owner is None:
                continue
            if heading is not None and inside(owner, heading):
                continue
            chain = within(owner, block)
            if any(a.tag == "a" and not any(a is link for link in card_links) for a in chain):
                continue  # link text: the title, "read more", a category
            if any(a.tag == "time" or (is_block(a) and tokens_of(a) & KICKER_TOKENS) for a in chain):
                continue
            groups.setdefault(block_of(owner), []).append(text)
    best = None
    for parts in groups.values():
        text = squeeze(" ".join(parts))
        if not text or text == title or (date_line and date_line in text):
            continue
        if len(text.split()) < TEASER_MIN_WORDS:
            continue
        if best is None or len(text) > len(best):
            best = text
    return best


def within(element, block) -> list:
    """The element and its ancestors up to `block` (the card): what lies outside says nothing of it."""
    chain = [element]
    for ancestor in element.iterancestors():
        if chain[-1] is block:
            break
        chain.append(ancestor)
    return chain


def block_of(element):
    """The nearest block-level element around `element` (itself when it is one)."""
    while element is not None and not is_block(element):
        element = element.getparent()
    return element
