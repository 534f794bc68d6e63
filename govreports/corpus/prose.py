"""Paragraph templates for generated reports — wording written for this project.

Each section draws from several phrasings so that no two generated reports read alike.
Sentences that quote a table's number take it from the spec, so text and tables agree;
every such quote is recorded (`Quote`) for the text-consistency check's tests.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Quote:
    text: str  # the phrase as printed, e.g. 全年共收到政府信息公开申请653件
    value: float
    keys: tuple[tuple[str, str, str], ...]  # the table cells whose (sum) it quotes


@dataclass(slots=True)
class Section:
    key: str  # overview, proactive, requests, review_litigation, problems, other_matters, fees (pre2019)
    heading: str  # 一、总体情况
    paragraphs: list[str]
    table: str | None = None  # t2, t3, t4 or appendix: printed after the paragraphs


def self_ref(agency) -> str:
    name = agency.name
    if agency.kind == "government":
        return "我市" if agency.level == "city" and name.endswith("市人民政府") else "我区"
    if agency.kind == "general_office":
        return "本机关"
    if agency.kind == "township":
        return "我街道" if "街道" in name else "我镇"
    if name.endswith("委员会"):
        return "我委"
    if name.endswith("局"):
        return "我局"
    return "本机关"


def scope(agency) -> str:
    if agency.level == "municipal":
        return "全市"
    if agency.level == "city":
        return "全市"
    if agency.kind == "township":
        return "辖区"
    return "全区"


def _pick(rng: random.Random, options):
    return options[rng.randrange(len(options))]


# ------------------------------------------------------------------ front matter
def title(agency, year: int, rng: random.Random) -> str:
    return _pick(rng, [f"{agency.name}{year}年政府信息公开工作年度报告",
                       f"{agency.name}{year}年政府信息公开工作年度报告",
                       f"{agency.name}{year}年度政府信息公开工作年度报告"])


def intro(agency, year: int, rng: random.Random, version: str) -> list[str]:
    fmt = "《中华人民共和国政府信息公开工作年度报告格式》" if version != "pre2019" else "上级主管部门的统一要求"
    law = "《中华人民共和国政府信息公开条例》（以下简称《条例》）"
    phone = f"023-{rng.randint(4000_0000, 8999_9999)}" if agency.region.startswith("重庆") else f"0{rng.randint(10, 999)}-{rng.randint(4000_0000, 8999_9999)}"
    a = _pick(rng, [
        f"本年度报告依据{law}和{fmt}编制。",
        f"根据{law}第四十九条和{fmt}的规定，{agency.name}编制本年度报告。",
        f"按照{law}的规定和{fmt}的要求，现将{agency.name}{year}年政府信息公开工作情况报告如下。",
    ])
    b = _pick(rng, [
        f"报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。",
        f"本报告数据统计时段为{year}年1月1日至{year}年12月31日。",
        f"除特别说明外，报告所列数据的统计期间为{year}年1月1日至12月31日。",
    ])
    c = _pick(rng, [
        f"本报告电子版可在“{agency.site}”门户网站（https://{agency.host}）查阅或下载。",
        f"报告全文已在{agency.site}门户网站政府信息公开专栏发布。",
        "",
    ])
    d = _pick(rng, [
        f"如对本报告有疑问，请与{agency.name}联系（电话：{phone}）。",
        f"如对报告内容有疑问，可来电咨询（联系电话：{phone}）。",
        "",
    ])
    return [a + b + c + d]


# ------------------------------------------------------------------ 2019 / 2021 sections
def overview(agency, year: int, rng: random.Random, n: dict, quotes: list[Quote]) -> list[str]:
    me = self_ref(agency)
    lead = _pick(rng, [
        f"{year}年，{agency.name}以习近平新时代中国特色社会主义思想为指导，认真落实《条例》和上级关于政务公开的工作部署，"
        f"围绕中心工作推进决策、执行、管理、服务、结果公开，政府信息公开工作总体平稳有序。",
        f"{year}年，{me}把政务公开作为建设法治政府、服务型政府的重要抓手，健全工作机制，规范公开流程，"
        f"持续提升政府信息公开的质量和实效。",
        f"一年来，{me}坚持“以公开为常态、不公开为例外”，在主动公开、依申请公开、政府信息管理和平台建设等方面稳步推进各项工作。",
        f"{year}年，在上级政务公开主管部门的指导下，{me}对照年度政务公开工作要点逐项落实，公开工作的规范化、标准化水平进一步提高。",
    ])
    paras = [lead]
    posts = rng.randint(80, 3000)
    meetings = rng.randint(2, 30)
    p1 = _pick(rng, [
        f"（一）主动公开。依托政府网站、政务新媒体等渠道，{me}全年主动公开各类政府信息{posts}条，"
        f"重点做好财政预决算、重大建设项目、公共资源配置和民生事项等领域信息公开。",
        f"（一）主动公开方面。全年在门户网站发布政务信息{posts}条，及时更新机构职能、领导分工、规划计划、政策文件等栏目，"
        f"做到应公开尽公开。",
        f"（一）主动公开情况。围绕优化营商环境和群众关切，{me}通过门户网站、微信公众号等平台发布各类信息{posts}条，"
        f"召开新闻发布会、政策吹风会{meetings}场，对重要政策文件同步开展解读。",
    ])
    paras.append(p1)
    new, co, tp, cf = n["new"], n["co"], n["tp"], n["cf"]
    keys = {k: ("t3", k, "total") for k in ("new_received", "carried_over", "total_processed", "carried_forward")}
    if new == 0 and co == 0:
        p2 = _pick(rng, [
            "（二）依申请公开。本年度未收到政府信息公开申请，无上年结转申请。",
            f"（二）依申请公开情况。{me}畅通书面、网络等申请渠道，本年度未收到政府信息公开申请。",
        ])
    else:
        style = rng.randrange(3)
        if style == 0:
            q1 = f"全年共收到政府信息公开申请{new}件"
            q2 = f"办结申请{tp}件"
            p2 = (f"（二）依申请公开。{me}严格执行申请登记、审核、答复等程序，{q1}，上年结转{co}件，"
                  f"{q2}，结转下年度继续办理{cf}件，均在法定期限内答复。")
            quotes += [Quote(q1, new, (keys["new_received"],)), Quote(q2, tp, (keys["total_processed"],))]
        elif style == 1:
            q1 = f"本年度新收政府信息公开申请{new}件"
            p2 = (f"（二）依申请公开情况。坚持依法规范答复，加强与申请人的沟通。{q1}，"
                  f"加上上年结转的{co}件，全年已答复{tp}件，另有{cf}件转入下一年度办理。")
            quotes += [Quote(q1, new, (keys["new_received"],))]
        else:
            q1 = f"受理政府信息公开申请{new + co}件"
            p2 = (f"（二）依申请公开办理。进一步规范依申请公开办理流程，全年{q1}（含上年结转{co}件），"
                  f"按时办结{tp}件，办结率{100 * tp / max(new + co, 1):.1f}%。")
            quotes += [Quote(q1, new + co, (keys["new_received"], keys["carried_over"]))]
    paras.append(p2)
    p3 = _pick(rng, [
        f"（三）政府信息管理。落实公开属性源头认定机制，对拟制发文件同步明确公开属性；严格执行信息发布“三审”制度，"
        f"全年未发生泄密和不当公开事件。",
        f"（三）政府信息管理情况。定期清理现行有效的规范性文件，在政策文件库集中公开并标注有效性；"
        f"对已公开信息开展常态化自查，及时更正错误表述和失效链接。",
        f"（三）政府信息管理。完善政府信息公开保密审查制度，坚持“先审查、后公开”和“一事一审”，"
        f"确保公开内容准确、规范、安全。",
    ])
    p4 = _pick(rng, [
        f"（四）政府信息公开平台建设。优化门户网站政府信息公开专栏设置，调整完善栏目{rng.randint(3, 20)}个，"
        f"推动政务新媒体与门户网站信息同源发布。",
        f"（四）平台建设情况。以门户网站为第一平台，规范政务新媒体运维管理，落实日常巡查和季度检查，"
        f"提升网站检索、互动和无障碍服务能力。",
        f"（四）政府信息公开平台建设。按照集约化建设要求完善网站功能，{me}政务公开专栏全年更新信息{rng.randint(50, 900)}条，"
        f"设置政策解读、重点领域信息公开等专题。",
    ])
    trainings = rng.randint(1, 12)
    p5 = _pick(rng, [
        f"（五）监督保障。将政务公开纳入年度目标考核，开展业务培训{trainings}次，主动接受社会监督，"
        f"全年未发生因政府信息公开工作被责任追究的情况。",
        f"（五）监督保障情况。明确分管领导和专职工作人员，组织政务公开专题培训{trainings}次，"
        f"对照第三方评估发现的问题逐项整改。",
        f"（五）政府信息公开监督保障。健全政务公开工作协调机制，组织学习《条例》及配套制度{trainings}次，"
        f"畅通社会评议渠道，及时回应意见建议。",
    ])
    paras += [p3, p4, p5]
    return paras


def proactive(agency, year: int, rng: random.Random, printed_numbers: dict) -> list[str]:
    options = ["", "本年度主动公开政府信息情况统计如下：", "主动公开政府信息情况见下表。"]
    nd = printed_numbers.get("normative")
    if nd is not None:
        options.append(f"本年度制发行政规范性文件{nd}件，均按规定在门户网站及政策文件库公开。")
    text = _pick(rng, options)
    return [text] if text else []


def requests(agency, year: int, rng: random.Random) -> list[str]:
    text = _pick(rng, ["", "", "本年度收到和处理政府信息公开申请情况如下表：",
                       "（说明：本表统计本机关作为答复主体的申请情况。）"])
    return [text] if text else []


def review_litigation(agency, year: int, rng: random.Random, review: int, litigation: int,
                      quotes: list[Quote]) -> list[str]:
    if review == 0 and litigation == 0:
        text = _pick(rng, ["", f"{year}年度未发生因政府信息公开引起的行政复议和行政诉讼案件。",
                           "本年度无政府信息公开行政复议、行政诉讼案件。"])
        return [text] if text else []
    q = f"行政复议{review}件、行政诉讼{litigation}件"
    quotes.append(Quote(q, review + litigation,
                        (("t4", "review", "total"), ("t4", "litigation_direct", "total"),
                         ("t4", "litigation_after_review", "total"))))
    return [_pick(rng, [f"本年度因政府信息公开工作引发{q}，具体情况如下：",
                        f"{year}年，涉及本机关政府信息公开的{q}。"])]


def problems(agency, year: int, rng: random.Random) -> list[str]:
    me = self_ref(agency)
    nxt = year + 1
    issues = _pick(rng, [
        "一是政策解读的形式还不够丰富，图解、视频等群众喜闻乐见的解读产品偏少；二是依申请公开答复的规范性有待提升；"
        "三是基层工作人员业务能力仍需加强。",
        "部分栏目更新不够及时，信息发布的时效性有待提高；公开内容与群众需求的契合度还不够高；"
        "政务新媒体互动回应能力较弱。",
        "一是主动公开的深度和广度不够，重点领域信息公开还需细化；二是对复杂申请的研判和沟通能力不足；"
        "三是公开工作的考核评价机制有待完善。",
        "个别科室对政务公开重视程度不够，公开意识有待增强；政府信息公开工作人员调整较频繁，业务衔接不够顺畅。",
    ])
    fixes = _pick(rng, [
        f"{nxt}年，{me}将从以下方面加以改进：一是丰富解读方式，提高解读质量；二是规范答复文书，加强典型案例研究；"
        f"三是加强业务培训，提升工作人员的专业能力。",
        f"下一步，{me}将强化栏目日常维护，建立信息发布提醒机制；围绕群众关切拓展公开内容；加强政务新媒体互动管理，"
        f"提升回应关切的及时性。",
        f"针对上述问题，{nxt}年将重点抓好三项工作：细化重点领域公开目录，推动公开内容标准化；健全依申请公开会商机制，"
        f"降低行政争议风险；完善考核评估办法，以评促改。",
        f"{me}将进一步压实工作责任，把政务公开纳入各科室日常工作，加强人员培训和业务交接，确保工作连续稳定。",
    ])
    lead = _pick(rng, [f"{year}年，{me}政府信息公开工作取得了一定成效，但仍存在一些不足：",
                       "对照上级要求和群众期待，工作中还存在一些问题：",
                       "存在的主要问题："])
    return [lead + issues, fixes]


def other_matters(agency, year: int, rng: random.Random) -> list[str]:
    fee = _pick(rng, [
        "本年度未收取信息处理费。",
        "依据《政府信息公开信息处理费管理办法》，本年度本机关未收取任何信息处理费。",
        f"{year}年度共收取信息处理费0元。",
    ])
    extra = _pick(rng, [
        "",
        f"本年度共办理人大代表建议{rng.randint(0, 40)}件、政协委员提案{rng.randint(0, 40)}件，办理结果已按规定公开。",
        f"如需了解更多政府信息，请登录{agency.site}门户网站（https://{agency.host}）查询。",
        "本年度无其他需要报告的事项。",
    ])
    return [p for p in (fee, extra) if p]


# ------------------------------------------------------------------ pre2019 sections
def pre2019_sections(agency, year: int, rng: random.Random, facts: dict) -> list[Section]:
    """Free text of the old Regulations' reports; numbers quoted come from the appendix table."""
    me = self_ref(agency)
    posts = facts.get("posts")
    received = facts.get("received")
    review = facts.get("review")
    s1 = [_pick(rng, [
        f"{year}年，{me}认真贯彻《中华人民共和国政府信息公开条例》，加强组织领导，完善工作制度，政府信息公开工作有序开展。",
        f"{year}年，{agency.name}按照上级部署，将政府信息公开作为推进依法行政的重要内容，各项工作取得新进展。",
    ]), _pick(rng, [
        "调整充实了政府信息公开工作领导小组，明确一名分管领导负责，办公室具体承办日常工作。",
        "进一步修订完善政府信息公开指南和目录，规范保密审查、依申请公开等工作流程。",
    ])]
    s2 = []
    if posts is not None:
        s2.append(_pick(rng, [f"全年主动公开政府信息{posts}条，主要包括机构职能、政策法规、规划计划、财政资金、人事信息等内容。",
                              f"{year}年共主动公开各类政府信息{posts}条，其中通过门户网站公开的占绝大多数。"]))
    s2.append(_pick(rng, ["公开渠道以门户网站为主，同时利用公开栏、新闻媒体等多种方式扩大信息覆盖面。",
                          "对涉及群众切身利益的重要事项，做到了及时、准确、全面公开。"]))
    s3 = []
    if received is not None:
        if received == 0:
            s3.append(f"{year}年，{me}未收到政府信息公开申请。")
        else:
            s3.append(_pick(rng, [f"全年共受理政府信息公开申请{received}件，均在规定期限内予以答复。",
                                  f"本年度收到政府信息公开申请{received}件，已全部办结。"]))
    s4 = [_pick(rng, ["本年度未收取政府信息公开相关费用，无减免情况。",
                      "依申请提供政府信息，未收取检索、复制、邮寄等费用。"])]
    s5 = []
    if review is not None:
        s5.append(f"本年度发生因政府信息公开申请提起行政复议{review}件。" if review else
                  "本年度未发生因政府信息公开申请提起的行政复议、行政诉讼。")
    s6 = [_pick(rng, ["工作中还存在公开内容不够全面、更新不够及时等问题。下一步将加强人员培训，完善考核机制，推动政府信息公开工作再上新台阶。",
                      "主要问题是信息公开的主动性有待增强，公开形式较为单一。今后将进一步拓宽公开渠道，提高公开时效。"])]
    s7 = [_pick(rng, ["无其他需要报告的事项。", "附件：政府信息公开情况统计表"])]
    return [
        Section("overview", "一、概述", s1),
        Section("proactive", "二、主动公开政府信息情况", s2),
        Section("requests", "三、依申请公开政府信息情况", s3 or ["本年度依申请公开工作有序开展。"]),
        Section("fees", "四、政府信息公开的收费及减免情况", s4),
        Section("review_litigation", "五、因政府信息公开申请行政复议、提起行政诉讼的情况", s5 or ["无。"]),
        Section("problems", "六、政府信息公开工作存在的主要问题及改进情况", s6),
        Section("other_matters", "七、其他需要报告的事项", s7, table="appendix"),
    ]


GUIDE_TEXT = [
    ("", "为了更好地提供政府信息公开服务，依据《中华人民共和国政府信息公开条例》，编制本指南。"
         "公民、法人和其他组织需要获得本机关政府信息服务的，可以参考本指南。"),
    ("一、主动公开", "（一）公开范围。本机关主动公开的政府信息包括机构职能、规范性文件、规划计划、统计信息、财政预决算、"
                 "行政许可和行政处罚等事项。具体内容见本机关政府信息公开目录。"),
    ("", "（二）公开方式。主要通过门户网站政府信息公开专栏公开，同时通过政务新媒体、新闻发布会、公开查阅点等方式公开。"),
    ("", "（三）公开时限。属于主动公开范围的政府信息，自该信息形成或者变更之日起20个工作日内予以公开。"),
    ("二、依申请公开", "（一）受理机构。本机关政府信息公开工作机构负责受理向本机关提出的政府信息公开申请。"
                   "办公时间：工作日上午9:00—12:00，下午14:00—18:00（法定节假日除外）。"),
    ("", "（二）申请方式。申请人可以通过网络平台、信函或者当面提交等方式提出申请，"
         "并在申请中写明姓名或名称、身份证明、联系方式以及所需政府信息的名称、文号或者便于查询的其他特征性描述。"),
    ("", "（三）办理时限。能够当场答复的，当场予以答复；不能当场答复的，自收到申请之日起20个工作日内予以答复；"
         "需要延长答复期限的，经负责人同意并告知申请人，延长期限最长不超过20个工作日。"),
    ("", "（四）收费。依申请提供政府信息，不收取费用。申请人申请公开政府信息的数量、频次明显超过合理范围的，"
         "按照《政府信息公开信息处理费管理办法》收取信息处理费。"),
    ("三、监督和救济", "公民、法人或者其他组织认为本机关在政府信息公开工作中侵犯其合法权益的，"
                   "可以向上一级行政机关或者政府信息公开工作主管部门投诉、举报，也可以依法申请行政复议或者提起行政诉讼。"),
    ("", "本机关每年1月31日前在门户网站公布上一年度政府信息公开工作年度报告，欢迎社会各界监督。"),
]
