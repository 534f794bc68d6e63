"""Beijing (北京): the city portal and 东城 on TRS, 密云's TRS column; the districts on other
CMSs (朝阳, 西城, 海淀, 大兴) are listed as not crawled yet. The sites and their columns are in
crawler/registry/bj.toml."""

from crawler.spiders.base import PortalSpider


class BeijingSpider(PortalSpider):
    name = "bj"
