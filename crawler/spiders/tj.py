"""Tianjin (天津): the city portal (and its old gk.tj.gov.cn), districts and municipal
departments, all on TRS; 滨海新区's own CMS is listed as not crawled yet. The sites and their
columns are in crawler/registry/tj.toml."""

from crawler.spiders.base import PortalSpider


class TianjinSpider(PortalSpider):
    name = "tj"
