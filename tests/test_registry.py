"""The portal registry: the shipped Chongqing data, site selection, and what the loader rejects."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from crawler.registry import RegistryError, is_government_host, load_registry, parse_registry

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cq():
    return load_registry("cq")


def regions() -> dict[str, dict]:
    with open(ROOT / "normalize" / "spec" / "regions.csv", encoding="utf-8", newline="") as f:
        return {row["code"]: row for row in csv.DictReader(f)}


def replica_sites() -> list[dict]:
    return json.loads((ROOT / "replica" / "expected.json").read_text("utf-8"))["sites"]


# -- the shipped registry


def test_the_cq_registry_loads(cq):
    assert cq.spider == "cq" and cq.name == "重庆市" and cq.admin_code == "500000"
    assert cq.sites


def test_an_unknown_city_has_no_registry():
    with pytest.raises(RegistryError):
        load_registry("no-such-city")


def test_the_38_districts_and_counties_are_the_regions_of_chongqing(cq):
    local = [s for s in cq.sites if s.kind in ("district", "county")]
    chongqing = {code for code, row in regions().items() if row["parent"] == "500000"}
    assert len(local) == 38
    assert sorted(s.admin_code for s in local) == sorted(chongqing)


def test_district_and_county_names_agree_with_their_admin_codes(cq):
    names = {code: row["name"] for code, row in regions().items()}
    for site in cq.sites:
        if site.kind in ("district", "county"):
            assert site.name == f"重庆市{names[site.admin_code]}人民政府", site.host
            assert site.kind == ("district" if names[site.admin_code].endswith("区") else "county"), site.host


def test_every_host_and_alias_is_a_government_host(cq):
    for site in cq.sites:
        for host in site.hosts:
            assert host.endswith(".gov.cn") and is_government_host(host), host


def test_no_host_is_listed_twice(cq):
    listed = [h for s in cq.sites for h in (s.host, *s.aliases)]
    assert len(listed) == len(set(listed))


def test_every_column_is_a_directory_path(cq):
    for site in cq.sites:
        assert site.columns, site.host
        for column in site.columns:
            assert column.startswith("/") and column.endswith("/"), (site.host, column)


def test_every_replica_site_is_in_the_registry_with_its_hosts_and_columns(cq):
    for copied in replica_sites():
        site = cq.site_for_host(copied["host"])
        assert site is not None, copied["host"]
        assert site.host == copied["host"]
        assert site.hosts == {copied["host"], *copied["aliases"]}
        assert site.column_urls() == copied["columns"]


# -- select


def test_select_by_alias(cq):
    assert [s.host for s in cq.select(["dazu.gov.cn"])] == ["www.dazu.gov.cn"]


def test_select_with_or_without_www(cq):
    assert [s.host for s in cq.select(["www.fzggw.cq.gov.cn"])] == ["fzggw.cq.gov.cn"]
    assert [s.host for s in cq.select(["cqstl.gov.cn"])] == ["www.cqstl.gov.cn"]


def test_select_by_url(cq):
    assert [s.host for s in cq.select(["https://fzggw.cq.gov.cn/zfxxgk/zfxxgknb/"])] == ["fzggw.cq.gov.cn"]


def test_select_ignores_case_and_spaces_and_names_a_site_once(cq):
    chosen = cq.select([" WWW.Dazu.gov.cn ", "dazu.gov.cn", "fzggw.cq.gov.cn"])
    assert [s.host for s in chosen] == ["www.dazu.gov.cn", "fzggw.cq.gov.cn"]


def test_select_of_an_unknown_site_raises(cq):
    with pytest.raises(RegistryError, match="gahcep.com"):
        cq.select(["gahcep.com"])


# -- parse_registry

CITY = '[city]\nspider = "xx"\nname = "某市"\n'
SITE = '[[sites]]\nhost = "{host}"\ncolumns = {columns}\n'


def site(host="www.a.gov.cn", columns='["/zwgk/zfxxgknb/"]', extra=""):
    return SITE.format(host=host, columns=columns) + extra


def test_a_small_registry_parses_with_city_defaults():
    reg = parse_registry(CITY + 'cms = "trs"\nscheme = "http"\n' + site(extra='aliases = ["A.gov.cn"]\n'))
    (s,) = reg.sites
    assert (s.host, s.aliases, s.name, s.cms, s.scheme) == ("www.a.gov.cn", ("a.gov.cn",), "www.a.gov.cn", "trs", "http")
    assert s.column_urls() == ["http://www.a.gov.cn/zwgk/zfxxgknb/"]


def test_an_unknown_site_key_is_rejected():
    with pytest.raises(RegistryError, match="colums"):
        parse_registry(CITY + site(extra='colums = ["/x/"]\n'))


def test_an_unknown_city_key_is_rejected():
    with pytest.raises(RegistryError, match="spidre"):
        parse_registry('[city]\nspidre = "xx"\n' + site())


@pytest.mark.parametrize("columns", ['["zwgk/zfxxgknb/"]', '["/zwgk/zfxxgknb"]', '["/zwgk/index.php?x=1"]', "[]", "[1]"])
def test_bad_columns_are_rejected(columns):
    with pytest.raises(RegistryError, match="columns"):
        parse_registry(CITY + site(columns=columns))


def test_a_site_without_columns_is_rejected():
    with pytest.raises(RegistryError, match="columns"):
        parse_registry(CITY + '[[sites]]\nhost = "www.a.gov.cn"\n')


@pytest.mark.parametrize("host", ["", "www.a.gov.cn/zwgk"])
def test_a_host_must_be_a_bare_host_name(host):
    with pytest.raises(RegistryError, match="host"):
        parse_registry(CITY + site(host=host))


def test_the_same_host_twice_is_rejected():
    with pytest.raises(RegistryError, match="listed twice"):
        parse_registry(CITY + site() + site())


def test_an_alias_that_is_another_sites_host_is_rejected():
    with pytest.raises(RegistryError, match="listed twice"):
        parse_registry(CITY + site() + site(host="www.b.gov.cn", extra='aliases = ["WWW.A.gov.cn"]\n'))


# -- government hosts


@pytest.mark.parametrize("host", ["gov.cn", "www.gov.cn", "fzggw.cq.gov.cn", "WWW.DAZU.GOV.CN", "www.dazu.gov.cn."])
def test_gov_cn_hosts_are_government_hosts(host):
    assert is_government_host(host)


@pytest.mark.parametrize("host", ["gahcep.com", "gov.cn.evil.com", "evilgov.cn", "www.dazu.gov.cn.evil.com", "gov.com",
                                  "", None])
def test_other_hosts_are_not(host):
    assert not is_government_host(host)
