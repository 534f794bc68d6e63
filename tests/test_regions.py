"""Region fields are filled only when the region named is unambiguous."""

from normalize.regions import resolve


def test_municipality():
    p = resolve("重庆市人民政府办公厅")
    assert (p.admin_code, p.province, p.city, p.county) == ("500000", "重庆市", "重庆市", None)


def test_district_of_a_municipality():
    p = resolve("重庆市大足区人民政府")
    assert (p.admin_code, p.province, p.city, p.county) == ("500111", "重庆市", "重庆市", "大足区")


def test_district_of_a_prefecture_city():
    p = resolve("淮安市洪泽区人民政府")
    assert (p.admin_code, p.province, p.city, p.county) == ("320813", "江苏省", "淮安市", "洪泽区")


def test_unknown_names_are_not_guessed():
    assert resolve("某某县人民政府") is None
    assert resolve(None) is None
