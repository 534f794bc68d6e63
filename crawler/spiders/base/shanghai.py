"""Shanghai's portal platform (www.shanghai.gov.cn and the districts that share it).

Report pages are ``/nw<channel>/<YYYYMMDD>/<32 hex>.html`` (``/nw12344/20240329/
d7775c906c0b402a93cbebf4e979c002.html``); older ones are ``/nw<channel>/<YYYYMMDD>/
<4 digits>-<channel>_<id>.html`` (``/nw12344/20200813/0001-12344_64595.html``, the 2019
report; the districts' 2018 reports under ``/nw44404/``). They are listed by the channel's
``index.html`` and its pager's ``index_2.html`` … pages; a list prints each item twice,
once with its date and once without.
"""

from __future__ import annotations

import re

from crawler.spiders.base.platform import Platform


class Shanghai(Platform):
    name = "shanghai"
    detail_path = re.compile(r"/nw\d+/\d{8}/(?:[0-9a-f]{32}|\d{4}-\d+_\d+)\.html$")
