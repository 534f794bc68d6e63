"""Guangzhou (广州): the city portal, whose report column also carries the districts' and the
departments' reports, and district sites, all on Guangdong's 集约化 CMS (content/post_<id>.html).
The sites and their columns are in crawler/registry/gz.toml."""

from crawler.spiders.base import PortalSpider


class GuangzhouSpider(PortalSpider):
    name = "gz"
