"""Chongqing (重庆): the city portal, the municipal departments, the 38 districts and
counties with their departments and towns, and the development zones — all on one TRS
platform. The sites and their columns are in crawler/registry/cq.toml."""

from crawler.spiders.base import PortalSpider


class ChongqingSpider(PortalSpider):
    name = "cq"
