"""The portal registry: which sites publish annual reports, and in which columns.

The registry is data (`crawler/registry/<city>.toml`, one `[[sites]]` entry per site);
adding a site of a known CMS is an entry there, not code. This module only reads it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from urllib.parse import urlsplit

#: what a site entry may say; anything else is a typo worth an error
_SITE_KEYS = {"host", "aliases", "name", "admin_code", "level", "kind", "verified", "columns", "cms", "notes", "scheme"}
_CITY_KEYS = {"spider", "name", "admin_code", "cms", "scheme"}


#: a column: its directory, or its list page where the platform names it (Hanweb: /col/col123/index.html)
_COLUMN = re.compile(r"^/(?:[^?#\s]*/)?(?:[^/?#\s]+\.(?:s?html?|jsp))?$")


class RegistryError(ValueError):
    """The registry file says something that cannot be right."""


@dataclass(frozen=True, slots=True)
class Site:
    host: str
    name: str
    columns: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    admin_code: str | None = None
    level: str | None = None
    kind: str | None = None
    cms: str = "trs"
    scheme: str = "https"
    verified: bool = False
    notes: str = ""

    @property
    def hosts(self) -> frozenset[str]:
        return frozenset((self.host, *self.aliases))

    def column_urls(self) -> list[str]:
        return [f"{self.scheme}://{self.host}{c}" for c in self.columns]


@dataclass(frozen=True, slots=True)
class Registry:
    spider: str
    name: str
    admin_code: str | None
    cms: str
    sites: tuple[Site, ...] = field(default=())

    def site_for_host(self, host: str) -> Site | None:
        host = host.lower()
        for site in self.sites:
            if host in site.hosts:
                return site
        return None

    def select(self, hosts: list[str]) -> list[Site]:
        """The sites named by `hosts` (any alias, with or without www.). Unknown names raise."""
        chosen: list[Site] = []
        for name in hosts:
            name = name.strip().lower()
            if "://" in name:
                name = urlsplit(name).hostname or ""
            site = self.site_for_host(name) or self.site_for_host(name.removeprefix("www.")) or self.site_for_host("www." + name)
            if site is None:
                raise RegistryError(f"{name!r} is not a site of the {self.spider} registry")
            if site not in chosen:
                chosen.append(site)
        return chosen

    def hosts(self) -> frozenset[str]:
        return frozenset(h for s in self.sites for h in s.hosts)


def is_government_host(host: str | None) -> bool:
    """Government hosts: *.gov.cn. Spam sites mirror report pages under the same paths, so the
    crawler never follows anything else unless the registry names it."""
    if not host:
        return False
    host = host.lower().rstrip(".")
    return host == "gov.cn" or host.endswith(".gov.cn")


def _site(entry: dict, city: dict, path: str) -> Site:
    unknown = set(entry) - _SITE_KEYS
    if unknown:
        raise RegistryError(f"{path}: site {entry.get('host')!r} has unknown keys {sorted(unknown)}")
    host = str(entry.get("host", "")).lower()
    if not host or "/" in host:
        raise RegistryError(f"{path}: a site needs a bare host name, got {host!r}")
    columns = tuple(entry.get("columns") or ())
    bad = [c for c in columns if not (isinstance(c, str) and _COLUMN.match(c))]
    if not columns or bad:
        raise RegistryError(f"{path}: site {host}: columns must be paths of a column directory ('/…/') or of its "
                            f"list page ('/…/index.html', '/…/list.shtml') (got {bad or 'none'})")
    return Site(
        host=host,
        name=entry.get("name") or host,
        columns=columns,
        aliases=tuple(a.lower() for a in entry.get("aliases") or ()),
        admin_code=entry.get("admin_code"),
        level=entry.get("level"),
        kind=entry.get("kind"),
        cms=entry.get("cms") or city.get("cms") or "trs",
        scheme=entry.get("scheme") or city.get("scheme") or "https",
        verified=bool(entry.get("verified", False)),
        notes=entry.get("notes", ""),
    )


def parse_registry(text: str, path: str = "<registry>") -> Registry:
    data = tomllib.loads(text)
    city = data.get("city") or {}
    unknown = set(city) - _CITY_KEYS
    if unknown:
        raise RegistryError(f"{path}: [city] has unknown keys {sorted(unknown)}")
    sites = tuple(_site(e, city, path) for e in data.get("sites") or ())
    seen: dict[str, str] = {}
    for s in sites:
        for h in s.hosts:
            if h in seen:
                raise RegistryError(f"{path}: host {h} is listed twice ({seen[h]} and {s.host})")
            seen[h] = s.host
    return Registry(spider=city.get("spider", ""), name=city.get("name", ""), admin_code=city.get("admin_code"),
                    cms=city.get("cms", "trs"), sites=sites)


@cache
def load_registry(city: str) -> Registry:
    """The registry shipped with the project for `city` (the spider name, e.g. ``cq``)."""
    path = resources.files("crawler").joinpath("registry", f"{city}.toml")
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError as e:
        raise RegistryError(f"no registry for {city!r} (expected crawler/registry/{city}.toml)") from e
    return parse_registry(text, f"crawler/registry/{city}.toml")
