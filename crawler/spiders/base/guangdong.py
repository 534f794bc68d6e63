"""Guangdong's government-site platform (广州 and the province's other cities).

Report pages are ``…/content/post_<id>.html`` under the column that lists them
(``/zfjgzy/gzsrmzfbgt/zfxxgknb/bm/2023n/content/post_9469010.html``); a column has per-year
sub-columns (``bm/2023n/``) and further list pages ``index_2.html``, ``index_3.html`` … linked
from its pager. Attachments are stored apart from the page (``/attachment/…``) and named
as the report, which the base rule already accepts.
"""

from __future__ import annotations

import re

from crawler.spiders.base.platform import Platform


class Guangdong(Platform):
    name = "guangdong"
    detail_path = re.compile(r"/content/post_\d+\.html$")
