"""What a crawl keeps per URL, bounded or compact (issue 27): the containers of archiver/bounded.py,
the request filter, the walk policy's sets and the KCNA Watch spider's listing titles."""

from __future__ import annotations

import sys

import pytest
from scrapy import Request
from scrapy.utils.test import get_crawler

from archiver.archive.incremental import Entry, WalkPolicy
from archiver.bounded import PENDING_MIN, LruDict, UrlSet, url_hash
from archiver.extensions.dupefilter import CompactDupeFilter


def urls(n: int, start: int = 0) -> list[str]:
    return [f"https://kcnawatch.org/newstream/{1420097298 + i}-{800000000 + i}/a-slug-{i}/" for i in range(start, n)]


def test_a_url_set_answers_like_a_set_across_merges():
    many = urls(3 * PENDING_MIN + 17)
    found = UrlSet()
    for url in many:
        found.add(url)
        found.add(url)  # twice: counted once
    assert len(found) == len(many)
    assert all(url in found for url in many)
    assert not any(url in found for url in urls(len(many) + 500, len(many)))
    assert 12345 not in found and None not in found
    assert found.nbytes >= 8 * 2 * PENDING_MIN  # merged into the array: 8 bytes a URL


def test_a_url_set_takes_far_less_memory_than_a_set_of_urls():
    many = urls(50_000)
    compact = UrlSet(many)
    plain = set(many)
    plain_bytes = sys.getsizeof(plain) + sum(sys.getsizeof(u) for u in plain)
    pending = sys.getsizeof(compact._pending) + 32 * len(compact._pending)
    assert compact.nbytes + pending < plain_bytes / 5


def test_fingerprints_are_their_own_hash():
    fingerprint = bytes(range(20))
    assert url_hash(fingerprint) == int.from_bytes(fingerprint[:8], "little")
    assert fingerprint in UrlSet([fingerprint]) and bytes(20) not in UrlSet([fingerprint])


def test_an_lru_dict_past_its_cap_keeps_the_cap_and_the_recently_used():
    titles: LruDict[str, str] = LruDict(3)
    for n in range(3):
        titles[f"u{n}"] = f"T{n}"
    assert titles.get("u0") == "T0"  # used: now the newest
    assert titles.setdefault("u1", "other") == "T1"  # the first title stays
    titles["u3"] = "T3"
    titles.setdefault("u4", "T4")
    assert len(titles) == 3
    assert list(titles) == ["u1", "u3", "u4"]  # u2 went first, then u0 (used before u1)
    assert titles.get("u2") is None
    with pytest.raises(ValueError):
        LruDict(0)


def test_the_request_filter_filters_as_scrapy_does_with_compact_fingerprints(tmp_path):
    crawler = get_crawler(settings_dict={"REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7"})
    seen = CompactDupeFilter.from_crawler(crawler)
    assert isinstance(seen._fingerprints, UrlSet)
    requests = [Request(url) for url in urls(300)]
    assert [seen.request_seen(r) for r in requests] == [False] * 300
    assert all(seen.request_seen(Request(r.url)) for r in requests)
    # JOBDIR: written as Scrapy writes it, read back into the compact set.
    first = CompactDupeFilter(str(tmp_path), fingerprinter=crawler.request_fingerprinter)
    assert not first.request_seen(requests[0])
    first.close("finished")
    again = CompactDupeFilter(str(tmp_path), fingerprinter=crawler.request_fingerprinter)
    assert again.request_seen(requests[0]) and not again.request_seen(requests[1])
    again.close("finished")


def test_the_walk_policy_remembers_requested_and_listed_urls_compactly():
    policy = WalkPolicy()
    entries = [Entry(url, None) for url in urls(2 * PENDING_MIN)]
    assert [policy.take(e) for e in entries[:3]] == [None, None, None]
    assert policy.take(entries[0]) == "requested"
    assert isinstance(policy.requested, UrlSet) and isinstance(policy.listed, UrlSet)
    assert policy.visit_listing(entries, 0) == (None, 0)
    assert policy.visit_listing(entries[:10], 0) == (None, 1)  # nothing new: a barren page
    assert len(policy.listed) == len(entries)


def test_the_kcnawatch_spider_keeps_at_most_its_cap_of_listing_titles():
    from spiders.kcnawatch import LISTED_TITLES_MAX, KcnaWatchSpider

    spider = KcnaWatchSpider()
    for url in urls(LISTED_TITLES_MAX + 50):
        spider.listed_titles.setdefault(url, "A title")
    assert len(spider.listed_titles) == LISTED_TITLES_MAX
