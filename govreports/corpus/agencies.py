"""Publishing agencies the corpus draws from: real Chongqing district governments,
departments and towns, and a few other cities (hosts and column paths as in
shared/PORTALS.md), so that generated pages and URLs look like the portals' own."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Agency:
    name: str  # 重庆市大足区人民政府办公室
    region: str  # 重庆市大足区
    kind: str  # government, general_office, department, township
    host: str
    column: str  # column path on the portal, ending in /
    site: str  # the portal's name
    short: str  # how the page's 来源 field names it
    level: str = "county"  # municipal, city, county, township


AGENCIES: tuple[Agency, ...] = (
    Agency("重庆市大足区人民政府办公室", "重庆市大足区", "general_office", "www.dazu.gov.cn",
           "/zwgk_175/zfxxgknb/qzfbm_68864/qzfbgs/", "重庆市大足区人民政府", "大足区政府办"),
    Agency("重庆市大足区人民政府", "重庆市大足区", "government", "www.dazu.gov.cn",
           "/zwgk_175/zfxxgknb/dzq/", "重庆市大足区人民政府", "大足区政府"),
    Agency("重庆市大足区经济和信息化委员会", "重庆市大足区", "department", "www.dazu.gov.cn",
           "/zwgk_175/zfxxgknb/qzfbm_68864/qjjxxw_68873/", "重庆市大足区人民政府", "区经济信息委"),
    Agency("重庆市铜梁区人民政府办公室", "重庆市铜梁区", "general_office", "www.cqstl.gov.cn",
           "/zwgk_171/zfxxgknb/qzfbm/qzfbgs/", "重庆市铜梁区人民政府", "铜梁区政府办"),
    Agency("重庆市铜梁区商务委员会", "重庆市铜梁区", "department", "cqstl.gov.cn",
           "/bm/qsww_71114/zwgk_70831/zfxxgknb_70842/", "重庆市铜梁区人民政府", "区商务委"),
    Agency("重庆市铜梁区蒲吕街道办事处", "重庆市铜梁区", "township", "cqstl.gov.cn",
           "/jz/pljd_70777/zwgk_70755/zfxxgknb_70772/", "重庆市铜梁区人民政府", "蒲吕街道", "township"),
    Agency("重庆市荣昌区人民政府办公室", "重庆市荣昌区", "general_office", "www.rongchang.gov.cn",
           "/zwgk_264/zfxxgknb/qzfnb/", "重庆市荣昌区人民政府", "荣昌区政府办"),
    Agency("重庆市荣昌区经济和信息化委员会", "重庆市荣昌区", "department", "www.rongchang.gov.cn",
           "/bm/qjjxxw/zwgk_70831/zfxxgknb_70842/", "重庆市荣昌区人民政府", "区经济信息委"),
    Agency("重庆市渝中区人民政府办公室", "重庆市渝中区", "general_office", "www.cqyz.gov.cn",
           "/zwgk_229/zfxxgknan_ew/2020_504392/qzfbgs/", "重庆市渝中区人民政府", "渝中区政府办"),
    Agency("重庆市渝中区朝天门街道办事处", "重庆市渝中区", "township", "www.cqyz.gov.cn",
           "/jz_229/ctmjdbsc/zwgk_97157/zfxxgknb_97166/", "重庆市渝中区人民政府", "朝天门街道", "township"),
    Agency("重庆市渝中区大数据应用发展管理局", "重庆市渝中区", "department", "www.cqyz.gov.cn",
           "/bm_229/qdsjfzj/zwgk_97157/zfxxgknb_97166/", "重庆市渝中区人民政府", "区大数据发展局"),
    Agency("重庆市沙坪坝区人民政府办公室", "重庆市沙坪坝区", "general_office", "cqspb.gov.cn",
           "/zwgk_235/xxgk_19662/gknb/zfxxgknb_110/qzfjg/", "重庆市沙坪坝区人民政府", "沙坪坝区政府办"),
    Agency("重庆市沙坪坝区卫生健康委员会", "重庆市沙坪坝区", "department", "cqspb.gov.cn",
           "/bm/qwsjkw_64098/zwgk_64102/zfxxgknb_64120/", "重庆市沙坪坝区人民政府", "区卫生健康委"),
    Agency("重庆市沙坪坝区小龙坎街道办事处", "重庆市沙坪坝区", "township", "www.cqspb.gov.cn",
           "/zj/xlkjd_64765/zwgk_64769/zfxxgknb_64786/", "重庆市沙坪坝区人民政府", "小龙坎街道", "township"),
    Agency("重庆市綦江区发展和改革委员会", "重庆市綦江区", "department", "cqqj.gov.cn",
           "/bm/qfzggw/zwgk_58285/zfxxgknb_58294/", "重庆市綦江区人民政府", "区发展改革委"),
    Agency("重庆市北碚区人民政府", "重庆市北碚区", "government", "www.beibei.gov.cn",
           "/zwgk_239/zfxxgknb/bbq_gknb/", "重庆市北碚区人民政府", "北碚区政府"),
    Agency("重庆市九龙坡区人民政府", "重庆市九龙坡区", "government", "cqjlp.gov.cn",
           "/zwgk_251/zfxxgknb/qzf/", "重庆市九龙坡区人民政府", "九龙坡区政府"),
    Agency("重庆市渝北区发展和改革委员会", "重庆市渝北区", "department", "ybq.gov.cn",
           "/bm/qfzggw/zwgk_70831/zfxxgknb_70842/", "重庆市渝北区人民政府", "区发展改革委"),
    Agency("重庆市万州区人民政府办公室", "重庆市万州区", "general_office", "www.wz.gov.cn",
           "/zwgk_266/zfxxgknb/qzf_152878/", "重庆市万州区人民政府", "万州区政府办"),
    Agency("重庆市梁平区人民政府办公室", "重庆市梁平区", "general_office", "cqlp.gov.cn",
           "/zfb/zfxxgknb/", "重庆市梁平区人民政府", "梁平区政府办"),
    Agency("重庆市江津区卫生健康委员会", "重庆市江津区", "department", "www.jiangjin.gov.cn",
           "/bm/qwsjkw_69019/zwgk_81474/zfxxgknb_81484/", "重庆市江津区人民政府", "区卫生健康委"),
    Agency("重庆市发展和改革委员会", "重庆市", "department", "fzggw.cq.gov.cn",
           "/zfxxgk/zfxxgknb/", "重庆市发展和改革委员会", "市发展改革委", "municipal"),
    Agency("重庆市卫生健康委员会", "重庆市", "department", "wsjkw.cq.gov.cn",
           "/zwgk_242/zfxxgknb/", "重庆市卫生健康委员会", "市卫生健康委", "municipal"),
    Agency("重庆市人民政府外事办公室", "重庆市", "department", "zfwb.cq.gov.cn",
           "/zwgk_162/zfxxgknb/", "重庆市人民政府外事办公室", "市政府外办", "municipal"),
    Agency("北京市东城区人民政府", "北京市东城区", "government", "www.bjdch.gov.cn",
           "/zfxxgkzl/zfxxgknb/", "北京市东城区人民政府", "东城区政府"),
    Agency("淮安市人民政府办公室", "江苏省淮安市", "general_office", "www.huaian.gov.cn",
           "/zfxxgk/zfxxgknb/", "淮安市人民政府", "市政府办公室", "city"),
    Agency("宿迁市水利局", "江苏省宿迁市", "department", "slj.suqian.gov.cn",
           "/swj/gknb/", "宿迁市水利局", "市水利局", "city"),
    Agency("绵阳市发展和改革委员会", "四川省绵阳市", "department", "fgw.my.gov.cn",
           "/mysfgw/c100294/", "绵阳市发展和改革委员会", "市发展改革委", "city"),
    Agency("杭州市城市管理局", "浙江省杭州市", "department", "cgw.hangzhou.gov.cn",
           "/zfxxgk/zfxxgknb/", "杭州市城市管理局", "市城管局", "city"),
    Agency("广州市人民政府办公厅", "广东省广州市", "general_office", "www.gz.gov.cn",
           "/zfjgzy/gzsrmzfbgt/zfxxgknb/bm/", "广州市人民政府", "市政府办公厅", "city"),
    Agency("平潭综合实验区管理委员会", "福建省平潭综合实验区", "government", "www.pingtan.gov.cn",
           "/zwgk/zfxxgk/zfxxgknb/", "平潭综合实验区管理委员会", "实验区管委会", "city"),
)

# Chongqing's TRS platform numbers documents platform-wide; a few real (date, docid) points.
_DOCID_POINTS = [
    (date(2015, 1, 20), 1_200_000), (date(2019, 3, 17), 3_613_859), (date(2020, 2, 12), 5_185_059),
    (date(2021, 1, 25), 8_814_859), (date(2022, 1, 25), 10_340_353), (date(2023, 1, 30), 11_545_071),
    (date(2024, 1, 30), 12_882_382), (date(2025, 1, 27), 14_245_997), (date(2026, 1, 29), 15_364_021),
    (date(2027, 1, 29), 16_500_000),
]


def docid_for(day: date, rng: random.Random) -> int:
    pts = _DOCID_POINTS
    if day <= pts[0][0]:
        base = pts[0][1]
    else:
        base = pts[-1][1]
        for (d0, v0), (d1, v1) in zip(pts, pts[1:]):
            if d0 <= day <= d1:
                base = v0 + (v1 - v0) * (day - d0).days // max((d1 - d0).days, 1)
                break
    return base + rng.randint(0, 9_000)


def page_url(agency: Agency, day: date, docid: int) -> str:
    return f"https://{agency.host}{agency.column}{day:%Y%m}/t{day:%Y%m%d}_{docid}.html"
