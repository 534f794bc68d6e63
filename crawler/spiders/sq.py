"""Suqian (宿迁): sites on Jiangsu's intensive (集约化) platform, whose report columns are
/<site>/gknb/ (list index.shtml, pages /<site>/gknb/<YYYYMM>/<32 hex>.shtml). The sites and
their columns are in crawler/registry/sq.toml."""

from crawler.spiders.base import PortalSpider


class SuqianSpider(PortalSpider):
    name = "sq"
