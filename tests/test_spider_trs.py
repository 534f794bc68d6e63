"""The TRS base spider on saved pages (our own fixtures in tests/fixtures/trs/), one behaviour per test."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.exceptions import UsageError

from crawler.items import FetchedFile, ReportFound
from crawler.spiders.base.portal import ListItem, parse_years
from crawler.spiders.base.trs import page_count
from crawler.spiders.cq import ChongqingSpider
from tests.spiders import file_response, make_spider

HOST = "www.example-qu.gov.cn"
COLUMN = f"https://{HOST}/zwgk_175/zfxxgknb/"


@pytest.fixture
def spider(tmp_path):
    return make_spider(ChongqingSpider, tmp_path, start_urls=COLUMN)


def list_response(name="list_root.html", url=COLUMN, depth=0):
    return file_response(f"trs/{name}", url, meta={"site": HOST, "root": "/zwgk_175/zfxxgknb/", "depth": depth})


def requests_of(results):
    return [r for r in results if isinstance(r, Request)]


def urls(requests):
    return [r.url for r in requests]


# -- list pages


def test_list_items_are_the_report_page_links_with_titles_and_dates(spider):
    url = f"https://{HOST}/zwgk_175/zfxxgknb/qzf/202401/t20240130_12882382.html"
    items = {i.url: i for i in spider.list_items(list_response())}
    assert items[url] == ListItem(url, "重庆市测试区人民政府2023年政府信息公开工作年度报告", "2024-01-30")


def test_mobile_duplicates_are_not_list_items(spider):
    assert not any(i.url.endswith("_wap.html") for i in spider.list_items(list_response()))


def test_a_title_truncated_on_the_page_is_read_from_the_title_attribute(spider):
    items = {i.url: i for i in spider.list_items(list_response())}
    item = items[f"https://{HOST}/bm_229/qjjxxw/zwgk_97157/zfxxgknb_97166/202401/t20240116_12826120.html"]
    assert item.title == "重庆市测试区经济和信息化委员会2023年政府信息公开工作年度报告"


def test_a_date_printed_with_slashes_is_read(spider):
    items = {i.url: i for i in spider.list_items(list_response())}
    assert items[f"https://{HOST}/zwgk_175/zfxxgknb/202201/t20220125_10340353.html"].date == "2022-01-25"


def test_sub_columns_are_the_directories_below_the_column(spider):
    found = set(spider.sub_columns(list_response(), "/zwgk_175/zfxxgknb/"))
    assert found == {f"https://{HOST}/zwgk_175/zfxxgknb/qzf/", f"https://{HOST}/zwgk_175/zfxxgknb/qzfbm_1/",
                     f"https://{HOST}/zwgk_175/zfxxgknb/jz_2/index.html"}


def test_the_pager_script_gives_the_other_pages(spider):
    assert list(spider.more_pages(list_response())) == [COLUMN + "index_1.html", COLUMN + "index_2.html"]


def test_only_the_first_page_announces_the_others(spider):
    response = list_response("list_page2.html", url=COLUMN + "index_2.html")
    assert list(spider.more_pages(response)) == []


@pytest.mark.parametrize("script, count", [
    ("createPageHTML('page_div', 3, 0, 'index', 'html', 27);", 3),
    ('createPageHTML(5, 0, "index", "html");', 5),
    ("var countPage = 4;\ncreatePageHTML(countPage, currentPage, \"index\", \"html\");", 4),
    ("createPageHTML('page_div', 999999, 0, 'index', 'html', 1);", 1000),
    ("", 1),
])
def test_page_count(script, count):
    assert page_count(f"<script>{script}</script>") == count


def test_a_list_page_yields_pages_sub_columns_and_report_pages(spider):
    requests = requests_of(spider.parse_list(list_response()))
    got = urls(requests)
    assert COLUMN + "index_1.html" in got and COLUMN + "qzf/" in got
    assert f"https://{HOST}/bm_229/qjjxxw/zwgk_97157/zfxxgknb_97166/202401/t20240116_12826120.html" in got


def test_report_pages_stored_elsewhere_on_the_host_are_followed(spider):
    got = urls(requests_of(spider.parse_list(list_response())))
    assert any("/bm_229/" in u for u in got)


def test_non_report_items_are_skipped_and_counted(spider):
    got = urls(requests_of(spider.parse_list(list_response())))
    assert not any("t20230301_11700001" in u for u in got)
    assert spider.crawler.stats.get_value("govreports/items_not_report") == 2  # the guide and a news item


def test_links_to_other_hosts_are_not_followed(spider):
    got = urls(requests_of(spider.parse_list(list_response())))
    assert not any("mirror-spam" in u or "other-qu" in u for u in got)
    assert spider.crawler.stats.get_value("govreports/items_offsite") == 1


def test_navigation_columns_are_not_followed(spider):
    got = urls(requests_of(spider.parse_list(list_response())))
    assert f"https://{HOST}/zwgk_175/zcwj/" not in got and f"https://{HOST}/zwgk_175/" not in got


def test_years_come_from_the_title_not_the_column(tmp_path):
    spider = make_spider(ChongqingSpider, tmp_path, start_urls=COLUMN, years="2025")
    got = urls(requests_of(spider.parse_list(list_response())))
    reports = [u for u in got if "/t20" in u]
    assert reports == [f"https://{HOST}/zwgk_175/zfxxgknb/2020_504392/202601/t20260129_15364021.html"]


def test_other_years_are_skipped_and_counted(tmp_path):
    spider = make_spider(ChongqingSpider, tmp_path, start_urls=COLUMN, years="2021-2022")
    got = [u for u in urls(requests_of(spider.parse_list(list_response()))) if "/t20" in u]
    assert got == [f"https://{HOST}/zwgk_175/zfxxgknb/202201/t20220125_10340353.html"]
    assert spider.crawler.stats.get_value("govreports/items_other_year") == 3


def test_a_report_page_fetched_before_is_not_requested_again(spider):
    url = f"https://{HOST}/zwgk_175/zfxxgknb/qzf/202401/t20240130_12882382.html"
    spider.crawl_state.put_file(url, sha256="0" * 64, http_status=200)
    spider.crawl_state.put_report(url, files=[url], complete=True)
    assert url not in urls(requests_of(spider.parse_list(list_response())))
    assert spider.crawler.stats.get_value("govreports/reports_unchanged") == 1


def test_an_incomplete_report_is_requested_again(spider):
    url = f"https://{HOST}/zwgk_175/zfxxgknb/qzf/202401/t20240130_12882382.html"
    spider.crawl_state.put_file(url, sha256="0" * 64, http_status=200)
    spider.crawl_state.put_report(url, files=[url, url + ".pdf"], complete=False)
    assert url in urls(requests_of(spider.parse_list(list_response())))


def test_recheck_asks_with_the_validators_it_has(tmp_path):
    spider = make_spider(ChongqingSpider, tmp_path, start_urls=COLUMN, recheck="1")
    url = f"https://{HOST}/zwgk_175/zfxxgknb/qzf/202401/t20240130_12882382.html"
    spider.crawl_state.put_file(url, sha256="0" * 64, http_status=200, etag='"abc"', last_modified="Tue, 30 Jan 2024 08:00:00 GMT")
    spider.crawl_state.put_report(url, files=[url], complete=True)
    request = next(r for r in requests_of(spider.parse_list(list_response())) if r.url == url)
    assert request.headers[b"If-None-Match"] == b'"abc"'
    assert 304 in request.meta["handle_httpstatus_list"]


# -- report pages


def detail_response(name="detail_attachments.html"):
    url = f"https://{HOST}/zwgk_175/zfxxgknb/qzf/202401/t20240130_12882382.html"
    return file_response(f"trs/{name}", url, meta={"site": HOST, "list_url": COLUMN,
                                                   "list_title": "重庆市测试区人民政府2023年政府信息公开工作年度报告",
                                                   "list_date": "2024-01-30"})


def test_a_report_page_is_stored_first(spider):
    first = next(iter(spider.parse_report_page(detail_response())))
    assert isinstance(first, FetchedFile) and first.body and first.referer == COLUMN


def test_attachments_beside_the_page_are_fetched_one_after_another(spider):
    results = list(spider.parse_report_page(detail_response()))
    (request,) = requests_of(results)
    assert request.url.endswith("/qzf/202401/P020240130552871234567.pdf")
    assert request.meta["pending"] == [f"https://{HOST}/zwgk_175/zfxxgknb/qzf/202401/P020240130552871234568.docx"]
    assert request.dont_filter  # an attachment shared by two pages must not leave a report unfinished


def test_site_files_in_the_page_chrome_and_other_hosts_are_not_attachments(spider):
    request = requests_of(spider.parse_report_page(detail_response()))[0]
    assert "/images/guide.pdf" not in request.meta["pending"]
    assert not any("mirror-spam" in u for u in request.meta["pending"])


def test_the_report_is_emitted_after_its_last_attachment(spider):
    request = requests_of(spider.parse_report_page(detail_response()))[0]
    pdf = file_response("trs/detail_attachments.html", request.url, meta=request.meta, body=b"%PDF-1.4 ...")
    after_pdf = list(spider.parse_attachment(pdf))
    docx_request = requests_of(after_pdf)[0]
    docx = file_response("trs/detail_attachments.html", docx_request.url, meta=docx_request.meta, body=b"PK...")
    (stored, report) = list(spider.parse_attachment(docx))
    assert isinstance(stored, FetchedFile) and isinstance(report, ReportFound)
    assert report.files == [detail_response().url, request.url, docx_request.url]
    assert report.complete and report.publish_date == "2024-01-30"


def test_a_page_without_attachments_is_a_report_at_once(spider):
    page = b"<html><head><title>2023\xe5\xb9\xb4\xe6\x94\xbf\xe5\xba\x9c\xe4\xbf\xa1\xe6\x81\xaf\xe5\x85\xac\xe5\xbc\x80\xe5\xb7\xa5\xe4\xbd\x9c\xe5\xb9\xb4\xe5\xba\xa6\xe6\x8a\xa5\xe5\x91\x8a</title></head><body>...</body></html>"
    response = file_response("", detail_response().url, meta=detail_response().meta, body=page)
    results = list(spider.parse_report_page(response))
    assert [type(r) for r in results] == [FetchedFile, ReportFound]
    assert results[1].title == "2023年政府信息公开工作年度报告"


# -- arguments


def test_years_argument():
    assert parse_years("2019-2021") == {2019, 2020, 2021}
    assert parse_years("2019,2021-2022") == {2019, 2021, 2022}
    assert parse_years(None) is None
    with pytest.raises(UsageError):
        parse_years("last year")


def test_start_urls_must_be_government_hosts(tmp_path):
    with pytest.raises(UsageError, match="not a government host"):
        make_spider(ChongqingSpider, tmp_path, start_urls="http://gahcep.com/zwgk_175/zfxxgknb/")


def test_start_urls_on_a_new_government_host_use_the_city_cms(spider):
    (site,) = spider.sites.values()
    assert site.host == HOST and site.columns == ("/zwgk_175/zfxxgknb/",) and not site.verified


def test_sites_argument_selects_registry_sites(tmp_path):
    spider = make_spider(ChongqingSpider, tmp_path, sites="dazu.gov.cn,www.cqyz.gov.cn")
    assert set(spider.sites) == {"www.dazu.gov.cn", "www.cqyz.gov.cn"}
    assert all(url.startswith(("https://www.dazu.gov.cn/", "https://www.cqyz.gov.cn/")) for _, url in spider.starts)


def test_an_unknown_site_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="not a site"):
        make_spider(ChongqingSpider, tmp_path, sites="www.example.com")


def test_every_registry_site_is_crawled_by_default(tmp_path):
    spider = make_spider(ChongqingSpider, tmp_path)
    assert len(spider.sites) == len(spider.registry.sites)
    assert "gov.cn" in spider.allowed_domains


def test_a_report_file_listed_directly_is_a_list_item(spider):
    body = ('<ul class="list"><li><a href="./202401/P020240130000000000001.pdf" title="测试区2023年政府信息公开工作年度报告">'
            '测试区2023年政府信息公开工作年度报告</a><span>2024-01-30</span></li>'
            '<li><a href="./202401/P020240130000000000002.pdf">附件下载说明</a></li></ul>').encode()
    response = file_response("", COLUMN, meta={"site": HOST, "root": "/zwgk_175/zfxxgknb/", "depth": 0}, body=body)
    assert [i.url for i in spider.list_items(response)] == [COLUMN + "202401/P020240130000000000001.pdf"]


def test_a_report_file_fetched_from_a_list_is_a_report_by_itself(spider):
    from scrapy.http import Response

    url = COLUMN + "202401/P020240130000000000001.pdf"
    request = Request(url, meta={"site": HOST, "list_url": COLUMN, "list_title": "测试区2023年政府信息公开工作年度报告",
                                 "list_date": "2024-01-30"})
    response = Response(url, body=b"%PDF-1.4 ...", request=request, headers={"Content-Type": "application/pdf"})
    stored, report = list(spider.parse_report_page(response))
    assert isinstance(stored, FetchedFile) and report.files == [url] and report.title.startswith("测试区2023年")


def test_a_redirected_report_page_is_known_by_the_url_its_list_gives(spider):
    listed = f"https://{HOST}/zwgk_175/zfxxgknb/qzf/202401/t20240130_12882382.html"
    moved = f"https://{HOST}/zwgk_175/zfxxgknb/qzf/202401/t20240130_12882382_1.html"
    page = b"<html><head><title>2023\xe5\xb9\xb4\xe6\x94\xbf\xe5\xba\x9c\xe4\xbf\xa1\xe6\x81\xaf\xe5\x85\xac\xe5\xbc\x80\xe5\xb7\xa5\xe4\xbd\x9c\xe5\xb9\xb4\xe5\xba\xa6\xe6\x8a\xa5\xe5\x91\x8a</title></head></html>"
    response = file_response("", moved, body=page, meta={"site": HOST, "list_url": COLUMN, "redirect_urls": [listed]})
    stored, report = list(spider.parse_report_page(response))
    assert stored.url == moved and report.source_url == listed and report.files == [moved]
