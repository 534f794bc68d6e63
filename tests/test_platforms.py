"""The publishing platforms (crawler/spiders/base/platforms.py) on saved pages we wrote in
their shapes (tests/fixtures/<platform>/), one behaviour per test, grouped by platform; at
the end, the portal spider walking each platform's list with the site's ``cms`` set to it."""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy import Request
from scrapy.http import XmlResponse

from crawler.spiders.base.platform import ListItem
from crawler.spiders.base.platforms import PLATFORMS
from crawler.spiders.cq import ChongqingSpider
from tests.spiders import file_response, make_spider


def items_of(cms: str, name: str, url: str, **kwargs) -> dict[str, ListItem]:
    return {i.url: i for i in PLATFORMS[cms].list_items(file_response(name, url, **kwargs))}


# -- Hanweb JCMS (大汉)

HZ = "https://www.example-qu.gov.cn"
HZ_COLUMN = f"{HZ}/col/col1229000001/index.html"
HZ_PROXY = f"{HZ}/module/web/jpage/dataproxy.jsp"
HZ_2023 = f"{HZ}/art/2024/1/22/art_1229000001_58000001.html"


def hanweb_items(name="hanweb/col_ajaxparam.html", url=HZ_COLUMN, **kwargs):
    return items_of("hanweb", name, url, **kwargs)


def proxy_queries(urls):
    """The proxy URLs' queries, one value per key."""
    assert all(urlsplit(u).path == "/module/web/jpage/dataproxy.jsp" for u in urls)
    return [{k: v[0] for k, v in parse_qs(urlsplit(u).query, keep_blank_values=True).items()} for u in urls]


def test_hanweb_list_items_are_the_datastore_records():
    assert hanweb_items()[HZ_2023] == ListItem(HZ_2023, "杭州市测试区人民政府2023年政府信息公开工作年度报告", "2024-01-22")


def test_hanweb_a_truncated_title_is_read_from_the_title_attribute():
    item = hanweb_items()[f"{HZ}/art/2024/1/19/art_1229000001_58000002.html"]
    assert item.title == "杭州市测试区教育局2023年政府信息公开工作年度报告"


def test_hanweb_a_date_inside_the_link_is_read():
    assert hanweb_items()[f"{HZ}/art/2024/1/19/art_1229000001_58000002.html"].date == "2024-01-19"


def test_hanweb_a_date_with_slashes_is_read():
    assert hanweb_items()[f"{HZ}/art/2023/1/30/art_1229000001_52000004.html"].date == "2023-01-30"


def test_hanweb_columns_and_the_proxy_link_are_not_report_pages():
    assert not any("/col/" in u or "dataproxy" in u or "zj.gov.cn" in u for u in hanweb_items())


def test_hanweb_further_records_come_from_the_proxy_with_the_ajaxparam_parameters():
    pages = list(PLATFORMS["hanweb"].more_pages(file_response("hanweb/col_ajaxparam.html", HZ_COLUMN)))
    queries = proxy_queries(pages)
    # 10 records, 4 in the page; each answer holds a group: groupSize 2 × perPage 2
    assert [(q["startrecord"], q["endrecord"], q["perpage"]) for q in queries] == [("5", "8", "2"), ("9", "10", "2")]
    assert queries[0] | {"startrecord": "", "endrecord": ""} == {
        "startrecord": "", "endrecord": "", "perpage": "2", "col": "1", "appid": "1", "webid": "3095", "path": "/",
        "columnid": "1229000001", "sourceContentType": "1", "unitid": "6101313",
        "webname": "杭州市测试区人民政府", "permissiontype": "0"}


def test_hanweb_the_column_parameters_may_come_from_the_nextgroup_link():
    url = "https://fzggw.example.gov.cn/col/col282/index.html"
    pages = list(PLATFORMS["hanweb"].more_pages(file_response("hanweb/col_nextgroup.html", url)))
    assert len(pages) == 1 and pages[0].startswith("https://fzggw.example.gov.cn/module/web/jpage/dataproxy.jsp?")
    (query,) = proxy_queries(pages)
    # 9 records, 6 in the page (groupSize defaults to 3, perPage 2); `page` is not the column's
    assert query == {"startrecord": "7", "endrecord": "9", "perpage": "2", "appid": "1", "webid": "3", "path": "/",
                     "columnid": "282", "unitid": "423656", "webname": "测试市发展和改革委员会", "permissiontype": "0"}


def test_hanweb_no_proxy_when_the_page_holds_every_record():
    response = file_response("hanweb/col_all_in_page.html", "https://www.example-xian.gov.cn/col/col1229700001/index.html")
    assert list(PLATFORMS["hanweb"].more_pages(response)) == []
    assert len(list(PLATFORMS["hanweb"].list_items(response))) == 2


def proxy_response(**kwargs):
    url = f"{HZ_PROXY}?startrecord=5&endrecord=8&perpage=2&columnid=1229000001&unitid=6101313"
    return file_response("hanweb/dataproxy.xml", url, **kwargs)


def test_hanweb_a_proxy_answer_yields_its_records():
    items = {i.url: i for i in PLATFORMS["hanweb"].list_items(proxy_response(response_cls=XmlResponse))}
    assert len(items) == 4
    url = f"{HZ}/art/2022/1/28/art_1229000001_47000005.html"
    assert items[url] == ListItem(url, "杭州市测试区人民政府2021年政府信息公开工作年度报告", "2022-01-28")


def test_hanweb_a_proxy_answer_served_as_html_keeps_the_dates_inside_the_links():
    # bug fixed: read as markup, the CDATA's links were taken first, without the <i>date</i> they hold
    items = list(PLATFORMS["hanweb"].list_items(proxy_response()))
    assert len(items) == 4 and all(i.date for i in items)


def test_hanweb_a_proxy_answer_plans_no_further_pages():
    assert list(PLATFORMS["hanweb"].more_pages(proxy_response(response_cls=XmlResponse))) == []


def test_hanweb_sub_columns_are_left_to_the_registry():
    assert list(PLATFORMS["hanweb"].sub_columns(file_response("hanweb/col_ajaxparam.html", HZ_COLUMN), "/col/")) == []


def hanweb_article():
    return file_response("hanweb/art_attachments.html", HZ_2023)


def test_hanweb_downfile_links_to_a_pdf_are_attachments():
    found = list(PLATFORMS["hanweb"].attachments(hanweb_article()))
    assert f"{HZ}/module/download/downfile.jsp?classid=0&filename=2401221530123456.pdf" in found


def test_hanweb_a_file_on_the_oss_host_named_as_the_report_is_an_attachment():
    found = list(PLATFORMS["hanweb"].attachments(hanweb_article()))
    assert ("https://zjjcmspublic.oss-cn-hangzhou-zwynet-d01-a.internet.cloud.zj.gov.cn/jcms_files/jcms1/web3095/"
            "site/attach/0/8c1f0a2b3d4e5f60718293a4b5c6d7e8.pdf") in found


def test_hanweb_site_files_are_not_attachments():
    found = list(PLATFORMS["hanweb"].attachments(hanweb_article()))
    assert len(found) == 2  # not the manual, the logo download nor the footer's OSS file
    assert not any("网站使用手册" in u or "logo.png" in u or "00aa11bb" in u for u in found)


def test_hanweb_the_page_title_is_the_article_title():
    assert PLATFORMS["hanweb"].page_title(hanweb_article()) == "杭州市测试区人民政府2023年政府信息公开工作年度报告"


# -- Jiangsu's intensive platform

JS = "https://www.example-kfq.gov.cn"
JS_COLUMN = f"{JS}/sjjkfq/gknb/index.shtml"


def jiangsu_items():
    return items_of("jiangsu", "jiangsu/gknb_index.shtml", JS_COLUMN)


def test_jiangsu_list_items_with_titles_from_the_title_attribute_and_dates():
    url = f"{JS}/sjjkfq/gknb/202401/5d0c2b7f9e6a4c1f8b3a2e7d6c5b4a39.shtml"
    assert jiangsu_items()[url] == ListItem(url, "测试经济技术开发区管理委员会2023年政府信息公开工作年度报告", "2024-01-18")


def test_jiangsu_a_date_with_slashes_is_read():
    assert jiangsu_items()[f"{JS}/sjjkfq/gknb/202201/ffeeddccbbaa99887766554433221100.shtml"].date == "2022-01-21"


def test_jiangsu_pages_outside_the_report_column_are_not_report_pages():
    assert set(jiangsu_items()) == {
        f"{JS}/sjjkfq/gknb/202401/5d0c2b7f9e6a4c1f8b3a2e7d6c5b4a39.shtml",
        f"{JS}/sjjkfq/gknb/202301/a1b2c3d4e5f60718293a4b5c6d7e8f90.shtml",
        f"{JS}/sjjkfq/gknb/202201/ffeeddccbbaa99887766554433221100.shtml",
    }  # not the notice under /tzgg/, the site's columns nor the province's portal


def test_jiangsu_further_pages_are_the_pagers_links_in_the_column():
    pages = PLATFORMS["jiangsu"].more_pages(file_response("jiangsu/gknb_index.shtml", JS_COLUMN))
    assert list(pages) == [f"{JS}/sjjkfq/gknb/index_1.shtml", f"{JS}/sjjkfq/gknb/index_2.shtml"]


def test_jiangsu_an_attachment_named_as_the_report_is_taken_and_the_site_guide_is_not():
    response = file_response("jiangsu/gknb_article.shtml", f"{JS}/sjjkfq/gknb/202401/5d0c2b7f9e6a4c1f8b3a2e7d6c5b4a39.shtml")
    assert list(PLATFORMS["jiangsu"].attachments(response)) == [f"{JS}/uploadfiles/sjjkfq/2024/01/18/20240118093015123.pdf"]


# -- Guangdong's platform

GD = "https://www.example-shi.gov.cn"
GD_ROOT = "/zfjgzy/csrmzfbgt/zfxxgknb/bm/"


def guangdong_list():
    return file_response("guangdong/bm_index.html", GD + GD_ROOT)


def test_guangdong_list_items_are_content_post_pages():
    items = {i.url: i for i in PLATFORMS["guangdong"].list_items(guangdong_list())}
    url = f"{GD}{GD_ROOT}2023n/content/post_9469010.html"
    assert items[url] == ListItem(url, "测试市人力资源和社会保障局2023年政府信息公开工作年度报告", "2024-01-23")


def test_guangdong_links_that_are_not_post_pages_are_not_list_items():
    got = [i.url for i in PLATFORMS["guangdong"].list_items(guangdong_list())]
    assert not any(u.endswith(("/post_list.html", "/zwgk/")) or "gd.gov.cn" in u for u in got)
    assert all("/content/post_" in u for u in got)


def test_guangdong_year_folders_are_sub_columns():
    assert list(PLATFORMS["guangdong"].sub_columns(guangdong_list(), GD_ROOT)) == [
        f"{GD}{GD_ROOT}2023n/", f"{GD}{GD_ROOT}2022n/index.html"]  # not the sibling column sbj/


def test_guangdong_further_pages_are_the_pagers_links_in_the_column():
    assert list(PLATFORMS["guangdong"].more_pages(guangdong_list())) == [f"{GD}{GD_ROOT}index_2.html", f"{GD}{GD_ROOT}index_3.html"]


def test_guangdong_an_attachment_stored_apart_and_named_as_the_report_is_taken():
    page = "https://rsj.example-shi.gov.cn/zfjgzy/csrmzfbgt/zfxxgknb/bm/2023n/content/post_10619688.html"
    response = file_response("guangdong/post_attachment.html", page)
    # not the manual, though it too is under /attachment/
    assert list(PLATFORMS["guangdong"].attachments(response)) == [
        "https://rsj.example-shi.gov.cn/attachment/7/7952/7952736/10619688.pdf"]


# -- Shanghai's portal platform

SH = "https://www.example-qu.gov.cn"


def shanghai_items():
    return list(PLATFORMS["shanghai"].list_items(file_response("shanghai/nw12344_index.html", f"{SH}/nw12344/index.html")))


def test_shanghai_an_item_listed_twice_is_one_item_with_its_date():
    got = [i for i in shanghai_items() if i.url.startswith(SH + "/nw12344/2024")]
    assert got == [ListItem(f"{SH}/nw12344/20240125/0a1b2c3d4e5f4a6b8c7d9e0f1a2b3c4d.html",
                            "上海市测试区人民政府2023年政府信息公开工作年度报告", "2024-01-25")]


def test_shanghai_the_date_is_kept_when_the_undated_copy_comes_first():
    # bug fixed: the first copy won, and with it no date
    (item,) = [i for i in shanghai_items() if i.url.endswith("/11112222333344445555666677778888.html")]
    assert item.date == "2023-01-30"


def test_shanghai_report_pages_of_the_older_id_form_are_list_items():
    # bug fixed: /nw12344/20200813/0001-12344_64595.html (the portal's 2019 report) was not a report page
    (item,) = [i for i in shanghai_items() if i.url.endswith("/0001-12344_60001.html")]
    assert item.date == "2020-08-12" and item.title.startswith("上海市测试区人民政府2019年")
    assert PLATFORMS["shanghai"].is_detail("https://www.shanghai.gov.cn/nw44404/20200824/0001-44404_58278.html")


def test_shanghai_channel_index_pages_are_not_report_pages():
    assert not any(i.url.endswith("/index.html") for i in shanghai_items())
    assert len(shanghai_items()) == 5  # 3 reports listed twice, the work plan, the city's report


def test_shanghai_further_pages_are_the_pagers_links():
    response = file_response("shanghai/nw12344_index.html", f"{SH}/nw12344/index.html")
    assert list(PLATFORMS["shanghai"].more_pages(response)) == [f"{SH}/nw12344/index_2.html", f"{SH}/nw12344/index_5.html"]


# -- Sichuan's platform

SC = "https://fgw.example-shi.gov.cn"
SC_LIST = f"{SC}/mysfgw/c100294/list.shtml"


def sichuan_list():
    return file_response("sichuan/c100294_list.shtml", SC_LIST)


def test_sichuan_list_items_with_titles_and_dates():
    items = {i.url: i for i in PLATFORMS["sichuan"].list_items(sichuan_list())}
    url = f"{SC}/mysfgw/c100294/202401/92c4b76e80014566b8e42c5ae1131300.shtml"
    assert items[url] == ListItem(url, "测试市发展和改革委员会2023年政府信息公开工作年度报告", "2024-01-19")


def test_sichuan_a_date_in_chinese_form_is_read():
    items = {i.url: i for i in PLATFORMS["sichuan"].list_items(sichuan_list())}
    assert items[f"{SC}/mysfgw/c100294/202201/11223344556677889900aabbccddeeff.shtml"].date == "2022-01-20"


def test_sichuan_column_lists_are_not_report_pages():
    got = [i.url for i in PLATFORMS["sichuan"].list_items(sichuan_list())]
    assert not any(u.endswith(("list.shtml", "index.shtml")) or "sc.gov.cn" in u for u in got)


def test_sichuan_further_pages_are_list_n_and_there_are_no_sub_columns():
    assert list(PLATFORMS["sichuan"].more_pages(sichuan_list())) == [f"{SC}/mysfgw/c100294/list_2.shtml",
                                                                     f"{SC}/mysfgw/c100294/list_3.shtml"]
    assert list(PLATFORMS["sichuan"].sub_columns(sichuan_list(), "/mysfgw/c100294/")) == []


def test_sichuan_attachments_beside_the_page_or_named_as_attachments_and_not_the_guide():
    page = f"{SC}/mysfgw/c100294/202401/92c4b76e80014566b8e42c5ae1131300.shtml"
    found = list(PLATFORMS["sichuan"].attachments(file_response("sichuan/article.shtml", page)))
    assert found == [f"{SC}/mysfgw/c100294/202401/W020240119526983412345.pdf",
                     f"{SC}/mysfgw/uploadfiles/2024/01/19/202401191030.docx"]


# -- Chengdu's gkml platform

CD = "https://www.example-xq.gov.cn"
CD_DIR = f"{CD}/gkml/csxqdzb/zfxxgknb/"


def gkml_list():
    return file_response("gkml/column-index-1.shtml", CD_DIR + "column-index-1.shtml")


def gkml_items():
    return {i.url: i for i in PLATFORMS["gkml"].list_items(gkml_list())}


def test_gkml_items_are_read_from_the_onclick_window_open():
    url = CD_DIR + "1620987654321098765.shtml"
    assert gkml_items()[url] == ListItem(url, "测试新区党政办公室2022年政府信息公开工作年度报告", "2023-01-31")


def test_gkml_a_truncated_title_is_read_from_the_title_span_attribute():
    assert gkml_items()[CD_DIR + "1750123456789012345.shtml"].title == "测试新区党政办公室2023年政府信息公开工作年度报告"


def test_gkml_an_li_item_with_a_cont_div_is_read():
    url = f"{CD}/gkml/csxqjyj/zfxxgknb/1755555666677778888.shtml"
    assert gkml_items()[url] == ListItem(url, "测试新区教育局2023年政府信息公开工作年度报告", "2024-01-30")


def test_gkml_other_onclick_targets_and_links_are_not_report_pages():
    assert not any(u.endswith(("guide.shtml", "column-index-1.shtml")) or u.endswith("/") for u in gkml_items())


def test_gkml_further_pages_are_column_index_n():
    assert list(PLATFORMS["gkml"].more_pages(gkml_list())) == [CD_DIR + "column-index-2.shtml?page=2",
                                                              CD_DIR + "column-index-3.shtml"]


def test_gkml_attachments_in_the_other_div_and_not_the_site_files():
    response = file_response("gkml/article.shtml", CD_DIR + "1750123456789012345.shtml")
    assert list(PLATFORMS["gkml"].attachments(response)) == [
        CD_DIR + "1750123456789012345/files/4f1c2a9e0b7d4e3a8c6f5b2d1e0a9c87.pdf"]


# -- TRS (the rest is in test_spider_trs.py)

BJ_REPORT = "https://www.beijing.gov.cn/gongkai/zfxxgk/gknb/202503/t20250331_4050078.html"
BJ_LIST = (
    '<ul class="list"><li><a href="/gongkai/zfxxgk/gknb/202503/t20250331_4050078.html" '
    'title="北京市人民政府2024年政府信息公开工作年度报告">北京市人民政府2024年政府信息公开...</a><span>2025-03-31</span></li></ul>'
    '<div class="tools"><a href="/gate/big5/www.beijing.gov.cn/gongkai/zfxxgk/gknb/202503/t20250331_4050078.html">繁體</a>'
    '<a href="https://www.beijing.gov.cn/gate/big5/www.beijing.gov.cn/gongkai/zfxxgk/gknb/202503/t20250331_4050079.html" '
    'title="北京市人民政府2024年政府信息公开工作年度报告">北京市人民政府2024年政府信息公开工作年度报告</a></div>'
)


def test_trs_the_big5_gateway_copy_is_not_a_report_page():
    response = file_response("", "https://www.beijing.gov.cn/gongkai/zfxxgk/gknb/", body=BJ_LIST.encode())
    assert [i.url for i in PLATFORMS["trs"].list_items(response)] == [BJ_REPORT]
    assert not PLATFORMS["trs"].is_detail("https://www.beijing.gov.cn/gate/big5/www.beijing.gov.cn/gongkai/zfxxgk/gknb/202503/t20250331_4050078.html")


# -- the portal spider on each platform's list: report pages of the site, and nothing else

WALKS = [
    ("hanweb", "hanweb/col_ajaxparam.html", HZ_COLUMN, "/col/col1229000001/",
     {HZ_2023, f"{HZ}/art/2024/1/19/art_1229000001_58000002.html", f"{HZ}/art/2023/1/30/art_1229000001_52000004.html"}),
    ("jiangsu", "jiangsu/gknb_index.shtml", JS_COLUMN, "/sjjkfq/gknb/",
     {f"{JS}/sjjkfq/gknb/202401/5d0c2b7f9e6a4c1f8b3a2e7d6c5b4a39.shtml", f"{JS}/sjjkfq/gknb/202301/a1b2c3d4e5f60718293a4b5c6d7e8f90.shtml",
      f"{JS}/sjjkfq/gknb/202201/ffeeddccbbaa99887766554433221100.shtml"}),
    ("guangdong", "guangdong/bm_index.html", GD + GD_ROOT, GD_ROOT,
     {f"{GD}{GD_ROOT}2023n/content/post_9469010.html", f"{GD}{GD_ROOT}2023n/content/post_9469022.html"}),
    ("shanghai", "shanghai/nw12344_index.html", f"{SH}/nw12344/index.html", "/nw12344/",
     {f"{SH}/nw12344/20240125/0a1b2c3d4e5f4a6b8c7d9e0f1a2b3c4d.html", f"{SH}/nw12344/20230130/11112222333344445555666677778888.html",
      f"{SH}/nw12344/20200812/0001-12344_60001.html"}),
    ("sichuan", "sichuan/c100294_list.shtml", SC_LIST, "/mysfgw/c100294/",
     {f"{SC}/mysfgw/c100294/202401/92c4b76e80014566b8e42c5ae1131300.shtml", f"{SC}/mysfgw/c100294/202301/0c1d2e3f405162738495a6b7c8d9e0f1.shtml",
      f"{SC}/mysfgw/c100294/202201/11223344556677889900aabbccddeeff.shtml"}),
    ("gkml", "gkml/column-index-1.shtml", CD_DIR + "column-index-1.shtml", "/gkml/csxqdzb/zfxxgknb/",
     {CD_DIR + "1750123456789012345.shtml", CD_DIR + "1620987654321098765.shtml",
      f"{CD}/gkml/csxqjyj/zfxxgknb/1755555666677778888.shtml"}),
]


@pytest.mark.parametrize("cms, name, url, root, reports", WALKS, ids=[w[0] for w in WALKS])
def test_the_portal_follows_the_sites_report_pages_only(tmp_path, cms, name, url, root, reports):
    host = urlsplit(url).hostname
    spider = make_spider(ChongqingSpider, tmp_path, start_urls=url)
    spider.sites[host] = dataclasses.replace(spider.sites[host], cms=cms)
    response = file_response(name, url, meta={"site": host, "root": root, "depth": 0})
    followed = {r.url for r in spider.parse_list(response) if isinstance(r, Request) and r.callback == spider.parse_report_page}
    assert followed == reports  # no guide, notice or plan; no other host's page
