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
