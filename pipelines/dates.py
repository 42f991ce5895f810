"""The dates stage: raw date strings → ISO dates, through the one DateNormalizer (never a wrong date).

Items that carry `date_candidates` (site profiles: every date the page states, spiders/pagedates.py)
get their dates chosen from them (archiver/normalize/datechoice.py): `published_on`, `modified_on`
for articles, `listed_on` for listing entries; candidates that disagree leave the date empty and
are counted (`archiver/dates/conflict`), and so are dates that could be any of several days
(`archiver/dates/ambiguous`).
The candidates, read, stay on the article for the archive (`articles.date_candidates`).
"""

from __future__ import annotations

from datetime import date

from archiver.items import ArticleItem, ListingEntryItem
from archiver.normalize.datechoice import Choice, choose
from archiver.normalize.dates import DateNormalizer


class DatesPipeline:
    def __init__(self, stats, today: date | None = None) -> None:
        self.stats = stats
        self.normalizer = DateNormalizer(today=today)
        # Candidates are read by one of their own: a candidate that reads as no date is not a date
        # left empty (the run's "dates left empty" counts the normalizer's problems).
        self._candidates = DateNormalizer(today=today)
        self._reported: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_item(self, item, spider=None):
        if isinstance(item, ArticleItem):
            self.article(item)
        elif isinstance(item, ListingEntryItem):
            if item.date_candidates is not None:
                item.listed_on = self.choose(item.date_candidates, item.timezone, item.article_url).published
            else:
                item.listed_on = self.parse(item.date_raw, item.date_order, item.timezone)
        self.report()
        return item

    def parse(self, raw: str | None, order: str, tz: str | None = None) -> date | None:
        if not raw:
            return None
        return self.normalizer.parse(raw, order=order, tz=tz).value

    def choose(self, candidates: list[dict], tz: str | None, url: str, language: str | None = None) -> Choice:
        choice = choose(
            candidates,
            lambda text, order: self._candidates.parse(text, order=order).value,
            tz=tz,
            url=url,
            language=language,
            today=self.normalizer.today,
        )
        if choice.problem:
            self.stats.inc_value(f"archiver/dates/{choice.problem}")
        return choice

    def article(self, item: ArticleItem) -> None:
        if item.date_candidates is not None:
            choice = self.choose(item.date_candidates, item.timezone, item.url, item.language)
            item.published_on, item.modified_on = choice.published, choice.modified
            item.date_candidates = choice.record()
        else:
            from_url = None
            if item.url_date_raw:
                from_url = (
                    self.normalizer.date_from_epoch(item.url_date_raw, tz=item.timezone).value
                    if item.url_date_raw.isdigit()
                    else self.normalizer.parse(item.url_date_raw, order="YMD").value
                )
            item.published_on = self.parse(item.date_raw, item.date_order, item.timezone) or from_url
        for paragraph in item.paragraphs:  # counts Juche years that contradict their Gregorian year
            self.normalizer.juche_years(paragraph)
        if item.dateline_raw:
            dateline = self.normalizer.parse_dateline(
                item.dateline_raw, context=item.published_on, nearest=item.dateline_nearest
            )
            item.dateline = dateline.raw
            item.dateline_place = dateline.place
            item.dateline_on = dateline.value

    def report(self) -> None:
        """Mirror the normalizer's problem counts into the crawl stats (dates left empty, conflicts)."""
        for problem, count in self.normalizer.counts.items():
            if self._reported.get(problem) != count:
                self.stats.set_value(f"archiver/dates/{problem}", count)
                self._reported[problem] = count
