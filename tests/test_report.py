"""`govreports report`: one self-contained HTML page on a dataset (govreports/report.py).

The dataset is built for real, quickly and without crawling: the generated corpus
(`govreports.corpus.write_corpus`) normalized by the runner. Every figure the page shows
is checked against the dataset read independently with pyarrow; the page is opened in
headless Chromium with every network request answered by a local dead-end proxy.
"""

from __future__ import annotations

import json
import re
import socketserver
import subprocess
import threading
from collections import Counter
from pathlib import Path

import lxml.html
import pyarrow.dataset as ds
import pytest
from PIL import Image

from govreports.corpus import write_corpus
from govreports.report import write_report
from govreports.runner import normalize_paths
from normalize.checks import OUTCOME_ROWS
from normalize.dataset import DatasetWriter
from normalize.record import Fact, Issue, Record
from tests.tools import requires_chromium

PARSED = ("ok", "partial")
T4_ROWS = ("review", "litigation_direct", "litigation_after_review")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report")
    files = write_corpus(root / "corpus", n=24)  # every format, pre2019 to 2025, one table that does not balance
    normalize_paths(files, root / "dataset", workers=2, progress=False)
    return root / "dataset"


@pytest.fixture(scope="module")
def page(dataset, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("page") / "report.html"
    summary = write_report(dataset, out)
    assert str(out) in summary and "24 reports" in summary
    return out


@pytest.fixture(scope="module")
def doc(page):
    return lxml.html.fromstring(page.read_bytes())


def rows(dataset: Path, table: str, columns: list[str]) -> list[dict]:
    part = "hive" if table != "documents" else None
    return ds.dataset(dataset / table, format="parquet", partitioning=part).to_table(columns=columns).to_pylist()


def total_cells(dataset: Path) -> dict[tuple[int, str, str], list[float]]:
    """(year, table, row_key) → the numbers in column 总计 of reports with status ok/partial and a known year."""
    status = {r["report_id"]: r["status"] for r in rows(dataset, "reports", ["report_id", "status"])}
    out: dict[tuple[int, str, str], list[float]] = {}
    for f in rows(dataset, "facts", ["report_id", "year", "table", "row_key", "col_key", "value"]):
        if f["col_key"] == "total" and f["value"] is not None and f["year"] and status[f["report_id"]] in PARSED:
            out.setdefault((f["year"], f["table"], f["row_key"]), []).append(f["value"])
    return out


def bars(doc, svg_id: str) -> dict[int, lxml.html.HtmlElement]:
    return {int(g.get("data-year")): g for g in doc.xpath(f'//svg[@id="{svg_id}"]//g[@class="bar"]')}


def number(text: str) -> float:
    return float(text.replace(",", ""))


# ---------------------------------------------------------------- (a) what the page says


def test_the_page_has_its_sections_and_the_build(doc, dataset):
    assert doc.get("lang") == "zh-CN"
    for section in ("coverage", "quality", "charts"):
        assert doc.xpath(f'//section[@id="{section}"]/h2'), section
    h2 = [h.text_content() for h in doc.xpath("//h2")]
    assert h2 == ["覆盖范围 Coverage", "数据质量 Quality", "图表 Charts"]
    for table in ("coverage-table", "status-table", "checks-table"):
        assert doc.xpath(f'//table[@id="{table}"]'), table
    build = json.loads((dataset / "_build.json").read_text())
    header = doc.xpath("//header")[0].text_content()
    assert build["build_id"] in header and build["parser_version"] in header and build["created_at"][:10] in header


def test_coverage_counts_reports_found_and_parsed_per_year(doc, dataset):
    found, parsed = Counter(), Counter()
    for r in rows(dataset, "reports", ["year", "status"]):
        if r["status"] != "not_a_report":
            found[r["year"]] += 1
            parsed[r["year"]] += r["status"] in PARSED
    totals = {c.get("data-year"): c for c in doc.xpath('//table[@id="coverage-table"]/tfoot//td[@data-year]')}
    assert set(totals) == {str(y) for y in found} | {"total"}
    for year, n in found.items():
        cell = totals[str(year)]
        assert (int(cell.get("data-found")), int(cell.get("data-parsed"))) == (n, parsed[year]), year
        assert cell.text_content() == f"{parsed[year]}/{n}"
    assert totals["total"].text_content() == f"{sum(parsed.values())}/{sum(found.values())}"
    assert found[0] and parsed[0] == 0  # the files that could not be read have no year: column ?
    # local files are one site
    assert [tr.get("data-site") for tr in doc.xpath('//table[@id="coverage-table"]/tbody/tr')] == ["(local files)"]


def test_statuses_and_failing_checks_are_counted(doc, dataset):
    reports = rows(dataset, "reports", ["status", "issues"])
    statuses = Counter(r["status"] for r in reports)
    shown = {tr.get("data-status"): int(tr.xpath("td")[0].text_content()) for tr in doc.xpath('//table[@id="status-table"]//tr[@data-status]')}
    assert {s: n for s, n in shown.items() if n} == dict(statuses)
    balance = sum(1 for r in reports if any(i["code"] == "t3.balance" and i["severity"] == "error" for i in r["issues"]))
    assert balance >= 1
    row = doc.xpath('//table[@id="checks-table"]//tr[@data-code="t3.balance"]')[0]
    assert int(row.xpath("td")[0].text_content()) == balance
    assert not doc.xpath('//table[@id="checks-table"]//tr[starts-with(@data-code, "meta.")]')  # table checks only


def test_each_chart_has_one_bar_per_year_with_data(doc, dataset):
    cells = total_cells(dataset)
    expected = {
        "svg-received": {y for (y, t, k) in cells if (t, k) == ("t3", "new_received")},
        "svg-outcomes": {y for (y, t, k) in cells if t == "t3" and k in OUTCOME_ROWS},
        "svg-review": {y for (y, t, k) in cells if t == "t4" and k in T4_ROWS},
    }
    for svg_id, years in expected.items():
        assert years, svg_id
        assert sorted(bars(doc, svg_id)) == sorted(years), svg_id
    for year, g in bars(doc, "svg-outcomes").items():  # 100% stacked
        shares = [float(r.get("data-share")) for r in g.xpath('.//rect[@class="seg"]')]
        assert sum(shares) == pytest.approx(1.0, abs=1e-3) or sum(shares) == 0, year


def test_requests_received_per_year_equal_the_facts_sums(doc, dataset):
    cells = total_cells(dataset)
    received = {y: v for (y, t, k), v in cells.items() if (t, k) == ("t3", "new_received")}
    for year, g in bars(doc, "svg-received").items():
        assert float(g.get("data-value")) == sum(received[year]), year
        assert number(g.xpath('.//text[@class="value"]')[0].text) == sum(received[year])
        assert int(g.get("data-reports")) == len(received[year])
        assert g.xpath('.//text[@class="n"]')[0].text == f"n={len(received[year])}"
    # the table under the chart says the same, and counts the reports without the number
    table = doc.xpath('//figure[@id="chart-received"]//table')[0]
    for tr in table.xpath(".//tr[@data-year]"):
        year = int(tr.get("data-year"))
        if year in received:
            assert number(tr.xpath("td")[0].text_content()) == sum(received[year])


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """A small dataset as a crawl leaves it (sites, failed fetches), written with the dataset writer."""
    root = tmp_path_factory.mktemp("crawled")
    with DatasetWriter(root / "dataset") as w:
        w.add(Record({"report_id": "a", "year": 2022, "status": "ok", "format_version": "2021", "portal": "cq",
                      "source_url": "https://www.dazu.gov.cn/zwgk/2022.html", "title": "<script>alert(1)</script>大足区年报",
                      "issues": [Issue("t3.balance", "error", "5 + 0 ≠ 4 + 0 <b>")]},
                     [Fact("t3", "new_received", "total", 5.0, "5"), Fact("t4", "review", "total", 2.0, "2")]))
        w.add(Record({"report_id": "b", "year": 2022, "status": "partial", "format_version": "2021", "portal": "cq",
                      "source_url": "https://cqyz.gov.cn/nb/2022.html"},
                     [Fact("t3", "new_received", "total", None, "", "blank")]))
        w.add(Record({"report_id": "c", "year": 2023, "status": "failed", "source_url": "javascript:alert(2)"}))
        for url, status, sha in (("https://www.dazu.gov.cn/a.pdf", 404, None), ("https://www.dazu.gov.cn/b.pdf", None, None),
                                 ("https://cqyz.gov.cn/nb/2022.html", 200, "ab" * 32), ("javascript:alert(3)", 500, None)):
            w.add_document({"url": url, "http_status": status, "sha256": sha, "portal": "cq"})
    out = root / "report.html"
    write_report(root / "dataset", out)
    html = out.read_text("utf-8")
    return html, lxml.html.fromstring(html)


def test_sites_are_hosts_and_a_blank_cell_is_not_a_zero(crawled):
    _, doc = crawled
    sites = [tr.get("data-site") for tr in doc.xpath('//table[@id="coverage-table"]/tbody/tr')]
    assert sites == ["cqyz.gov.cn", "www.dazu.gov.cn", "(local files)"]
    g = bars(doc, "svg-received")
    assert list(g) == [2022] and float(g[2022].get("data-value")) == 5 and g[2022].get("data-reports") == "1"
    row = doc.xpath('//figure[@id="chart-received"]//tr[@data-year="2022"]')[0]
    assert [td.text_content() for td in row.xpath("td")] == ["5", "1", "1"]  # sum, reports with it, reports without
    assert list(bars(doc, "svg-review")) == [2022]


def test_text_from_the_data_is_escaped_and_only_http_urls_are_links(crawled):
    html, doc = crawled
    assert not doc.xpath("//script") and "<b>" not in html and "&lt;script&gt;" in html
    assert not any(a.get("href", "").startswith("javascript") for a in doc.xpath("//a"))
    assert doc.xpath('//a[@href="https://www.dazu.gov.cn/zwgk/2022.html"]')  # the failing check's example


def test_failed_fetches_are_listed_per_site(crawled):
    _, doc = crawled
    failed = doc.xpath('//table[@id="fetch-table"]/tbody/tr')
    assert len(failed) == 3  # the 404, the file never fetched, the 500; not the 200
    by_site = {tr.get("data-site"): tr.xpath("td")[0].text_content() for tr in doc.xpath('//table[@id="fetch-by-site"]/tbody/tr')}
    assert by_site == {"www.dazu.gov.cn": "2", "(local files)": "1"}


# ---------------------------------------------------------------- (c) readable offline


def test_the_page_loads_nothing_from_anywhere(doc, page):
    html = page.read_text("utf-8")
    assert not doc.xpath("//script[@src] | //img | //iframe | //object | //embed | //link[@rel='stylesheet']")
    for el in doc.iter():
        for name, value in el.attrib.items():
            if name in ("src", "href", "srcset", "poster", "data", "xlink:href", "action") and re.match(r"\s*(https?:)?//", value):
                # only plain links, only in tables of source URLs
                assert name == "href" and el.tag == "a" and el.xpath("ancestor::table"), (el.tag, name, value)
    for style in doc.xpath("//style"):
        assert "@import" not in style.text and "url(" not in style.text
    assert "@font-face" not in html


# ---------------------------------------------------------------- (b) in a browser


class _DeadEndProxy(socketserver.ThreadingTCPServer):
    """A proxy on 127.0.0.1 that answers every request 502 and remembers what was asked: with
    it as the browser's proxy, nothing reaches a network, and whatever the page fetched shows."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.requests: list[str] = []
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                line = self.rfile.readline(8192).decode("latin-1").strip()
                if line:  # Chromium also opens connections it closes unused (preconnects, exit)
                    proxy.requests.append(line)
                self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

        super().__init__(("127.0.0.1", 0), Handler)

    def __enter__(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()


#: Chromium's own services (component updates and their CDN, time, accounts), which it asks
#: whatever the flags say; the page names none of these hosts, so they hide nothing it fetched
BROWSER_HOSTS = re.compile(r"^\S+ (https?://)?([a-z0-9-]+\.)*(google|googleapis|gstatic|gvt1|gvt2|googleusercontent)\.com(:\d+)?[/ ]")


def chromium(page: Path, proxy: _DeadEndProxy, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
         f"--proxy-server=http://127.0.0.1:{proxy.server_address[1]}", "--proxy-bypass-list=<-loopback>",
         "--no-first-run", "--disable-background-networking", "--disable-component-update", "--hide-scrollbars",
         *args, page.as_uri()],
        capture_output=True, timeout=90, check=True,
    )


@requires_chromium
def test_chromium_renders_the_page_with_no_network(page, tmp_path):
    screenshot = tmp_path / "report.png"
    with _DeadEndProxy() as proxy:
        chromium(page, proxy, tmp_path / "profile", f"--screenshot={screenshot}", "--window-size=1280,2000")
        dom = chromium(page, proxy, tmp_path / "profile", "--dump-dom").stdout.decode("utf-8")
    with Image.open(screenshot) as im:
        assert im.format == "PNG" and im.size == (1280, 2000)
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
    assert len(colours) > 1  # not blank
    assert any(rgb == (0x1B, 0x78, 0x37) for _, rgb in colours)  # the status bar (inline SVG) was drawn
    rendered = lxml.html.fromstring(dom)
    assert [h.text_content() for h in rendered.xpath("//h2")] == ["覆盖范围 Coverage", "数据质量 Quality", "图表 Charts"]
    assert len(rendered.xpath('//svg[@id="svg-received"]//g[@class="bar"]')) >= 3
    page_requests = [r for r in proxy.requests if not BROWSER_HOSTS.match(r)]
    assert page_requests == [], "the page asked the network for something (or Chromium has a new service host)"
    assert not re.search(r"google|gvt1|gvt2|gstatic", page.read_text("utf-8"))
