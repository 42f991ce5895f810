"""The one place that reaches into Scrapy's private API, for the two things its public API lacks.

- `wake_engine()`: ask the engine to look at its scheduler now rather than at its next heartbeat
  (5 s): a distributed worker whose shared queue just got requests from another worker.
- `PipelineMethodHook`: an item pipeline manager (ITEM_PROCESSOR) that may wrap each pipeline's
  `process_item` and `close_spider` as they are registered: the benchmark times each stage so.

Both rely on internals that may change in any Scrapy release: pyproject.toml bounds Scrapy from
above, and tests/test_scrapy_private.py fails first when an upgrade moves them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scrapy.pipelines import ItemPipelineManager

WRAPPED_METHODS = ("process_item", "close_spider")


def wake_engine(engine: Any) -> bool:
    """Schedule the engine's next look at its scheduler now; False when it has no open spider."""
    slot = getattr(engine, "_slot", None)
    nextcall = getattr(slot, "nextcall", None)
    if nextcall is None:
        return False
    nextcall.schedule()
    return True


class PipelineMethodHook(ItemPipelineManager):
    """Scrapy's item pipeline manager, with `wrap_method()` called on each pipeline's methods."""

    def wrap_method(self, pipeline: Any, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        """The callable to run in place of `pipeline.<name>` (default: the method itself)."""
        return method

    def _add_middleware(self, pipeline: Any) -> None:
        super()._add_middleware(pipeline)
        for name in WRAPPED_METHODS:
            method = getattr(pipeline, name, None)
            methods = self.methods[name]
            if method is None or method not in methods:
                continue
            wrapped = self.wrap_method(pipeline, name, method)
            methods[methods.index(method)] = wrapped
            if method in self._mw_methods_requiring_spider:
                self._mw_methods_requiring_spider.add(wrapped)
