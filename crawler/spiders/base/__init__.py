"""The walk every portal spider shares (`PortalSpider`) and the publishing platforms (CMS)
it asks about each site's pages (`platforms.PLATFORMS`); city spiders are thin modules on top."""

from crawler.spiders.base.platform import ListItem, Platform
from crawler.spiders.base.platforms import PLATFORMS, platform_named
from crawler.spiders.base.portal import PortalSpider

__all__ = ["PLATFORMS", "ListItem", "Platform", "PortalSpider", "platform_named"]
