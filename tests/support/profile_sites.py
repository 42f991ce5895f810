"""Two sites of our own for the site-profile tests, of other kinds than the built-in two.

- "Party Weekly", a WordPress blog: a category listing `/category/news/` paged by `/page/N/` with an
  "Older posts" link, five posts a page; article URLs `/YYYY/MM/DD/slug/`; a "Recent Posts" sidebar
  and a menu on every page. Its theme prints an entry's date two ways: `<time datetime>` inside the
  permalink, or a US-order `MM/DD/YYYY` text (sticky posts); the excerpt is a `<div class=entry-summary>`
  or a bare `<p>`.
- "Valley Gazette", a Joomla-style blog in English and German: `/news`, paged by `?start=20`, twenty
  items a page; article URLs `/news/ID-slug`; dates `Published: DD.MM.YYYY` on listings and
  `<time itemprop=datePublished>` on articles; the headline is an `<h2>`, not an `<h1>`.

Each site is a dict for MirrorServer (path → Resource), built from its stories, so a test can add
stories between runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from html import escape

from archiver.mirror.server import Resource

PLACES = ["Riverside", "Northfield", "Eastgate", "Hillcrest", "Lakeview", "Stonebridge", "Millbrook", "Ashford"]
TOPICS = ["housing", "the railway", "schools", "the harbour", "water supply", "the hospital", "tram lines", "parks"]


@dataclass
class Story:
    slug: str
    day: date
    title: str
    teaser: str
    paragraphs: list[str]
    ident: int = 0
    language: str = "en"
    sticky: bool = False  # WordPress: printed with the other theme's markup
    extra: dict = field(default_factory=dict)


def page(title: str, content: str, sidebar: str = "") -> bytes:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8"><title>{escape(title)}</title>
<meta property="og:title" content="{escape(title)}"></head>
<body><header class="site-header"><p class="site-title"><a href="/">Site</a></p>
<nav class="main-navigation"><ul><li><a href="/">Home</a></li><li><a href="/category/news/">News</a></li>
<li><a href="/about/">About us</a></li></ul></nav></header>
<div id="content" class="site-content"><main id="main" class="site-main">{content}</main>
{sidebar}</div><footer class="site-footer"><p>© 2024. All rights reserved. Powered by WordPress.</p></footer>
</body></html>""".encode()


# Party Weekly (WordPress) ----------------------------------------------------------------------
def wp_stories() -> list[Story]:
    """Twelve posts, one a day from 1 March 2024, and a repost of the 5 March statement on 9 March."""
    stories = []
    for n in range(12):
        day = date(2024, 3, 1) + timedelta(days=n)
        place, topic = PLACES[n % len(PLACES)], TOPICS[n % len(TOPICS)]
        stories.append(
            Story(
                slug=f"{place.lower()}-{topic.split()[-1]}-meeting-{n}",
                day=day,
                title=f"{place} branch meets on {topic} ({n})",
                teaser=f"Members of the {place} branch met on {day:%B} {day.day} to discuss {topic} and the spring campaign.",
                paragraphs=[
                    f"Members of the {place} branch met on {day:%B} {day.day} to discuss {topic} and the spring campaign.",
                    f"The meeting heard {n + 3} reports from the wards, and the secretary read letters from residents about {topic}.",
                    f"A resolution on {topic} was adopted by {20 + n} votes to {n % 4}, and a delegation will take it to the council.",
                ],
                sticky=n % 3 == 1,
            )
        )
    statement = stories[4]
    stories.append(
        Story(
            slug=statement.slug + "-2",
            day=date(2024, 3, 13),
            title=statement.title + " (reposted)",
            teaser=statement.teaser,
            paragraphs=list(statement.paragraphs),
        )
    )
    return stories


def wp_path(story: Story) -> str:
    return f"/{story.day:%Y/%m/%d}/{story.slug}/"


def wp_entry(story: Story) -> str:
    url = wp_path(story)
    if story.sticky:
        when = f'<span class="posted-on">{story.day:%m/%d/%Y}</span>'
        summary = f"<p>{escape(story.teaser)} [&hellip;]</p>"
    else:
        when = (
            f'<span class="posted-on">Posted on <a href="{url}" rel="bookmark"><time class="entry-date published" '
            f'datetime="{story.day.isoformat()}T09:30:00+00:00">{story.day:%B} {story.day.day}, {story.day.year}</time></a></span>'
        )
        summary = f'<div class="entry-summary"><p>{escape(story.teaser)} [&hellip;]</p></div>'
    return f"""<article id="post-{story.slug}" class="post type-post status-publish">
<header class="entry-header"><h2 class="entry-title"><a href="{url}" rel="bookmark">{escape(story.title)}</a></h2>
<div class="entry-meta">{when} <span class="byline">by <a href="/author/editor/">editor</a></span></div></header>
{summary}
<footer class="entry-footer"><span class="cat-links">Posted in <a href="/category/news/">News</a></span>
<a class="more-link" href="{url}">Continue reading<span class="screen-reader-text"> {escape(story.title)}</span></a></footer>
</article>"""


def wp_sidebar(stories: list[Story]) -> str:
    items = "".join(f'<li><a href="{wp_path(s)}">{escape(s.title)}</a></li>' for s in stories[:5])
    return (
        f'<aside id="secondary" class="widget-area"><section class="widget widget_recent_entries">'
        f'<h2 class="widget-title">Recent Posts</h2><ul>{items}</ul></section></aside>'
    )


def wordpress_site(stories: list[Story], per_page: int = 5) -> dict[str, Resource]:
    newest = sorted(stories, key=lambda s: (s.day, s.slug), reverse=True)
    sidebar = wp_sidebar(newest)
    site: dict[str, Resource] = {}
    pages = [newest[i : i + per_page] for i in range(0, len(newest), per_page)]
    for number, chunk in enumerate(pages, start=1):
        path = "/category/news/" if number == 1 else f"/category/news/page/{number}/"
        nav = ""
        if number < len(pages):
            nav += f'<div class="nav-previous"><a href="/category/news/page/{number + 1}/">Older posts</a></div>'
        if number > 1:
            back = "/category/news/" if number == 2 else f"/category/news/page/{number - 1}/"
            nav += f'<div class="nav-next"><a href="{back}">Newer posts</a></div>'
        content = (
            '<header class="page-header"><h1 class="page-title">Category: News</h1></header>'
            + "".join(wp_entry(s) for s in chunk)
            + f'<nav class="navigation posts-navigation"><div class="nav-links">{nav}</div></nav>'
        )
        site[path] = Resource(page("News – Party Weekly", content, sidebar))
    for story in stories:
        body = "".join(f"<p>{escape(p)}</p>" for p in story.paragraphs)
        content = f"""<article class="post type-post">
<header class="entry-header"><h1 class="entry-title">{escape(story.title)}</h1>
<div class="entry-meta"><span class="posted-on"><time class="entry-date published" datetime="{story.day.isoformat()}T09:30:00+00:00">{story.day:%B} {story.day.day}, {story.day.year}</time></span>
<span class="byline">by <a href="/author/editor/">editor</a></span></div></header>
<div class="entry-content">{body}</div>
<footer class="entry-footer"><span class="cat-links">Posted in <a href="/category/news/">News</a></span>
<span class="tags-links">Tagged <a href="/tag/branch/">branch</a></span></footer></article>
<nav class="navigation post-navigation"><h2 class="screen-reader-text">Post navigation</h2></nav>
<div id="comments" class="comments-area"><h2 class="comments-title">Leave a Reply</h2>
<form><p>Your email address will not be published.</p><textarea name="comment"></textarea></form></div>"""
        site[wp_path(story)] = Resource(page(f"{story.title} – Party Weekly", content, sidebar))
    return site


# Valley Gazette (Joomla-style, ?start=20) ------------------------------------------------------
GERMAN = [
    "Der Gemeinderat von {place} hat am {day}. {month} über {topic} beraten.",
    "Die Bürgerinnen und Bürger konnten ihre Fragen stellen, und der Bürgermeister hat {n} Anträge vorgestellt.",
    "Die nächste Sitzung findet im Rathaus statt, die Tagesordnung wird rechtzeitig veröffentlicht.",
]
GERMAN_TOPICS = ["den Wohnungsbau", "die Bahnstrecke", "die Schulen", "den Hafen", "die Wasserversorgung"]
GERMAN_MONTHS = ["Januar", "Februar", "März", "April"]


def gazette_stories(count: int = 45, first: date = date(2024, 1, 1)) -> list[Story]:
    """One story a day from `first`; every fifth in German; story 230's text reposted as the last one."""
    stories = []
    for n in range(count - 1):
        day = first + timedelta(days=n)
        ident = 200 + n
        place = PLACES[n % len(PLACES)]
        if n % 5 == 2:
            topic = GERMAN_TOPICS[n % len(GERMAN_TOPICS)]
            month = GERMAN_MONTHS[day.month - 1]
            paragraphs = [line.format(place=place, day=day.day, month=month, topic=topic, n=n + 2) for line in GERMAN]
            title = f"Gemeinderat {place}: Sitzung Nummer {n}"
            teaser = f"Der Gemeinderat von {place} hat über {topic} beraten (Sitzung {n})."
            language = "de"
        else:
            topic = TOPICS[n % len(TOPICS)]
            paragraphs = [
                f"The council of {place} discussed {topic} at its meeting on {day:%B} {day.day}.",
                f"Residents asked {n + 2} questions, and the mayor promised an answer within a month.",
                f"The next session of the {place} council will be held in the town hall; the agenda follows.",
            ]
            title = f"{place} council session {n}"
            teaser = f"The council of {place} discussed {topic} (session {n})."
            language = "en"
        stories.append(
            Story(f"{place.lower()}-session-{n}", day, title, teaser, paragraphs, ident=ident, language=language)
        )
    original = next(s for s in stories if s.ident == 230)
    last = first + timedelta(days=count - 1)
    stories.append(
        Story(
            original.slug + "-repost",
            last,
            original.title + " (repost)",
            original.teaser,
            list(original.paragraphs),
            ident=200 + count - 1,
            language=original.language,
        )
    )
    return stories


def gazette_path(story: Story) -> str:
    return f"/news/{story.ident}-{story.slug}"


def gazette_item(story: Story, n: int) -> str:
    url = gazette_path(story)
    published = f"Published: {story.day:%d.%m.%Y}"
    when = (
        f'<dd class="published"><time datetime="{story.day.isoformat()}T08:00:00+01:00">{published}</time></dd>'
        if n % 2
        else f'<dd class="published">{published}</dd>'
    )
    intro = (
        f'<div class="item-intro"><p>{escape(story.teaser)}</p></div>' if n % 2 else f"<p>{escape(story.teaser)}</p>"
    )
    return f"""<div class="item column-1" itemprop="blogPost">
<div class="page-header"><h2 itemprop="name"><a href="{url}" itemprop="url">{escape(story.title)}</a></h2></div>
<dl class="article-info"><dt class="article-info-term">Details</dt>{when}
<dd class="category-name">Category: <a href="/news">News</a></dd></dl>
{intro}
<p class="readmore"><a class="btn" href="{url}">Read more: {escape(story.title)}</a></p></div>"""


def gazette_site(stories: list[Story], per_page: int = 20) -> dict[str, Resource]:
    newest = sorted(stories, key=lambda s: (s.day, s.ident), reverse=True)
    site: dict[str, Resource] = {}
    pages = [newest[i : i + per_page] for i in range(0, len(newest), per_page)]
    for number, chunk in enumerate(pages):
        path = "/news" if number == 0 else f"/news?start={number * per_page}"
        links = " ".join(
            f'<li><a href="/news?start={k * per_page}">{k + 1}</a></li>' if k else '<li><a href="/news">1</a></li>'
            for k in range(len(pages))
        )
        content = (
            '<div class="blog" itemscope itemtype="https://schema.org/Blog"><h1>News</h1>'
            + "".join(gazette_item(s, i) for i, s in enumerate(chunk))
            + f'<div class="pagination"><ul class="pagination-list">{links}</ul></div></div>'
        )
        site[path] = Resource(gazette_page("News – Valley Gazette", content))
    for story in stories:
        body = "".join(f"<p>{escape(p)}</p>" for p in story.paragraphs)
        content = f"""<div class="item-page" itemscope itemtype="https://schema.org/Article">
<div class="page-header"><h2 itemprop="headline">{escape(story.title)}</h2></div>
<dl class="article-info"><dd class="published"><time datetime="{story.day.isoformat()}T08:00:00+01:00" itemprop="datePublished">Published: {story.day:%d.%m.%Y}</time></dd></dl>
<div itemprop="articleBody">{body}</div>
<ul class="pager pagenav"><li class="previous"><a href="/news" rel="prev">Prev</a></li></ul></div>"""
        site[gazette_path(story)] = Resource(gazette_page(f"{story.title} – Valley Gazette", content))
    return site


def gazette_page(title: str, content: str) -> bytes:
    return f"""<!DOCTYPE html><html lang="en-gb"><head><meta charset="utf-8"><title>{escape(title)}</title></head>
<body class="site com_content"><div class="header"><a class="brand" href="/"><span class="site-title">Valley Gazette</span></a></div>
<nav class="navigation" role="navigation"><ul class="nav menu"><li><a href="/">Home</a></li><li><a href="/news">News</a></li></ul></nav>
<main id="content" role="main">{content}</main>
<footer class="footer"><p>&copy; 2024 Valley Gazette</p></footer></body></html>""".encode()
