"""Sichuan's government-site platform (成都, 绵阳 and the province's other sites).

A column is ``/<site>/c<column id>/`` whose list is ``list.shtml`` (further pages
``list_2.shtml`` …, linked from the pager); report pages are
``/<site>/c<column id>/<YYYYMM>/<32 hex>.shtml`` (``fgw.my.gov.cn/mysfgw/c100294/202401/
92c4b76e80014566b8e42c5ae1131396.shtml``).
"""

from __future__ import annotations

import re

from crawler.spiders.base.platform import Platform


class Sichuan(Platform):
    name = "sichuan"
    detail_path = re.compile(r"/c\d+/\d{6}/[0-9a-f]{32}\.shtml$")
