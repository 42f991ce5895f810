"""The benchmark's synthetic mirrors, in the seen markup of each site, rendered when asked for.

KCNA Watch (`kcnawatch_articles`, `LazyKcnaWatchSite`): eight sources, two of them Korean (Korean
titles and slugs, linked raw and percent-encoded), three to eight paragraphs, one article in
REPOST_EVERY a repost of a recent one, some without title or date line, a "load more" fragment per
ten articles of a source, and article pages in all three renderings of archiver/mirror/kcnawatch.py
(a fifth in rendering "c": no heading of the article's own).

RSTV (`rstv_articles`, `LazyRstvSite`): a uCoz blog and its news module; entries with and without
slugs, a few under another segment; four categories; a story in four of ten in several languages
(Russian pages in windows-1251, some versions reachable only through the language links); paginated
listings (home, `/blog/`, `/news/`, categories), day archives, the feed; both templates alternating.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from functools import partial

from archiver.mirror import rstv
from archiver.mirror.kcnawatch import KcnaWatchMirror, SampleArticle
from archiver.mirror.rstv import RstvArticle, RstvMirror
from archiver.mirror.server import Resource

SOURCES = (
    ("kcna-en", "KCNA (EN)", "KCNA"),
    ("rodong-en", "Rodong Sinmun (EN)", None),
    ("kass-en", "KASS (EN)", None),
    ("naenara-en", "Naenara (En)", "KCNA"),
    ("pyongyang-times", "The Pyongyang Times", None),
    ("voice-of-korea", "Voice of Korea (EN)", None),
    ("kcna-ko", "조선중앙통신 (KO)", "조선중앙통신"),
    ("rodong-ko", "로동신문 (KO)", None),
)
#: The sources whose articles are in Korean: Korean titles, paragraphs and slugs.
KOREAN_SOURCES = frozenset({"kcna-ko", "rodong-ko"})
#: One article in this many is a repost of a recent article of its source (same text, new address).
REPOST_EVERY = 97
FIRST_EPOCH = 1420070400  # 2015-01-01

_PLACES = ("Pyongyang", "Hamhung", "Kaesong", "Wonsan", "Sinuiju", "Chongjin", "Nampho", "Haeju")
_SUBJECTS = (
    "Working people",
    "Officials of the ministry",
    "Scientists and technicians",
    "Youth league members",
    "Farmers of the cooperative",
    "Delegates",
    "Students of the university",
    "Builders",
    "Artistes of the troupe",
    "Members of the study group",
    "Workers of the complex",
    "Teachers",
)
_VERBS = (
    "visited",
    "inspected",
    "celebrated",
    "discussed",
    "completed",
    "opened",
    "reviewed",
    "attended",
    "praised",
    "reported on",
    "carried out",
    "called for",
)
_OBJECTS = (
    "the newly built dwelling houses",
    "a national meeting",
    "the plan for the year",
    "a photo exhibition",
    "the flood-damaged areas",
    "the modernization of the factory",
    "a joint performance",
    "the results of the campaign",
    "a seminar on the Juche idea",
    "the harvest in the province",
    "the construction of the power station",
    "the international friendship exhibition",
)
_TAILS = (
    "amid great enthusiasm.",
    "on the occasion of the anniversary.",
    "ahead of schedule.",
    "with the participation of officials & guests.",
    "under the slogan “Let us advance!”.",
    "in the presence of foreign diplomats.",
    "for the second time this year.",
    "in a solemn atmosphere.",
)
_WORDS = (
    "struggle",
    "victory",
    "production",
    "people",
    "cause",
    "leadership",
    "construction",
    "economy",
    "culture",
    "science",
    "unity",
    "development",
    "achievement",
    "defence",
    "tradition",
    "future",
    "spirit",
    "revolution",
    "effort",
    "progress",
    "friendship",
    "solidarity",
    "education",
    "health",
)


_KO_PLACES = ("평양", "함흥", "개성", "원산", "신의주", "청진", "남포", "해주")
_KO_WORDS = (
    "로동자들",
    "간부들",
    "과학자들",
    "청년동맹원들",
    "농업근로자들",
    "대표들",
    "건설자들",
    "예술인들",
    "교원들",
    "새로 건설된",
    "살림집",
    "전국회의",
    "경제발전",
    "인민경제계획",
    "사진전람회",
    "발전소건설",
    "공장현대화",
    "합동공연",
    "성과",
    "투쟁",
    "승리",
    "생산",
    "교육",
    "보건",
    "문화",
    "과학기술",
)


def _ko_sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(_KO_WORDS) for _ in range(rng.randint(5, 14))) + "을 진행하였다."


def _sentence(rng: random.Random) -> str:
    words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(4, 12)))
    return f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} for the {words} {rng.choice(_TAILS)}"


def kcnawatch_articles(n: int, seed: int = 2024) -> list[SampleArticle]:
    """n articles the way KCNA Watch has them: several sources, three to eight paragraphs, some
    without title, date line or original link, and one in REPOST_EVERY a repost of a recent one."""
    rng = random.Random(seed)
    pool = [_sentence(rng) for _ in range(2048)]  # sentences for the paragraphs after the first
    ko_pool = [_ko_sentence(rng) for _ in range(512)]
    articles: list[SampleArticle] = []
    epoch = FIRST_EPOCH
    for i in range(n):
        epoch += rng.randint(600, 6 * 3600)
        post_id = 800_000_000 + i * 13 + rng.randint(0, 12)
        # The newest article of each source is among the last few: `/newstream/` names every source.
        pick = rng.randrange(len(SOURCES))
        slug, name, signature = SOURCES[n - 1 - i if i >= n - len(SOURCES) else pick]
        recent = [a for a in articles[-30:] if a.teaser is None and a.source_slug == slug]
        if i % REPOST_EVERY == REPOST_EVERY - 1 and recent:
            original = rng.choice(recent)
            articles.append(
                SampleArticle(
                    epoch=epoch,
                    post_id=post_id,
                    slug=f"{original.slug}-2",
                    source_slug=slug,
                    source_name=name,
                    paragraphs=list(original.paragraphs),
                    title=original.title,
                    signature=original.signature,
                    original_url=original.original_url,
                )
            )
            continue
        when = time.gmtime(epoch)
        if slug in KOREAN_SOURCES:
            place = rng.choice(_KO_PLACES)
            lead = f"{place} {when.tm_mon}월 {when.tm_mday}일발 조선중앙통신 -- {_ko_sentence(rng)} (제{i}호)"
            more = ko_pool
            title = f"{place}에서 {rng.choice(_KO_WORDS)} {rng.choice(_KO_WORDS)} 진행"
            page_slug = re.sub(r"\s+", "-", title)
        else:
            place = rng.choice(_PLACES)
            lead = f"{place}, {time.strftime('%B', when)} {when.tm_mday} (KCNA) -- {_sentence(rng)} (No. {i})"
            more = pool
            title = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} in {place}"
            page_slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:80]
        paragraphs = [lead] + [" ".join(rng.choices(more, k=rng.randint(1, 4))) for _ in range(rng.randint(2, 7))]
        articles.append(
            SampleArticle(
                epoch=epoch,
                post_id=post_id,
                slug=page_slug,
                source_slug=slug,
                source_name=name,
                paragraphs=paragraphs,
                title=None if rng.random() < 0.01 else title,
                signature=signature,
                original_url=f"http://www.kcna.kp/en/article/q/{post_id:x}.kcmsf" if rng.random() < 0.3 else None,
                show_date=rng.random() >= 0.02,
            )
        )
    return articles


def repost_count(articles: Sequence[SampleArticle]) -> int:
    """How many articles repeat an earlier one's text (the archive folds each into it)."""
    return len(articles) - len({tuple(a.paragraphs) for a in articles})


#: One article page in this many is in rendering "c" (no heading of its own); the others alternate (a), (b).
HEADLESS_EVERY = 5


class LazyKcnaWatchSite(KcnaWatchMirror):
    """The synthetic mirror as a `MirrorServer` site: `KcnaWatchMirror` renders each page (feed,
    `/newstream/`, source listings, "load more" fragments, articles) when it is asked for; building
    every page of a 20,000-article mirror up front would take minutes and hundreds of megabytes.
    Article pages come in every rendering (one in HEADLESS_EVERY without a heading), listings in (a)."""

    def __init__(self, articles: Sequence[SampleArticle]) -> None:
        super().__init__(articles, rendering="mixed")

    def style_of(self, article: SampleArticle | None = None) -> str:
        if article is not None and article.post_id % HEADLESS_EVERY == 0:
            return "c"
        return super().style_of(article)


# RSTV ---------------------------------------------------------------------------------------------
RSTV_FIRST_DAY = date(2017, 1, 1)
#: A story in this many out of ten has versions in other languages (LANGUAGES_OF_STORIES).
STORIES_WITH_VERSIONS = 4
_RSTV_VERSIONS = (
    # language, category, listed, encoding, charset_in
    ("ru", "Coordination Committee of the DPRK ISG", True, "windows-1251", "both"),
    ("zh", "中国团结朝鲜社团", True, "utf-8", "both"),
    ("de", "Deutsches Regionalkomitee", True, "utf-8", "both"),
    ("ko", "Coordination Committee of the DPRK ISG", False, "utf-8", "both"),
    ("ru", "Coordination Committee of the DPRK ISG", False, "windows-1251", "meta"),
)
_RSTV_TITLES = {
    "ru": "Собрание солидарности с КНДР в городе {place}",
    "zh": "{place}举行支持朝鲜的团结会议",
    "de": "Solidaritätstreffen mit der KDVR in {place}",
    "ko": "{place}에서 조선과의 련대성집회 진행",
}
_RSTV_TEXT = {
    "ru": "Участники собрания выразили полную поддержку делу народа КНДР и единодушно приняли обращение.",
    "zh": "与会者表示全力支持朝鲜人民的事业，并一致通过了呼吁书。",
    "de": "Die Teilnehmer bekundeten ihre volle Unterstützung für die Sache des Volkes der KDVR.",
    "ko": "참가자들은 조선인민의 위업에 대한 전적인 지지를 표시하고 호소문을 채택하였다.",
}
_RSTV_PLACES = ("Moscow", "Beijing", "Berlin", "Dushanbe", "Minsk", "Budapest", "Pyongyang", "Tokyo")


def rstv_articles(n: int, seed: int = 2024) -> list[RstvArticle]:
    """n entries the way RSTV has them: mostly English blog entries, a few a day, some in the news
    module; slugs, slug-less addresses and other segments; datelines, subtitles, photos, tags and
    comments here and there; a story in STORIES_WITH_VERSIONS of ten also in other languages."""
    rng = random.Random(seed)
    pool = [_sentence(rng) for _ in range(1024)]
    articles: list[RstvArticle] = []
    day = RSTV_FIRST_DAY
    entry_id = 100
    while len(articles) < n:
        if rng.random() < 0.4:
            day += timedelta(days=rng.randint(1, 3))
        entry_id += 1
        place = rng.choice(_RSTV_PLACES)
        title = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} in {place}"
        slug_kind = rng.random()
        slug = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:70] if slug_kind < 0.75 else None
        segment = f"{day.year}_{day.month}" if 0.75 <= slug_kind < 0.8 else None
        module = "news" if rng.random() < 0.15 else "blog"
        story = f"s{entry_id}" if rng.randrange(10) < STORIES_WITH_VERSIONS and module == "blog" else None
        blocks: list[rstv.Block] = [" ".join(rng.choices(pool, k=rng.randint(1, 3))) for _ in range(rng.randint(2, 7))]
        if rng.random() < 0.1:
            blocks.insert(1, {"heading": rng.choice(_OBJECTS).capitalize()})
        if rng.random() < 0.1:
            blocks.append({"ul": [rng.choice(pool) for _ in range(3)]})
        month = rstv.MONTHS[day.month - 1]
        articles.append(
            RstvArticle(
                entry_id=entry_id,
                published=day.isoformat(),
                title=title,
                blocks=blocks,
                slug=slug,
                segment=segment,
                module=module,
                category=("English" if module == "blog" else None if rng.random() < 0.5 else "English"),
                time=f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
                dateline=f"{month} {day.day}, {place} (RSTV)" if rng.random() < 0.6 else None,
                subtitle=rng.choice(_OBJECTS).capitalize() if rng.random() < 0.2 else None,
                photos=rng.random() < 0.25,
                story=story,
                views=rng.randint(0, 3000),
                tags=["DPRK ISG"] if rng.random() < 0.3 else [],
                comments=[f"qwerty • 06:18, {day:%d/%m/%y}|Good news, comrades!"] if rng.random() < 0.1 else [],
            )
        )
        if story is None:
            continue
        for language, category, listed, encoding, charset_in in rng.sample(_RSTV_VERSIONS, rng.randint(1, 3)):
            if len(articles) >= n or any(a.story == story and a.language == language for a in articles[-4:]):
                continue
            entry_id += 1
            articles.append(
                RstvArticle(
                    entry_id=entry_id,
                    published=day.isoformat(),
                    title=_RSTV_TITLES[language].format(place=place),
                    blocks=version_blocks(f"{place} ({entry_id}). {_RSTV_TEXT[language]}", rng.randint(1, 4)),
                    language=language,
                    slug=None,
                    category=category,
                    time=f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
                    story=story,
                    views=rng.randint(0, 500),
                    listed=listed,
                    encoding=encoding,
                    charset_in=charset_in,
                )
            )
    return articles


def version_blocks(lead: str, more: int) -> list[rstv.Block]:
    """A translation's text: its own first paragraph (no two versions fold), then the stock text."""
    language_text = lead.split(". ", 1)[1]
    return [lead, *([language_text] * more)]


class LazyRstvSite(RstvMirror):
    """The synthetic RSTV mirror as a `MirrorServer` site: `RstvMirror`'s pages (listings, day
    archives, feeds, the sitemap, entries), each rendered when it is asked for, and the language
    versions of a story found through an index, not a scan of every entry."""

    def __init__(self, articles: Sequence[RstvArticle]) -> None:
        super().__init__(list(articles))
        self.recipes: dict[str, Callable[[], Resource]] = {}
        self.stories: dict[str, list[RstvArticle]] = {}
        for article in self.articles:
            if article.story:
                self.stories.setdefault(article.story, []).append(article)
        self.prepare()

    def prepare(self) -> None:
        ordered = sorted(self.articles, key=lambda a: (a.published, a.time, a.entry_id), reverse=True)
        listed = [a for a in ordered if a.listed and a.served]
        self.recipes["/robots.txt"] = rstv.robots
        home = [a for a in listed if a.module in self.home_modules]
        self.lazy_paged(home, lambda n: "/" if n == 1 else f"/?page{n}", "Home")
        for module in sorted({a.module for a in listed} | {"blog", "news"}):
            members = [a for a in listed if a.module == module]
            title = module.capitalize()
            self.lazy_paged(members, partial(module_page, module), title)
            for name, (slug, number) in rstv.CATEGORIES.items():
                in_category = [a for a in members if a.category == name]
                if in_category:
                    self.lazy_paged(in_category, rstv.category_pages(slug, number, module), name)
            by_day: dict[date, list[RstvArticle]] = {}
            for article in members:
                by_day.setdefault(article.listing_day, []).append(article)
            for day, on_day in by_day.items():
                heading = f"Entries of {day.day} {rstv.MONTHS[day.month - 1]} {day.year}"
                recipe = self._day_recipe(on_day, heading, rstv.LISTING_TEMPLATES[day.day % 3])
                self.recipes[f"/{module}/{day.year}-{day.month}-{day.day}"] = recipe
                self.recipes[f"/{module}/{day.isoformat()}"] = recipe
            self.recipes[f"/{module}/rss/"] = partial(feed_resource, members, title)
        self.recipes["/sitemap.xml"] = lambda: Resource(
            rstv.render_sitemap(listed).encode("utf-8"), "application/xml; charset=UTF-8"
        )
        for article in ordered:
            if article.served:
                self.recipes[article.path] = partial(self.article_resource, article)

    def article_resource(self, article: RstvArticle) -> Resource:
        return rstv.article_resource(article, self.versions(article))

    @staticmethod
    def _day_recipe(on_day: list[RstvArticle], heading: str, template: str) -> Callable[[], Resource]:
        return partial(listing_resource, on_day, None, 1, heading, template)

    def lazy_paged(self, articles: list[RstvArticle], path: Callable[[int], str], heading: str) -> None:
        chunks = [articles[i : i + rstv.PER_PAGE] for i in range(0, len(articles), rstv.PER_PAGE)] or [[]]
        for number, chunk in enumerate(chunks, start=1):
            template = rstv.LISTING_TEMPLATES[(number - 1) % 2]
            pager = (path, number, len(chunks))
            self.recipes[path(number)] = partial(listing_resource, chunk, pager, number, heading, template)

    def versions(self, article: RstvArticle) -> list[RstvArticle]:
        if not article.story or not article.links_versions:
            return []
        members = self.stories.get(article.story, [])
        return sorted(members, key=lambda a: rstv.LANGUAGE_ORDER.index(a.language)) if len(members) > 1 else []

    def __call__(self, target: str) -> Resource | None:
        recipe = self.recipes.get(target)
        if recipe is not None:
            return recipe()
        module, _, rest = target.lstrip("/").partition("/")
        parts = rest.split("-")
        if module in ("blog", "news") and len(parts) == 3 and all(p.isdigit() for p in parts):
            return rstv.html_resource(rstv.render_listing([], None, 1, "Entries", "ucoz"))
        return None


def module_page(module: str, n: int) -> str:
    return f"/{module}/" if n == 1 else f"/{module}/?page{n}"


def listing_resource(
    articles: list[RstvArticle],
    pager: tuple[Callable[[int], str], int, int] | None,
    number: int,
    heading: str,
    template: str,
) -> Resource:
    return rstv.html_resource(rstv.render_listing(articles, pager, number, heading, template))


def feed_resource(members: list[RstvArticle], title: str) -> Resource:
    return Resource(rstv.render_feed(members, title).encode("utf-8"), "application/rss+xml; charset=UTF-8")


def rstv_repost_count(articles: Sequence[RstvArticle]) -> int:
    """RSTV entries repeat no text of another: none fold."""
    return 0


#: Per site: the synthetic articles, the mirror that serves them, and how many fold into another.
MIRRORS: dict[str, tuple[Callable[[int, int], list], Callable[[list], Callable[[str], Resource | None]], Callable]] = {
    "kcnawatch": (kcnawatch_articles, LazyKcnaWatchSite, repost_count),
    "rstv": (rstv_articles, LazyRstvSite, rstv_repost_count),
}
