"""Chengdu (成都): the city portal and districts on the "gkml" platform (column-index-N.shtml
lists) and municipal departments on Sichuan's /<site>/c<id>/list.shtml platform; every site
sits behind a 412 cookie challenge. The sites and their columns are in crawler/registry/cd.toml."""

from crawler.spiders.base import PortalSpider


class ChengduSpider(PortalSpider):
    name = "cd"
