"""Shanghai (上海): the city portal on Shanghai's /nw<channel>/ platform; the districts, each on
its own CMS (浦东, 闵行, 黄浦, 杨浦), are listed as not crawled yet. The sites and their columns are
in crawler/registry/sh.toml."""

from crawler.spiders.base import PortalSpider


class ShanghaiSpider(PortalSpider):
    name = "sh"
