"""The six sections are found under their headings' wording variants."""

import pytest

from normalize.model import Document, Paragraph
from normalize.sections import heading_key, split


@pytest.mark.parametrize(
    "heading, key",
    [
        ("一、总体情况", "overview"),
        ("一．总体情况", "overview"),
        ("一 、 总体情况", "overview"),
        ("二、主动公开政府信息情况", "proactive"),
        ("三、收到和处理政府信息公开申请情况", "requests"),
        ("四、政府信息公开行政复议、行政诉讼情况", "review_litigation"),
        ("五、存在的主要问题及改进情况", "problems"),
        ("五、存在的主要问题及下步改进情况", "problems"),
        ("五、政府信息公开工作存在的主要问题及改进情况", "problems"),
        ("六、其他需要报告的事项", "other_matters"),
        ("六、其他需要报告事项", "other_matters"),
    ],
)
def test_heading_variants(heading, key):
    assert heading_key(heading) == key


@pytest.mark.parametrize("text", ["一是坚持深化政策公开。", "五、", "（一）依法依规深化主动公开", "二、上年结转政府信息公开申请数量"])
def test_body_lines_are_not_headings(text):
    assert heading_key(text) is None


def test_split_keeps_each_sections_paragraphs():
    doc = Document([Paragraph(t) for t in [
        "某局2023年政府信息公开工作年度报告", "根据条例编制本报告。",
        "一、总体情况", "全年工作平稳。", "（一）主动公开情况。",
        "五、存在的主要问题及改进情况", "解读形式不够丰富。",
        "六、其他需要报告的事项", "本年度未收取信息处理费。",
    ]], "txt")
    parts = split(doc)
    assert parts["overview"] == "全年工作平稳。\n（一）主动公开情况。"
    assert parts["problems"] == "解读形式不够丰富。"
    assert parts["other_matters"] == "本年度未收取信息处理费。"
    assert parts["preamble"].endswith("根据条例编制本报告。")
