"""The portal registry: the shipped Chongqing data, every city's registry (platforms, spiders,
region codes, replica sites), site selection, and what the loader rejects."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from crawler.registry import RegistryError, is_government_host, load_registry, parse_registry
from crawler.spiders.base import PLATFORMS
from normalize.regions import regions as known_regions

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


def test_every_replica_site_is_in_the_registry_with_its_hosts_and_columns():
    for copied in replica_sites():
        site = load_registry(copied.get("spider", "cq")).site_for_host(copied["host"])
        assert site is not None, copied["host"]
        assert site.host == copied["host"]
        assert site.hosts == {copied["host"], *copied["aliases"]}
        assert site.column_urls() == copied["columns"]
        assert site.cms == copied.get("cms", site.cms), copied["host"]


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


# -- every shipped registry (one per city spider)

CITIES = sorted(p.stem for p in (ROOT / "crawler" / "registry").glob("*.toml"))
CITY_CODES = {"bj": "110000", "sh": "310000", "tj": "120000", "gz": "440100", "hz": "330100", "nj": "320100",
              "cd": "510100", "sq": "321300", "cq": "500000"}

#: the replica's sites of the other cities (notes/replica-cities.md): spider, host, aliases, cms, columns, code, name
REPLICA_SITES = [
    ("bj", "www.beijing.gov.cn", {"beijing.gov.cn"}, "trs", ("/gongkai/zfxxgk/gknb/",), "110000", "北京市人民政府"),
    ("bj", "www.bjdch.gov.cn", {"bjdch.gov.cn"}, "trs", ("/zfxxgkzl/zfxxgknb/",), "110101", "北京市东城区人民政府"),
    ("tj", "www.tj.gov.cn", {"tj.gov.cn"}, "trs", ("/zwgk/zfxxgkzl/gknb/",), "120000", "天津市人民政府"),
    ("tj", "fzgg.tj.gov.cn", set(), "trs", ("/zwgk_47325/zfxxgk1/zfxxgknb1/",), "120000", "天津市发展和改革委员会"),
    ("nj", "www.jiangning.gov.cn", {"jiangning.gov.cn"}, "trs", ("/jnqrmzf/xxgkzl/zfxxgkndbg/",), "320115",
     "南京市江宁区人民政府"),
    ("sh", "www.shanghai.gov.cn", {"shanghai.gov.cn"}, "shanghai", ("/nw12344/",), "310000", "上海市人民政府"),
    ("gz", "www.gz.gov.cn", {"gz.gov.cn"}, "guangdong", ("/zfjgzy/gzsrmzfbgt/zfxxgknb/",), "440100", "广州市人民政府"),
    ("hz", "www.hzxh.gov.cn", {"hzxh.gov.cn"}, "hanweb", ("/col/col1229312560/index.html",), "330106",
     "杭州市西湖区人民政府"),
    ("hz", "cgw.hangzhou.gov.cn", set(), "hanweb", ("/col/col1229473546/index.html",), "330100", "杭州市城市管理局"),
    ("cd", "www.chengdu.gov.cn", {"chengdu.gov.cn"}, "gkml", ("/gkml/cdsrmzfbgt/zfxxgknb/column-index-1.shtml",),
     "510100", "成都市人民政府办公厅"),
    ("cd", "cdhrss.chengdu.gov.cn", set(), "sichuan", ("/cdrss/c130702/list.shtml",), "510100",
     "成都市人力资源和社会保障局"),
    ("sq", "kfq.suqian.gov.cn", set(), "jiangsu", ("/sjjkfq/gknb/index.shtml",), "321300", "宿迁经济技术开发区管理委员会"),
]

#: hosts whose CMS no platform covers yet: each registry lists them in a comment, never as a site
UNCOVERED_HOSTS = ["www.bjchy.gov.cn", "www.bjxch.gov.cn", "zyk.bjhd.gov.cn", "xxgk.bjhd.gov.cn", "www.pudong.gov.cn",
                   "zwgk.shmh.gov.cn", "www.shhuangpu.gov.cn", "hpq.sh.gov.cn", "www.shyp.gov.cn", "www.tjbh.gov.cn"]

#: what a column of each platform looks like: a directory, or the list page the platform names
COLUMN_SHAPES = {
    "trs": r"/",
    "guangdong": r"/",
    "shanghai": r"/nw\d+/(index\.html)?",
    "hanweb": r"/col/col\d+/index\.html",
    "jiangsu": r"/gknb/(index\.shtml)?",
    "sichuan": r"/c\d+/(list\.shtml)?",
    "gkml": r"/gkml/(?:[^/]+/)+(column-index-1\.shtml)?",
}


@pytest.fixture(scope="module", params=CITIES)
def registry(request):
    return load_registry(request.param)


def test_the_city_registries_are_shipped():
    assert set(CITY_CODES) <= set(CITIES)


def test_every_shipped_registry_loads_with_its_city(registry):
    assert registry.spider in CITY_CODES
    assert registry.admin_code == CITY_CODES[registry.spider]
    assert registry.name and registry.cms in PLATFORMS
    assert registry.sites


def test_every_sites_cms_is_a_known_platform(registry):
    for site in registry.sites:
        assert site.cms in PLATFORMS, (registry.spider, site.host, site.cms)


def test_every_column_has_its_platforms_shape(registry):
    for site in registry.sites:
        for column in site.columns:
            assert column.startswith("/"), (site.host, column)
            assert re.search(COLUMN_SHAPES[site.cms] + "$", column), (site.host, site.cms, column)


def test_every_site_is_a_government_host_with_a_kind_and_level(registry):
    for site in registry.sites:
        for host in site.hosts:
            assert is_government_host(host), host
        assert site.kind in {"city_portal", "district", "county", "department", "zone"}, site.host
        assert site.level in {"municipal", "county", "zone"}, site.host


def test_a_guessed_column_says_what_is_guessed(registry):
    for site in registry.sites:
        if not site.verified:
            assert site.notes, site.host


def test_every_registry_names_a_spider_scrapy_finds(monkeypatch):
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    monkeypatch.chdir(ROOT)
    spiders = set(SpiderLoader.from_settings(get_project_settings()).list())
    for city in CITIES:
        assert load_registry(city).spider == city
        assert city in spiders, city


def _short(name: str) -> str:
    return re.sub(r"(?:自治区|特别行政区|新区|省|市|区|县)$", "", name)


def test_every_admin_code_is_six_digits_and_agrees_with_the_sites_name(registry):
    table = known_regions()
    for site in registry.sites:
        assert site.admin_code and re.fullmatch(r"\d{6}", site.admin_code), site.host
        region = table.get(site.admin_code)
        if region is None:  # the national table is still being filled in
            continue
        names = []
        while region is not None:
            names.append(region.name)
            region = table.get(region.parent) if region.parent else None
        assert any(n in site.name or _short(n) in site.name for n in names), (site.host, site.name, names)


@pytest.mark.parametrize("city", ["bj", "sh", "tj"])
def test_the_districts_of_the_municipalities_have_known_codes(city):
    table = known_regions()
    for site in load_registry(city).sites:
        assert site.admin_code in table, (site.host, site.admin_code)
        if site.kind in ("district", "county"):
            region = table[site.admin_code]
            assert region.parent == CITY_CODES[city], site.host
            assert site.name == f"{table[CITY_CODES[city]].name}{region.name}人民政府", site.host


def test_no_host_is_in_two_registries():
    owner: dict[str, str] = {}
    for city in CITIES:
        for host in load_registry(city).hosts():
            assert host not in owner, f"{host} is in {owner.get(host)} and {city}"
            owner[host] = city


def test_sites_no_platform_covers_are_left_out():
    for city in CITIES:
        listed = load_registry(city).hosts()
        for host in UNCOVERED_HOSTS:
            assert host not in listed, (city, host)


@pytest.mark.parametrize(("spider", "host", "aliases", "cms", "columns", "code", "name"), REPLICA_SITES,
                         ids=[r[1] for r in REPLICA_SITES])
def test_the_replica_sites_of_the_other_cities_are_in_their_registries(spider, host, aliases, cms, columns, code, name):
    site = load_registry(spider).site_for_host(host)
    assert site is not None and site.host == host
    assert set(site.aliases) == aliases
    assert (site.cms, site.columns, site.admin_code, site.name) == (cms, columns, code, name)


def test_the_readmes_examples_of_adding_a_site_are_the_registries_own_entries():
    """README shows adding a TRS and a Hanweb site as a registry entry: those entries must be
    real ones, crawled by a city spider without any code of their own."""
    import re
    from pathlib import Path

    from crawler.spiders.base.platforms import PLATFORMS

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    blocks = re.findall(r"```toml\n(\[\[sites\]\]\n.*?)```", readme, re.S)
    platforms = set()
    for block in blocks:
        example = parse_registry(block).sites[0]
        city = next(c for c in ("tj", "hz", "bj", "nj", "gz", "sh", "cd", "sq", "cq")
                    if load_registry(c).site_for_host(example.host))
        registry = load_registry(city)
        entry = registry.site_for_host(example.host)
        assert (entry.aliases, entry.name, entry.admin_code, entry.columns) == (
            example.aliases, example.name, example.admin_code, example.columns)
        assert entry.cms in PLATFORMS
        platforms.add(entry.cms)
    assert platforms == {"trs", "hanweb"}
