"""The bundled replica (replica/): the builder reproduces it byte for byte, every
expected report is reachable through the list pages from its site's columns and
normalizes to the facts expected.json gives, every trap is where expected.json says,
and `add_report` publishes a reachable report."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tomllib
from collections import defaultdict
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import pytest
from lxml import html as lhtml

from govreports.replica.build import SITE_BY_HOST, add_report, build_replica, page_count, parse_list_items, render_lists
from normalize.record import normalize_bytes

REPLICA = Path(__file__).resolve().parents[1] / "replica"
EXPECTED = json.loads((REPLICA / "expected.json").read_text("utf-8"))
# the Chongqing sites (TRS) are checked here; the other cities' sites in tests/test_replica_cities.py
REPORTS = [r for r in EXPECTED["reports"] if r["spider"] == "cq"]
CQ_TRAPS = [t for t in EXPECTED["traps"] if t["spider"] == "cq"]
TRAPS = {t["kind"]: t for t in CQ_TRAPS}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("replica") / "replica"
    build_replica(out)
    return out


# ------------------------------------------------------------------ helpers
def _aliases(root: Path) -> dict[str, str]:
    return tomllib.loads((root / "_replica.toml").read_text("utf-8")).get("aliases", {})


def tree_file(root: Path, url: str) -> Path:
    """The file under `root` that serves a real URL (aliases applied, directory → index.html)."""
    parts = urlsplit(url)
    host = _aliases(root).get(parts.hostname, parts.hostname)
    path = parts.path + ("index.html" if parts.path.endswith("/") else "")
    return root / host / path.lstrip("/")


def walk(root: Path, start: list[str]) -> tuple[dict[str, set[str]], set[str]]:
    """Crawl the list pages as a spider would: from each column follow the sub-column
    links and the pager's index_N pages; collect every list item's absolute URL with the
    list pages linking it. Returns (item URL → list page URLs, list page URLs)."""
    items: dict[str, set[str]] = defaultdict(set)
    seen: set[str] = set()
    todo = list(start)
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        data = tree_file(root, url).read_bytes()
        doc = lhtml.fromstring(data)
        for a in doc.xpath('//div[@class="sub-column"]//a'):
            todo.append(urljoin(url, a.get("href")))
        pages, current, _ = page_count(data)
        base = url.rsplit("/", 1)[0] + "/"
        todo += [base + ("index.html" if n == 0 else f"index_{n}.html") for n in range(1, pages)]
        for a in doc.xpath('//ul[@class="list"]/li/a'):
            items[urljoin(url, a.get("href"))].add(base)
    return items, seen


def start_urls(root: Path) -> list[str]:
    doc = json.loads((root / "expected.json").read_text("utf-8"))
    return [c for s in doc["sites"] if s["spider"] == "cq" for c in s["columns"]]


def list_pages(root: Path) -> list[Path]:
    """The Chongqing sites' list pages (the other cities' are checked in tests/test_replica_cities.py)."""
    return sorted(p for host in SITE_BY_HOST for p in (root / host).rglob("index*.html"))


def assert_facts(record, expected_facts: list) -> None:
    want = {(t, r, c): v for t, r, c, v, _flag, _unit in expected_facts}
    got = {(f.table, f.row_key, f.col_key): f.value for f in record.facts}
    diff = {k: (got.get(k, "MISSING"), v) for k, v in want.items() if got.get(k, "MISSING") != v}
    assert diff == {}
    assert set(got) == set(want), sorted(set(got) ^ set(want))


def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------ the committed tree is the builder's output
def test_committed_replica_is_the_builders_output(built):
    assert _snapshot(built) == _snapshot(REPLICA), (
        "replica/ drifted from govreports/replica/build.py: rebuild it with build_replica(Path('replica'))")


def test_build_is_deterministic(built, tmp_path):
    build_replica(tmp_path / "again")
    assert _snapshot(tmp_path / "again") == _snapshot(built)


def test_build_refuses_to_overwrite_a_directory_that_is_not_a_replica(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        build_replica(tmp_path)
    assert (tmp_path / "keep.txt").exists()


def test_replica_stays_small():  # about 80 kB a report, expected facts included
    assert sum(p.stat().st_size for p in REPLICA.rglob("*") if p.is_file()) < 8_000_000


# ------------------------------------------------------------------ expected.json
def test_expected_json_shape_and_plan():
    keys = {"source_url", "document_url", "host", "column", "agency_name", "agency_kind", "year", "format",
            "format_version", "title", "publish_date", "encoding", "facts", "seed"}
    assert 30 <= len(REPORTS) <= 40
    for r in REPORTS:
        assert keys <= set(r)
        for u in (r["source_url"], r["document_url"]):
            assert u.startswith(f"https://{r['host']}/") and "127.0.0.1" not in u
        assert re.search(r"/\d{6}/t\d{8}_\d+\.html$", r["source_url"])
        if r["format"] == "html":
            assert r["document_url"] == r["source_url"]
        else:
            assert re.search(rf"/P0\d{{20}}\.{r['format']}$", r["document_url"])
            assert r["document_url"].rsplit("/", 1)[0] == r["source_url"].rsplit("/", 1)[0]
        assert r["format_version"] == ("pre2019" if r["year"] <= 2018 else "2019" if r["year"] <= 2020 else "2021")
        assert all(len(f) == 6 for f in r["facts"]) and r["facts"]
    per_site = defaultdict(int)
    for r in REPORTS:
        per_site[r["host"]] += 1
    assert set(per_site) == set(SITE_BY_HOST) and min(per_site.values()) >= 5
    formats = [r["format"] for r in REPORTS]
    assert formats.count("pdf") >= 4 and formats.count("docx") >= 3
    assert {r["year"] for r in REPORTS} >= set(range(2019, 2026))
    assert any(r["year"] == 2018 and r["host"] == "fzggw.cq.gov.cn" for r in REPORTS)
    docids = [r["source_url"].rsplit("_", 1)[1] for r in REPORTS]
    assert len(set(docids)) == len(docids)
    assert set(TRAPS) == {"non_report", "mirror_link", "duplicate_link", "robots_disallowed", "year_column", "gbk",
                          "not_found", "retry_500", "slow"}


# ------------------------------------------------------------------ reachability and pagination
def test_every_report_is_linked_from_a_list_reachable_from_its_columns():
    items, _ = walk(REPLICA, start_urls(REPLICA))
    for r in REPORTS:
        assert r["source_url"] in items, r["source_url"]
        page = tree_file(REPLICA, r["source_url"])
        assert page.exists()
        doc = tree_file(REPLICA, r["document_url"])
        assert doc.exists()
        if r["format"] != "html":  # the notice page links its attachment
            hrefs = {urljoin(r["source_url"], h) for h in lhtml.fromstring(page.read_bytes()).xpath("//a/@href")}
            assert r["document_url"] in hrefs
    # and nothing else but the traps: every list item is a report or a listed trap
    trap_urls = {t["url"] for t in CQ_TRAPS}
    assert set(items) - {r["source_url"] for r in REPORTS} <= trap_urls


def test_pager_scripts_match_the_index_files():
    dirs = {p.parent for p in list_pages(REPLICA)}
    assert dirs
    for d in dirs:
        files = sorted(d.glob("index*.html"))
        first = page_count((d / "index.html").read_bytes())
        pages, _, total = first
        assert len(files) == pages, d
        n_items = 0
        for n in range(pages):
            data = (d / ("index.html" if n == 0 else f"index_{n}.html")).read_bytes()
            assert page_count(data) == (pages, n, total)
            n_items += len(parse_list_items(data))
        assert n_items == total, d
    # page sizes: fzggw 3 (so ≥3 pages), www.cq.gov.cn sub-columns 5
    assert page_count((REPLICA / "fzggw.cq.gov.cn/zfxxgk/zfxxgknb/index.html").read_bytes())[0] >= 3
    assert len(parse_list_items((REPLICA / "fzggw.cq.gov.cn/zfxxgk/zfxxgknb/index.html").read_bytes())) == 3
    szf = REPLICA / "www.cq.gov.cn/zwgk/zfxxgkzl/zfxxgknb/szf"
    assert len(parse_list_items((szf / "index.html").read_bytes())) == 5 and (szf / "index_1.html").exists()


def test_lists_are_newest_first_and_parents_list_their_children():
    for p in list_pages(REPLICA):
        days = [d for _, _, d in parse_list_items(p.read_bytes())]
        assert days == sorted(days, reverse=True), p
    items, _ = walk(REPLICA, start_urls(REPLICA))
    dz = "https://www.dazu.gov.cn/zwgk_175/zfxxgknb/"
    for r in REPORTS:
        if r["host"] == "www.dazu.gov.cn":
            assert dz in items[r["source_url"]]
            assert f"https://{r['host']}{r['column']}" in items[r["source_url"]]


def test_list_pages_round_trip_through_the_renderer():
    """add_report re-cuts lists from their parsed items: parsing and rendering a list gives back its bytes."""
    for site in SITE_BY_HOST.values():
        for col in site.columns:
            d = REPLICA / site.host / col.path.lstrip("/")
            printed = []
            for p in sorted(d.glob("index*.html"), key=lambda p: int(p.stem.partition("_")[2] or 0)):
                printed += parse_list_items(p.read_bytes())
            for rel, data in render_lists(site, col, printed).items():
                assert (REPLICA / rel).read_bytes() == data, rel


def test_list_page_markup_and_chrome():
    page = (REPLICA / "www.dazu.gov.cn/zwgk_175/zfxxgknb/index.html").read_bytes()
    doc = lhtml.fromstring(page)
    assert len(doc.xpath('//ul[@class="list"]')) == 1
    subs = doc.xpath('//div[@class="sub-column"]//a/@href')
    assert subs == ["./dzq/", "./qzfbm_68864/", "./jznb_68866/"]
    hrefs = doc.xpath("//a/@href")
    assert "/zwgk_175/zcwj/" in hrefs and "https://www.dazu.gov.cn/" in hrefs
    assert any(urlsplit(h).hostname and urlsplit(h).hostname not in ("www.dazu.gov.cn",) and
               urlsplit(h).hostname.endswith(".gov.cn") for h in hrefs)
    li = doc.xpath('//ul[@class="list"]/li')[0]
    assert li.find("a").get("target") == "_blank" and li.find("a").get("title") == li.find("a").text
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", li.findtext("span"))


# ------------------------------------------------------------------ traps
def _linked_from(url: str) -> set[str]:
    items, _ = walk(REPLICA, start_urls(REPLICA))
    return items.get(url, set())


def test_aliases():
    aliases = {a: h for a, h in _aliases(REPLICA).items() if h in SITE_BY_HOST}
    assert aliases == {"dazu.gov.cn": "www.dazu.gov.cn", "cq.gov.cn": "www.cq.gov.cn",
                       "cqyz.gov.cn": "www.cqyz.gov.cn", "cqstl.gov.cn": "www.cqstl.gov.cn"}


def test_trap_urls_are_linked_as_listed():
    for t in CQ_TRAPS:
        if t["kind"] in ("year_column", "slow"):
            continue
        assert set(t["linked_from"]) <= _linked_from(t["url"]), t["kind"]


def test_trap_non_report():
    t = TRAPS["non_report"]
    title = "重庆市大足区人民政府办公室政府信息公开指南"
    items = parse_list_items((REPLICA / "www.dazu.gov.cn/zwgk_175/zfxxgknb/index.html").read_bytes())
    assert any(title == tt and urljoin("https://www.dazu.gov.cn/zwgk_175/zfxxgknb/", h) == t["url"] for h, tt, _ in items)
    rec = normalize_bytes(tree_file(REPLICA, t["url"]).read_bytes())
    assert rec.report["status"] == "not_a_report"
    assert t["url"] not in {r["source_url"] for r in REPORTS}


def test_trap_mirror_link():
    t = TRAPS["mirror_link"]
    assert urlsplit(t["url"]).hostname == "gahcep.com"
    dzq = parse_list_items((REPLICA / "www.dazu.gov.cn/zwgk_175/zfxxgknb/dzq/index.html").read_bytes())
    assert t["url"] in [h for h, _, _ in dzq]
    copy = REPLICA / "gahcep.com" / urlsplit(t["url"]).path.lstrip("/")
    real = "https://www.dazu.gov.cn" + urlsplit(t["url"]).path
    assert real in {r["source_url"] for r in REPORTS}
    text = copy.read_bytes().decode("utf-8")
    assert "娱乐场" in text and "投注" in text
    assert t["url"] not in {r["source_url"] for r in REPORTS}


def test_trap_duplicate_link():
    t = TRAPS["duplicate_link"]
    assert t["url"] in {r["source_url"] for r in REPORTS}
    linked = _linked_from(t["url"])
    assert "https://www.dazu.gov.cn/zwgk_175/zfxxgknb/qzfbm_68864/qzfbgs/" in linked
    assert "https://www.dazu.gov.cn/zwgk_175/zfxxgknb/qzfbm_68864/qjjxxw_68873/" in linked


def test_trap_robots_disallowed():
    t = TRAPS["robots_disallowed"]
    robots = (REPLICA / "www.cqstl.gov.cn/robots.txt").read_text()
    assert robots == "User-agent: *\nDisallow: /tmp_publish/\n"
    rp = RobotFileParser()
    rp.parse(robots.splitlines())
    assert not rp.can_fetch("govreports", t["url"])
    assert re.fullmatch(r"https://www\.cqstl\.gov\.cn/tmp_publish/202401/t20240125_\d+\.html", t["url"])
    assert tree_file(REPLICA, t["url"]).exists()
    lst = parse_list_items((REPLICA / "www.cqstl.gov.cn/zwgk_171/zfxxgknb/qzfbm/qzfbgs/index.html").read_bytes())
    assert urlsplit(t["url"]).path in [h for h, _, _ in lst]
    assert t["url"] not in {r["source_url"] for r in REPORTS}
    for r in REPORTS:
        assert rp.can_fetch("govreports", r["source_url"]) and rp.can_fetch("govreports", r["document_url"])


def test_trap_year_column():
    col = "/zwgk_229/zfxxgknan_ew/2020_504392/qzfbgs/"
    assert TRAPS["year_column"]["url"] == "https://www.cqyz.gov.cn" + col
    there = [r for r in REPORTS if r["host"] == "www.cqyz.gov.cn" and r["column"] == col]
    assert {r["year"] for r in there} == set(range(2021, 2026))
    assert {r["agency_name"] for r in there} == {"重庆市渝中区人民政府办公室"}
    r2025 = next(r for r in there if r["year"] == 2025)
    assert r2025["publish_date"].startswith("2026-") and "/2026" in r2025["source_url"]


def test_trap_gbk():
    t = TRAPS["gbk"]
    r = next(r for r in REPORTS if r["source_url"] == t["url"])
    assert r["encoding"] == "gbk" and r["format"] == "html"
    data = tree_file(REPLICA, t["url"]).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert "政府信息公开" in data.decode("gbk")
    assert b"charset" not in data.lower()


def test_trap_not_found():
    t = TRAPS["not_found"]
    assert not tree_file(REPLICA, t["url"]).exists()
    lst = parse_list_items(tree_file(REPLICA, t["linked_from"][0]).read_bytes())
    title = next(tt for h, tt, _ in lst if urljoin(t["linked_from"][0], h) == t["url"])
    assert "2021年政府信息公开工作年度报告" in title
    assert t["url"] not in {r["source_url"] for r in REPORTS}


def test_traps_retry_500_and_slow_are_server_rules():
    rules = tomllib.loads((REPLICA / "_replica.toml").read_text("utf-8"))["rule"]
    by_path = {r["path"]: r for r in rules}
    retry = TRAPS["retry_500"]["url"]
    rule = by_path[retry.split("://", 1)[1]]
    assert rule["fail"] == 1 and rule.get("status", 500) == 500
    assert retry in {r["source_url"] for r in REPORTS}
    slow = TRAPS["slow"]["url"]
    assert by_path[slow.split("://", 1)[1]]["delay"] == 1.5
    assert tree_file(REPLICA, slow).exists()
    for r in rules:
        host, path = r["path"].split("/", 1)
        assert (REPLICA / host / path).exists()


# ------------------------------------------------------------------ every report normalizes to its facts
@pytest.mark.parametrize("report", REPORTS, ids=[f"{r['host']}-{r['year']}-{r['format']}" for r in REPORTS])
def test_report_normalizes_to_expected_facts(report):
    data = tree_file(REPLICA, report["document_url"]).read_bytes()
    rec = normalize_bytes(data)
    assert rec.report["status"] == "ok", rec.report["issues"]
    assert rec.report["year"] == report["year"]
    assert rec.report["format_version"] == report["format_version"]
    assert rec.report["agency_name"] == report["agency_name"]
    assert_facts(rec, report["facts"])


# ------------------------------------------------------------------ add_report
def test_add_report_publishes_a_reachable_report(built, tmp_path):
    root = tmp_path / "replica"
    shutil.copytree(built, root)
    before = _snapshot(root)
    fz = add_report(root, host="fzggw.cq.gov.cn", column="/zfxxgk/zfxxgknb/", year=2025, fmt="pdf", seed=424242)
    dz = add_report(root, host="www.dazu.gov.cn", column="/zwgk_175/zfxxgknb/dzq/", year=2024, seed=424243)
    doc = json.loads((root / "expected.json").read_text("utf-8"))
    assert doc["reports"][-2:] == [fz, dz]
    assert len(doc["reports"]) == len(EXPECTED["reports"]) + 2
    assert fz["format"] == "pdf" and fz["document_url"].endswith(".pdf") and fz["year"] == 2025

    items, _ = walk(root, start_urls(root))
    for e in (fz, dz):
        assert e["source_url"] in items
        assert tree_file(root, e["document_url"]).exists()
        assert_facts(normalize_bytes(tree_file(root, e["document_url"]).read_bytes()), e["facts"])
    # at the top of its column's list, and of the parent's
    top = parse_list_items((root / "www.dazu.gov.cn/zwgk_175/zfxxgknb/dzq/index.html").read_bytes())[0]
    assert urljoin("https://www.dazu.gov.cn/zwgk_175/zfxxgknb/dzq/", top[0]) == dz["source_url"]
    top = parse_list_items((root / "www.dazu.gov.cn/zwgk_175/zfxxgknb/index.html").read_bytes())[0]
    assert urljoin("https://www.dazu.gov.cn/zwgk_175/zfxxgknb/", top[0]) == dz["source_url"]
    # fzggw: 8 items at 3 a page, pager updated on every page
    fzdir = root / "fzggw.cq.gov.cn/zfxxgk/zfxxgknb"
    n = len([r for r in REPORTS if r["host"] == "fzggw.cq.gov.cn"]) + 1
    pages = -(-n // 3)
    assert len(list(fzdir.glob("index*.html"))) == pages
    for i in range(pages):
        assert page_count((fzdir / ("index.html" if i == 0 else f"index_{i}.html")).read_bytes()) == (pages, i, n)
    # nothing else changed but the new files, the touched lists and expected.json
    after = _snapshot(root)
    changed = {k for k in after if before.get(k) != after[k]}
    allowed_lists = {"www.dazu.gov.cn/zwgk_175/zfxxgknb/dzq/", "www.dazu.gov.cn/zwgk_175/zfxxgknb/",
                     "fzggw.cq.gov.cn/zfxxgk/zfxxgknb/"}
    new_files = {tree_file(root, e[k]).relative_to(root).as_posix() for e in (fz, dz)
                 for k in ("source_url", "document_url")}
    for k in changed:
        assert k == "expected.json" or k in new_files or k.rsplit("/", 1)[0] + "/" in allowed_lists, k
