"""Jiangsu's intensive (集约化) government-site platform, whose annual-report columns are
``/<site>/gknb/`` (宿迁: ``kfq.suqian.gov.cn/sjjkfq/gknb/``).

Report pages are ``/<site>/gknb/<YYYYMM>/<32 hex>.shtml``; the column's list is
``index.shtml`` with pager links to ``index_1.shtml`` …; each report page carries a
metadata table (索引号, 分类 信息公开年报, …) above the article.
"""

from __future__ import annotations

import re

from crawler.spiders.base.platform import Platform


class Jiangsu(Platform):
    name = "jiangsu"
    detail_path = re.compile(r"/gknb/\d{6}/[0-9a-f]{32}\.shtml$")
