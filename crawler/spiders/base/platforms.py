"""The platforms a registry's ``cms`` key may name. A new CMS is a module beside this one
and a line here; a new site of a known CMS is only a registry entry."""

from __future__ import annotations

from crawler.spiders.base.gkml import Gkml
from crawler.spiders.base.guangdong import Guangdong
from crawler.spiders.base.hanweb import Hanweb
from crawler.spiders.base.jiangsu import Jiangsu
from crawler.spiders.base.platform import Platform
from crawler.spiders.base.shanghai import Shanghai
from crawler.spiders.base.sichuan import Sichuan
from crawler.spiders.base.trs import TRS

PLATFORMS: dict[str, Platform] = {p.name: p() for p in (TRS, Hanweb, Jiangsu, Guangdong, Shanghai, Sichuan, Gkml)}


def platform_named(cms: str) -> Platform:
    try:
        return PLATFORMS[cms]
    except KeyError:
        raise KeyError(f"unknown cms {cms!r}: the platforms are {sorted(PLATFORMS)}") from None
