"""Hangzhou (杭州): the city portal, districts and municipal departments, all on Zhejiang's 大汉
JCMS (/col/col<id>/index.html lists, /art/… pages, dataproxy.jsp paging). The sites and their
columns are in crawler/registry/hz.toml."""

from crawler.spiders.base import PortalSpider


class HangzhouSpider(PortalSpider):
    name = "hz"
