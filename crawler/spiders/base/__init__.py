"""Base spiders, one per publishing platform (CMS); city spiders are thin modules on top."""

from crawler.spiders.base.portal import ListItem, PortalSpider
from crawler.spiders.base.trs import TRSSpider

__all__ = ["ListItem", "PortalSpider", "TRSSpider"]
