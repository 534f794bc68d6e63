"""The replica download handler's URL mapping: real URL → REPLICA/host/path, and where REPLICA comes from."""

from __future__ import annotations

import pytest
from scrapy.settings import Settings

from crawler.replica import replica_url, to_replica

REPLICA = "http://127.0.0.1:8765"


@pytest.fixture
def no_env(monkeypatch):
    monkeypatch.delenv("GOVREPORTS_REPLICA", raising=False)


def test_an_https_url_maps_to_host_and_path():
    assert (to_replica("https://www.dazu.gov.cn/zwgk_175/zfxxgknb/index.html", REPLICA)
            == f"{REPLICA}/www.dazu.gov.cn/zwgk_175/zfxxgknb/index.html")


def test_an_http_url_maps_the_same_way():
    assert to_replica("http://gahcep.com/zwgk_175/a.html", REPLICA) == f"{REPLICA}/gahcep.com/zwgk_175/a.html"


def test_the_query_is_kept():
    assert (to_replica("https://fzggw.cq.gov.cn/zfxxgk/zfxxgknb/index_1.html?page=2&x=%E5%B9%B4", REPLICA)
            == f"{REPLICA}/fzggw.cq.gov.cn/zfxxgk/zfxxgknb/index_1.html?page=2&x=%E5%B9%B4")


def test_the_root_path():
    assert to_replica("https://fzggw.cq.gov.cn", REPLICA) == f"{REPLICA}/fzggw.cq.gov.cn/"
    assert to_replica("https://fzggw.cq.gov.cn/", REPLICA) == f"{REPLICA}/fzggw.cq.gov.cn/"
    assert to_replica("https://fzggw.cq.gov.cn/robots.txt", REPLICA) == f"{REPLICA}/fzggw.cq.gov.cn/robots.txt"


def test_the_host_is_lower_cased_and_the_fragment_dropped():
    assert to_replica("https://WWW.Dazu.gov.cn/a/b.html#top", REPLICA) == f"{REPLICA}/www.dazu.gov.cn/a/b.html"


def test_a_percent_encoded_path_stays_encoded():
    url = "https://www.dazu.gov.cn/zwgk_175/%E5%B9%B4%E6%8A%A5/a.html"
    assert to_replica(url, REPLICA) == f"{REPLICA}/www.dazu.gov.cn/zwgk_175/%E5%B9%B4%E6%8A%A5/a.html"


def test_replica_url_from_settings(no_env):
    assert replica_url(Settings({"REPLICA_URL": "http://127.0.0.1:8765/"})) == REPLICA


def test_replica_url_from_the_environment(monkeypatch):
    monkeypatch.setenv("GOVREPORTS_REPLICA", "http://127.0.0.1:9000//")
    assert replica_url(Settings()) == "http://127.0.0.1:9000"


def test_the_setting_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv("GOVREPORTS_REPLICA", "http://127.0.0.1:9000")
    assert replica_url(Settings({"REPLICA_URL": REPLICA})) == REPLICA


def test_an_empty_setting_falls_back_to_the_environment(monkeypatch):
    monkeypatch.setenv("GOVREPORTS_REPLICA", "http://127.0.0.1:9000")
    assert replica_url(Settings({"REPLICA_URL": ""})) == "http://127.0.0.1:9000"


def test_no_replica(no_env):
    assert replica_url(Settings()) is None
    assert replica_url(Settings({"REPLICA_URL": None})) is None


def test_an_empty_environment_variable_is_no_replica(monkeypatch):
    monkeypatch.setenv("GOVREPORTS_REPLICA", "")
    assert replica_url(Settings()) is None
