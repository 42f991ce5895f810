"""The request filter of a crawl (DUPEFILTER_CLASS): Scrapy's, its fingerprints kept compact.

Scrapy's RFPDupeFilter keeps every request's 20-byte fingerprint in a set of bytes (~100 bytes a
request with the set's slot); a million-page backfill would hold ~100 MB of them. This one keeps
their first 8 bytes in a `UrlSet` (archiver/bounded.py, ~16 bytes a request). Everything else is
Scrapy's: the JOBDIR file `requests.seen` is written and read back the same way.
"""

from __future__ import annotations

from scrapy.dupefilters import RFPDupeFilter

from archiver.bounded import UrlSet


class CompactDupeFilter(RFPDupeFilter):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._fingerprints = UrlSet(self._fingerprints)  # type: ignore[assignment]  # in and add, as a set
