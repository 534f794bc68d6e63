"""The Scrapy project loads, with the polite defaults and without the remote-control extension."""

import subprocess
import sys
from pathlib import Path

from scrapy.utils.project import get_project_settings

ROOT = Path(__file__).resolve().parents[1]


def test_scrapy_list_runs_in_the_project():
    scrapy = Path(sys.executable).parent / "scrapy"
    result = subprocess.run([str(scrapy), "list"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_polite_defaults(monkeypatch):
    monkeypatch.chdir(ROOT)
    settings = get_project_settings()
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") <= 2
    assert 429 in settings.getlist("RETRY_HTTP_CODES")
    assert not settings.getbool("REMOTE_CONTROL_ENABLED")
    assert "govreports" in settings.get("USER_AGENT")


def test_scrapy_list_shows_every_city_spider():
    scrapy = Path(sys.executable).parent / "scrapy"
    result = subprocess.run([str(scrapy), "list"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "cq" in result.stdout.split()


def test_retries_back_off_and_downloads_are_bounded(monkeypatch):
    monkeypatch.chdir(ROOT)
    settings = get_project_settings()
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
    assert middlewares["crawler.middlewares.BackoffRetryMiddleware"] == 550
    assert middlewares["scrapy.downloadermiddlewares.retry.RetryMiddleware"] is None
    assert 0 < settings.getint("DOWNLOAD_MAXSIZE") <= 256 * 1024 * 1024


def test_the_user_agent_names_a_contact_when_one_is_set(tmp_path):
    from crawler.spiders.cq import ChongqingSpider
    from scrapy.utils.test import get_crawler

    crawler = get_crawler(ChongqingSpider, settings_dict={"DATA_DIR": str(tmp_path), "GOVREPORTS_CONTACT": "data@example.org",
                                                          "USER_AGENT": "govreports/0.2 (research)"})
    spider = ChongqingSpider.from_crawler(crawler)
    assert spider.user_agent == "govreports/0.2 (research) contact: data@example.org"
