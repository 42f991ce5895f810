"""Containers for what a crawl keeps per URL, so that its memory does not grow with the archive.

`UrlSet`: "seen this URL?" in about 16 bytes a URL (a 64-bit hash in a sorted array; the newest
ones in a Python set of at most an eighth as many, until they are merged in), where a set of URL
strings costs ~150 bytes a URL. A false "seen" needs two of the run's URLs to share 64 bits of
BLAKE2b: at a million URLs, about 3 chances in 10⁸ that any pair does.

`LruDict`: a dict of at most `maxsize` entries; the least recently used goes first. For caches, and
for what is looked up soon after it is put in (a listing's title for the article page fetched next).
"""

from __future__ import annotations

import heapq
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterable
from hashlib import blake2b
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

#: Hashes kept in a Python set before they are merged into the sorted array: this many, or an eighth
#: of the array, whichever is more (so that merging, a sort of two sorted runs, costs O(1) a URL).
PENDING_MIN = 4096


def url_hash(url: str | bytes) -> int:
    """The URL's 64-bit BLAKE2b hash; of bytes (a request fingerprint, a hash already), its first 8."""
    if isinstance(url, bytes):
        return int.from_bytes(url[:8].ljust(8, b"\0"), "little")
    return int.from_bytes(blake2b(url.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


class UrlSet:
    """A set of URLs (or any strings; or request fingerprints, bytes) that answers `in`, `add` and
    `len` in about 16 bytes an element."""

    __slots__ = ("_merged", "_pending")

    def __init__(self, urls: Iterable[str | bytes] = ()) -> None:
        self._merged = array("Q")
        self._pending: set[int] = set()
        self.update(urls)

    def _merge(self) -> None:
        if self._pending:
            # Merged in one pass into the new array: no list of every hash (~36 bytes each) on the way.
            self._merged = array("Q", heapq.merge(self._merged, sorted(self._pending)))
            self._pending = set()

    def _has(self, key: int) -> bool:
        if key in self._pending:
            return True
        merged = self._merged
        i = bisect_left(merged, key)
        return i < len(merged) and merged[i] == key

    def __contains__(self, url: object) -> bool:
        return isinstance(url, (str, bytes)) and self._has(url_hash(url))

    def add(self, url: str | bytes) -> None:
        key = url_hash(url)
        if not self._has(key):
            self._pending.add(key)
            if len(self._pending) >= max(PENDING_MIN, len(self._merged) >> 3):
                self._merge()

    def update(self, urls: Iterable[str | bytes]) -> None:
        for url in urls:
            self.add(url)

    def __len__(self) -> int:
        return len(self._merged) + len(self._pending)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __repr__(self) -> str:
        return f"UrlSet({len(self)} URLs)"

    @property
    def nbytes(self) -> int:
        """Bytes of the merged array (the pending set adds its Python ints)."""
        return self._merged.itemsize * len(self._merged)


class LruDict(OrderedDict, Generic[K, V]):
    """A dict of at most `maxsize` entries: setting a new key past the cap drops the least recently
    used one; `get` and `[]` count as a use."""

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, not {maxsize}")
        super().__init__()
        self.maxsize = maxsize

    def __getitem__(self, key):
        value = super().__getitem__(key)
        self.move_to_end(key)
        return value

    def get(self, key, default=None):
        if key in self:
            return self[key]
        return default

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.maxsize:
            self.popitem(last=False)

    def setdefault(self, key, default=None):
        if key in self:
            return self[key]
        self[key] = default
        return default
