"""Which archived articles a run fetches again, within a budget, and what their answers leave behind.

The policy (docs/operations.md, "Revisits"): every archived article is fetched again at set ages
after it was first seen (ARCHIVER_REVISIT_AGES, days: 1, 7, 30, 180), plus a small random sample
of those older than the last age (ARCHIVER_REVISIT_SAMPLE), never more than ARCHIVER_REVISIT_BUDGET
requests a run (default: 5% of the run's requests or 50, whichever is larger; 0 turns revisits
off). An article is due at an age once it is that old and the archive has not fetched its page
since it reached it (`last_seen_at`, when a fetch stored it; `revisited_at`, when a revisit got an
answer). First come the articles seen taken down once (the next run confirms it), then the due
ones, youngest age first, oldest first within an age, then the sample. `ARCHIVER_REVISIT_SEED`
makes the sample reproducible.

What a revisit finds is written at the end of the run (`record_outcomes`): the page's text goes
through the store like any fetch (a changed text is a new version, archiver/archive/revisions.py);
a takedown or an answer is counted where 404s are (archiver/archive/gone.py), and the article
follows (archiver/archive/takedowns.py); `revisited_at` moves for every answered revisit.
"""

from __future__ import annotations

import math
import random
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from archiver.archive.engine import open_archive, session_factory
from archiver.archive.gone import RunRecord, record_run
from archiver.archive.models import Article, utcnow
from archiver.archive.takedowns import pending, removed

#: Request.meta key of a revisit: {"article_id", "url", "state"} of the article it fetches again.
REVISIT = "archiver_revisit"
DEFAULT_AGES = (1, 7, 30, 180)
#: The budget when ARCHIVER_REVISIT_BUDGET is not set: this share of the run's requests, at least FLOOR.
SHARE = 0.05
FLOOR = 50


def check_count(text: str) -> int:
    """A `-s ARCHIVER_REVISIT_BUDGET=…` (or `…_SAMPLE`, `…_SEED`) value: a whole number, 0 or more."""
    value = str(text).strip()
    if not value.isdigit():
        raise ValueError(f"expected a whole number (0 or more), got {text!r}")
    return int(value)


def check_ages(text: str) -> tuple[int, ...]:
    """A `-s ARCHIVER_REVISIT_AGES=…` value: days, comma-separated (`1,7,30,180`)."""
    return tuple(check_count(part) for part in str(text).split(",") if part.strip())


@dataclass(frozen=True)
class Candidate:
    """An archived article as the revisit policy sees it."""

    article_id: int
    url: str
    first_seen_at: datetime
    last_checked: datetime
    state: str = ""  # "" | "pending" (seen taken down once) | "removed" (confirmed)

    def due_age(self, ages: tuple[int, ...], now: datetime) -> int | None:
        """The largest scheduled age (days) the article has reached, if it has not been fetched since."""
        reached = [age for age in ages if self.first_seen_at + timedelta(days=age) <= now]
        if not reached:
            return None
        age = max(reached)
        return age if self.last_checked < self.first_seen_at + timedelta(days=age) else None


@dataclass(frozen=True)
class Chosen:
    candidate: Candidate
    why: str  # "confirm" | "age N" | "sample"


@dataclass(frozen=True)
class RevisitPolicy:
    ages: tuple[int, ...] = DEFAULT_AGES
    sample: int = 5
    budget: int | None = None  # None: SHARE of the run's requests, at least FLOOR
    seed: int | None = None

    @classmethod
    def from_settings(cls, settings) -> RevisitPolicy:
        ages = sorted({check_count(age) for age in settings.getlist("ARCHIVER_REVISIT_AGES", list(DEFAULT_AGES))})
        budget = settings.get("ARCHIVER_REVISIT_BUDGET")
        seed = settings.get("ARCHIVER_REVISIT_SEED")
        return cls(
            ages=tuple(ages),
            sample=check_count(settings.get("ARCHIVER_REVISIT_SAMPLE", 5)),
            budget=None if budget in (None, "") else check_count(budget),
            seed=None if seed in (None, "") else check_count(seed),
        )

    @property
    def off(self) -> bool:
        return self.budget == 0

    def budget_for(self, requests: int) -> int:
        """How many revisit requests a run that made `requests` requests may make."""
        if self.budget is not None:
            return self.budget
        return max(math.ceil(SHARE * requests), FLOOR)

    def choose(
        self, candidates: Iterable[Candidate], budget: int, now: datetime, skip: Collection[str] = ()
    ) -> list[Chosen]:
        """The revisits of this run, in order, at most `budget` (articles whose URL is in `skip` were
        fetched in this run already).

        One pass over `candidates` (streamed from the archive: a million of them are never all in
        memory), keeping at most `budget` of each kind: the first pending takedowns, the best due
        ones, and a reservoir sample of the older ones.
        """
        if budget <= 0:
            return []
        confirm: list[Chosen] = []
        due: list[tuple[int, datetime, int, Chosen]] = []
        rng = random.Random(self.seed)
        reservoir: list[Candidate] = []
        room = min(self.sample, budget)
        older_seen = 0
        oldest = max(self.ages, default=0)
        for candidate in candidates:
            if candidate.url in skip:
                continue
            if candidate.state == "pending":
                if len(confirm) < budget:
                    confirm.append(Chosen(candidate, "confirm"))
                continue
            age = candidate.due_age(self.ages, now)
            if age is not None:
                due.append((age, candidate.first_seen_at, candidate.article_id, Chosen(candidate, f"age {age}")))
                if len(due) >= 2 * budget + 64:  # keep the best `budget` only
                    due.sort(key=lambda entry: entry[:3])
                    del due[budget:]
            elif candidate.first_seen_at + timedelta(days=oldest) <= now and room > 0:
                older_seen += 1  # Algorithm R: each older article is in the sample with equal chance
                if len(reservoir) < room:
                    reservoir.append(candidate)
                elif (slot := rng.randrange(older_seen)) < room:
                    reservoir[slot] = candidate
        chosen = confirm + [entry[-1] for entry in sorted(due, key=lambda entry: entry[:3])[:budget]]
        rng.shuffle(reservoir)  # any prefix of it is then a uniform sample too
        chosen += [Chosen(c, "sample") for c in reservoir[: max(0, budget - len(chosen))]]
        return chosen[:budget]


def load_candidates(db_url: str, site: str, batch: int = 5_000) -> Iterator[Candidate]:
    """Every archived article of `site`, as the policy sees it (in id order), streamed in batches."""
    engine = open_archive(db_url)
    try:
        with engine.connect() as connection:
            rows = connection.execution_options(yield_per=batch).execute(
                select(
                    Article.id,
                    Article.url,
                    Article.first_seen_at,
                    Article.last_seen_at,
                    Article.revisited_at,
                    Article.removed_at,
                    Article.removal_confirmed_at,
                    Article.restored_at,
                )
                .where(Article.site == site)
                .order_by(Article.id)
            )
            for row in rows:
                yield Candidate(
                    row.id,
                    row.url,
                    row.first_seen_at,
                    max(row.last_seen_at, row.revisited_at or row.last_seen_at),
                    "pending" if pending(row) else "removed" if removed(row) else "",
                )
    finally:
        engine.dispose()


def record_outcomes(
    db_url: str,
    site: str,
    taken_down: Mapping[str, int],
    answered: Iterable[str],
    revisited: Iterable[int],
    *,
    threshold: int,
    run_id: int | None = None,
) -> RunRecord:
    """At the end of a run: its revisits' takedowns (address → status) and answers counted with the
    404s (archiver/archive/gone.py), and `revisited_at` moved for the articles revisited."""
    answered = list(answered)
    record = (
        record_run(db_url, site, taken_down, answered, threshold=threshold, run_id=run_id)
        if taken_down or answered
        else RunRecord()
    )
    ids = sorted(set(revisited))
    if ids:
        engine = open_archive(db_url)
        try:
            with session_factory(engine).begin() as session:
                now = utcnow()
                for start in range(0, len(ids), 500):
                    session.execute(
                        update(Article).where(Article.id.in_(ids[start : start + 500])).values(revisited_at=now)
                    )
        finally:
            engine.dispose()
    return record
