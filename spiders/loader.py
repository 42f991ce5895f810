"""The project's SPIDER_LOADER_CLASS: the built-in spiders of SPIDER_MODULES and the site profiles.

Profiles are the `*.toml` files of the sites folder: the ARCHIVER_SITES setting (default
`$ARCHIVER_SITES`, else `./sites/`). Each valid profile is a spider named by its `name`; a file
that does not validate is kept as its one-line error (`SiteLoader.errors`, by file stem), so that
`archiver crawl STEM` can say what is wrong with it instead of "unknown spider".
Whatever loads spiders goes through `scrapy.spiderloader.get_spider_loader(settings)`, so
`scrapy crawl NAME`, `archiver crawl/backfill/worker/reparse` and the checks all see profiles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scrapy import Spider
from scrapy.settings import BaseSettings
from scrapy.spiderloader import SpiderLoader

from archiver.sites.profiles import Profile, ProfileError, SitesFolder
from spiders.profile import ProfileSpider

DEFAULT_SITES = "sites"


@dataclass(frozen=True)
class SiteInfo:
    """One line of `archiver sites`."""

    name: str
    kind: str  # "built-in" | "profile"
    base_url: str
    origin: str  # the spider's module, or the profile's file
    description: str | None = None


class SiteLoader(SpiderLoader):
    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        builtin = frozenset(super().list())
        self.sites = SitesFolder.scan(settings.get("ARCHIVER_SITES") or DEFAULT_SITES, reserved=builtin)
        self._profiles: dict[str, type[Spider]] = {
            name: ProfileSpider.for_profile(profile) for name, profile in self.sites.profiles.items()
        }

    @property
    def errors(self) -> dict[str, ProfileError]:
        return self.sites.errors

    def profile(self, name: str) -> Profile | None:
        return self.sites.profiles.get(name)

    def load(self, spider_name: str) -> type[Spider]:
        if spider_name in self._profiles:
            return self._profiles[spider_name]
        if (error := self.sites.error_for(spider_name)) is not None:
            raise KeyError(str(error))
        return super().load(spider_name)

    def list(self) -> list[str]:
        return [*super().list(), *self._profiles]

    def describe(self) -> Sequence[SiteInfo]:
        """Every site this loader knows, built-in spiders first, each group by name."""
        infos = []
        for name in sorted(super().list()):
            cls = super().load(name)
            infos.append(SiteInfo(name, "built-in", getattr(cls, "default_base_url", ""), cls.__module__))
        for name in sorted(self._profiles):
            profile = self.sites.profiles[name]
            infos.append(SiteInfo(name, "profile", profile.base_url, str(profile.path), profile.description))
        return infos
