"""Region fields: from the agency name and the publishing portal's region, never guessed."""

import csv
from pathlib import Path

import pytest

from crawler.publish import region_hint
from crawler.registry import load_registry
from normalize.regions import REGION_ISSUES, regions, resolve

ROOT = Path(__file__).resolve().parents[1]
TABLE = regions()


def children(parent: str) -> list[str]:
    return sorted(c for c, r in TABLE.items() if r.parent == parent)


def fields(r):
    return (r.admin_code, r.province, r.city, r.county)


# -- the table


def test_the_table_covers_the_country():
    levels = [r.level for r in TABLE.values()]
    assert levels.count("province") == 34
    assert levels.count("city") == 333
    assert 2800 < levels.count("county") < 2900
    for r in TABLE.values():  # every parent exists and is one level up (or the province)
        if r.parent:
            assert TABLE[r.parent].level in ("province", "city") and TABLE[r.parent].level != r.level


def test_municipalities_have_no_placeholder_levels():
    assert not {"110100", "120100", "310100", "500100", "500200"} & set(TABLE)
    assert len(children("500000")) == 38
    assert len(children("110000")) == 16


def test_the_csv_keeps_its_columns():
    with open(ROOT / "normalize" / "spec" / "regions.csv", encoding="utf-8", newline="") as f:
        assert csv.DictReader(f).fieldnames[:4] == ["code", "name", "level", "parent"]


# -- the name alone


def test_municipality():
    assert fields(resolve("重庆市人民政府办公厅")) == ("500000", "重庆市", "重庆市", None)


def test_district_of_a_municipality():
    assert fields(resolve("重庆市大足区人民政府")) == ("500111", "重庆市", "重庆市", "大足区")


def test_district_of_a_prefecture_city():
    assert fields(resolve("淮安市洪泽区人民政府")) == ("320813", "江苏省", "淮安市", "洪泽区")


@pytest.mark.parametrize("code", children("500000"))
def test_every_district_and_county_of_chongqing(code):
    name = TABLE[code].name
    assert resolve(f"重庆市{name}人民政府").admin_code == code
    alone = resolve(f"{name}人民政府")  # 江北区 is also Ningbo's: then unresolved, never wrong
    assert alone.admin_code in (code, None)
    assert resolve(f"{name}人民政府", hint="500000").admin_code == code


@pytest.mark.parametrize("code", children("110000"))
def test_every_district_of_beijing(code):
    name = TABLE[code].name
    assert resolve(f"北京市{name}人民政府").admin_code == code
    assert resolve(f"北京{name}人民政府").admin_code == code  # the municipality's short form
    assert resolve(f"{name}人民政府", hint="110000").admin_code == code


def test_registry_sites_resolve_to_their_admin_code():
    for site in load_registry("cq").sites:
        if site.kind in ("district", "county"):
            assert resolve(site.name).admin_code == site.admin_code, site.name


def test_an_ambiguous_name_alone_is_unresolved_and_flagged():
    r = resolve("朝阳区人民政府")
    assert r.placement is None
    assert r.codes == ("meta.region_unresolved",)
    assert set(r.candidates) == {"110105", "220104"}
    assert "110105" in r.issues[0].message and "220104" in r.issues[0].message


def test_other_regions_in_the_name_disambiguate():
    assert fields(resolve("南京市鼓楼区人民政府")) == ("320106", "江苏省", "南京市", "鼓楼区")
    assert resolve("福州市鼓楼区人民政府").admin_code == "350102"
    assert resolve("长春市朝阳区人民政府").admin_code == "220104"
    assert resolve("鼓楼区人民政府").admin_code is None


def test_short_forms_of_the_province_or_city_at_the_start():
    assert resolve("重庆两江新区管理委员会").admin_code == "500000"
    assert resolve("宿迁经济技术开发区管委会").admin_code == "321300"
    assert resolve("石柱县人民政府").admin_code == "500240"  # 石柱土家族自治县
    assert resolve("恩施州人民政府").admin_code == "422800"


def test_a_short_form_inside_a_place_name_is_no_region():
    assert resolve("北京市西城区广安门内街道办事处").admin_code == "110102"  # not 广安市
    assert resolve("朝阳街道办事处").placement is None  # not 朝阳市
    assert resolve("湖北省公安厅").admin_code == "420000"  # not 公安县


def test_former_names_resolve_to_the_successor():
    assert fields(resolve("梁平县人民政府")) == ("500155", "重庆市", "重庆市", "梁平区")
    assert resolve("北京市密云县人民政府").admin_code == "110118"
    assert resolve("重庆市大足县人民政府").admin_code == "500111"
    assert resolve("射洪县人民政府").admin_code == "510981"  # 2019 → 射洪市
    assert "梁平县" in TABLE["500155"].former_names


def test_unknown_names_are_not_guessed():
    r = resolve("某某县人民政府")
    assert r.placement is None and r.codes == ("meta.region_unresolved",)
    assert resolve(None).placement is None and resolve(None).issues == ()


# -- with the portal's region


def test_the_hint_disambiguates():
    r = resolve("朝阳区人民政府", hint="110000")
    assert fields(r) == ("110105", "北京市", "北京市", "朝阳区")
    assert r.source == "name+hint"
    assert r.codes == ("meta.region_hint_disambiguated",) and r.issues[0].severity == "info"
    assert resolve("鼓楼区人民政府", hint="320100").admin_code == "320106"


def test_a_name_without_region_takes_the_hint():
    for name in ("区住房城乡建设委", "市城管局", "朝天门街道办事处"):
        r = resolve(name, hint="500103")
        assert fields(r) == ("500103", "重庆市", "重庆市", "渝中区")
        assert r.source == "hint"
        assert r.codes == ("meta.region_from_hint",) and r.issues[0].severity == "info"


def test_a_deeper_name_wins_over_the_hint_and_the_hint_never_overrides_the_name():
    assert resolve("重庆市大足区人民政府", hint="500000").admin_code == "500111"
    r = resolve("重庆市发展和改革委员会", hint="500111")  # a municipal report on a district site
    assert r.admin_code == "500000" and r.issues == ()


def test_a_name_contradicting_the_hint_is_left_empty_and_flagged():
    r = resolve("重庆市大足区人民政府", hint="320100")
    assert r.placement is None
    assert r.codes == ("meta.region_conflict",)
    assert r.candidates == ("500111",)
    assert resolve("朝阳区人民政府", hint="320000").codes == ("meta.region_conflict",)


def test_regions_that_do_not_nest_are_a_conflict():
    r = resolve("南京市大足区人民政府")
    assert r.placement is None and r.codes == ("meta.region_conflict",)


def test_an_unknown_hint_is_ignored():
    assert resolve("区住房城乡建设委", hint="999999").codes == ("meta.region_unresolved",)


def test_issue_severities_are_documented():
    for code in ("meta.region_unresolved", "meta.region_conflict", "meta.region_from_hint", "meta.region_hint_disambiguated"):
        assert code in REGION_ISSUES
    assert {sev for sev, _ in REGION_ISSUES.values()} == {"warning", "info"}


# -- the crawler's hint


def test_region_hint_from_the_registry():
    assert region_hint("cq", "https://www.dazu.gov.cn/zwgk_175/zfxxgknb/t1.html") == "500111"
    assert region_hint("cq", "https://www.cq.gov.cn/zwgk/t1.html") == "500000"
    assert region_hint("cq", "https://unknown.example.gov.cn/x.html") == "500000"  # the city's
    assert region_hint("no-such-city", "https://www.dazu.gov.cn/x.html") is None
    assert region_hint(None, None) is None


def test_a_zone_whose_area_is_one_county_resolves_through_the_curated_aliases():
    r = resolve("平潭综合实验区管理委员会")
    assert (r.admin_code, r.city, r.county) == ("350128", "福州市", "平潭县") and r.issues == ()


def test_every_agency_the_fixture_reports_are_drawn_from_is_placed_in_its_region():
    from govreports.corpus.agencies import AGENCIES

    for agency in AGENCIES:
        r = resolve(agency.name)
        assert r.admin_code, agency.name
        deepest = r.county or r.city or r.province
        assert deepest[:2] in agency.region, (agency.name, deepest)
