"""Nanjing (南京): the city portal, which also republishes the district governments' reports,
and the district sites, all on TRS (not the Jiangsu intensive platform; see sq.py for that).
The sites and their columns are in crawler/registry/nj.toml."""

from crawler.spiders.base import PortalSpider


class NanjingSpider(PortalSpider):
    name = "nj"
