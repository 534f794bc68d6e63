"""The SQLite crawl state: files, reports, cached records, and that it all survives a restart."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest

import crawler.state
from crawler.state import CrawlState

PAGE = "https://fzggw.cq.gov.cn/zfxxgk/zfxxgknb/202102/t20210205_8865647.html"
PDF = "https://fzggw.cq.gov.cn/zfxxgk/zfxxgknb/202102/P020210205073450385166.pdf"
OTHER = "https://fzggw.cq.gov.cn/zfxxgk/zfxxgknb/202202/t20220202_10366709.html"
SHA = "a" * 64


@pytest.fixture
def clock(monkeypatch):
    """`crawler.state.now` as a clock that moves one second per call (the real one has 1 s resolution)."""
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    ticks = itertools.count()
    monkeypatch.setattr(crawler.state, "now",
                        lambda: (start + timedelta(seconds=next(ticks))).isoformat(timespec="seconds"))


@pytest.fixture
def state(tmp_path, clock):
    s = CrawlState(tmp_path / "crawl.sqlite")
    yield s
    s.close()


def add_report(state, url=PAGE, files=(PAGE, PDF), complete=True, **kw):
    state.put_report(url, files=list(files), complete=complete, portal="cq", spider="cq", **kw)


# -- files


def test_put_file_stores_the_row(state):
    state.put_file(PAGE, sha256=SHA, size=10, content_type="text/html", http_status=200, etag='"x"', portal="cq")
    row = state.file(PAGE)
    assert (row["sha256"], row["size"], row["http_status"], row["etag"], row["portal"]) == (SHA, 10, 200, '"x"', "cq")
    assert row["first_seen"] == row["last_seen"]


def test_an_unknown_file_is_none(state):
    assert state.file(PAGE) is None


def test_put_file_again_keeps_first_seen_and_moves_last_seen(state):
    state.put_file(PAGE, sha256=SHA, http_status=200)
    first = state.file(PAGE)
    state.put_file(PAGE, sha256="b" * 64, http_status=200)
    again = state.file(PAGE)
    assert again["first_seen"] == first["first_seen"]
    assert again["last_seen"] > first["last_seen"]
    assert again["sha256"] == "b" * 64


def test_put_file_rejects_unknown_columns(state):
    with pytest.raises(ValueError, match="sha"):
        state.put_file(PAGE, sha=SHA)


def test_iter_files_lists_every_file_once_in_url_order(state):
    for url in (PDF, PAGE, PDF):
        state.put_file(url, sha256=SHA)
    assert [f["url"] for f in state.iter_files()] == sorted([PAGE, PDF])


# -- reports


def test_put_report_and_report(state):
    add_report(state, list_title="2020年政府信息公开工作年度报告", title="页面标题", publish_date="2021-02-05",
               list_url="https://fzggw.cq.gov.cn/zfxxgk/zfxxgknb/")
    entry = state.report(PAGE)
    assert entry.files == [PAGE, PDF] and entry.complete is True
    assert (entry.portal, entry.spider, entry.list_title, entry.title, entry.publish_date) == (
        "cq", "cq", "2020年政府信息公开工作年度报告", "页面标题", "2021-02-05")
    assert state.report(OTHER) is None
    assert state.count_reports() == 1


def test_is_complete(state):
    add_report(state, complete=True)
    add_report(state, OTHER, files=[OTHER, PDF], complete=False)
    assert state.is_complete(PAGE)
    assert not state.is_complete(OTHER)
    assert not state.is_complete("https://fzggw.cq.gov.cn/never-seen.html")


def test_put_report_again_keeps_first_seen_and_the_list_title_and_date_it_had(state):
    add_report(state, complete=False, list_title="列表标题", publish_date="2021-02-05")
    first = state.report(PAGE)
    add_report(state, complete=True)  # e.g. reached without a list entry this time
    again = state.report(PAGE)
    assert again.first_seen == first.first_seen and again.last_seen > first.last_seen
    assert (again.list_title, again.publish_date, again.complete) == ("列表标题", "2021-02-05", True)


def test_touch_report_moves_last_seen_of_the_report_and_its_files(state):
    for url in (PAGE, PDF, OTHER):
        state.put_file(url, sha256=SHA, http_status=200)
    add_report(state)
    before = {u: state.file(u)["last_seen"] for u in (PAGE, PDF, OTHER)}
    report_before = state.report(PAGE)
    state.touch_report(PAGE)
    after = state.report(PAGE)
    assert after.last_seen > report_before.last_seen and after.first_seen == report_before.first_seen
    assert state.file(PAGE)["last_seen"] > before[PAGE]
    assert state.file(PDF)["last_seen"] > before[PDF]
    assert state.file(OTHER)["last_seen"] == before[OTHER]  # not a file of that report
    assert state.file(PAGE)["first_seen"] < state.file(PAGE)["last_seen"]


def test_touch_of_an_unknown_report_changes_nothing(state):
    state.put_file(PAGE, sha256=SHA)
    before = state.file(PAGE)
    state.touch_report(OTHER)
    assert state.file(PAGE) == before and state.report(OTHER) is None


def test_iter_reports_in_url_order(state):
    add_report(state, OTHER, files=[OTHER])
    add_report(state)
    assert [r.source_url for r in state.iter_reports()] == sorted([PAGE, OTHER])


# -- cached records


def test_a_cached_record_is_found_with_the_same_input_key_and_parser_version(state):
    record = {"report": {"title": "年度报告", "status": "ok"}, "facts": [{"table": "t2", "value": 1.0}]}
    state.put_record(PAGE, "key-1", "0.1.0", record)
    assert state.record(PAGE, "key-1", "0.1.0") == record


def test_a_cached_record_is_missed_when_the_inputs_changed(state):
    state.put_record(PAGE, "key-1", "0.1.0", {"report": {}, "facts": []})
    assert state.record(PAGE, "key-2", "0.1.0") is None


def test_a_cached_record_is_missed_when_the_parser_changed(state):
    state.put_record(PAGE, "key-1", "0.1.0", {"report": {}, "facts": []})
    assert state.record(PAGE, "key-1", "0.2.0") is None


def test_a_new_record_replaces_the_cached_one(state):
    state.put_record(PAGE, "key-1", "0.1.0", {"report": {"n": 1}, "facts": []})
    state.put_record(PAGE, "key-2", "0.2.0", {"report": {"n": 2}, "facts": []})
    assert state.record(PAGE, "key-1", "0.1.0") is None
    assert state.record(PAGE, "key-2", "0.2.0") == {"report": {"n": 2}, "facts": []}


def test_records_are_per_report(state):
    state.put_record(PAGE, "key-1", "0.1.0", {"report": {}, "facts": []})
    assert state.record(OTHER, "key-1", "0.1.0") is None


# -- restarts


def test_the_state_survives_reopening(tmp_path, clock):
    path = tmp_path / "data" / "crawl.sqlite"
    first = CrawlState(path)
    first.put_file(PAGE, sha256=SHA, http_status=200)
    first.put_file(PDF, sha256="b" * 64, http_status=200)
    add_report(first, list_title="列表标题")
    first.put_record(PAGE, "key-1", "0.1.0", {"report": {"title": "年度报告"}, "facts": []})
    first.close()

    second = CrawlState(path)
    try:
        assert second.file(PAGE)["sha256"] == SHA
        assert second.report(PAGE).files == [PAGE, PDF] and second.is_complete(PAGE)
        assert second.record(PAGE, "key-1", "0.1.0") == {"report": {"title": "年度报告"}, "facts": []}
        second.put_file(PAGE, sha256=SHA, http_status=200)
        assert second.file(PAGE)["first_seen"] < second.file(PAGE)["last_seen"]
    finally:
        second.close()


def test_an_open_state_sees_what_another_connection_wrote(tmp_path, clock):
    path = tmp_path / "crawl.sqlite"
    writer, reader = CrawlState(path), CrawlState(path)
    try:
        writer.put_file(PAGE, sha256=SHA)  # committed at once: a killed crawl loses nothing
        assert reader.file(PAGE)["sha256"] == SHA
    finally:
        writer.close()
        reader.close()


def _open_and_close(path: str, barrier) -> None:
    from crawler.state import CrawlState

    barrier.wait()  # all at once
    CrawlState(path).close()


def test_processes_opening_a_new_state_at_the_same_moment_all_get_it(tmp_path):
    """The demo's crawls and distributed workers open one new crawl.sqlite together: one of
    them switching it to WAL must not make the others fail with "database is locked"."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    for trial in range(10):
        path = str(tmp_path / f"crawl-{trial}.sqlite")
        barrier = ctx.Barrier(6)
        procs = [ctx.Process(target=_open_and_close, args=(path, barrier)) for _ in range(6)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        assert [p.exitcode for p in procs] == [0] * 6
