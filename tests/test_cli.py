"""The `govreports` command and the parallel runner behind `normalize`.

Most tests use a fake normalizer (a module-level function, so worker processes can
import it) so that they test the CLI and the runner, not the parser; the tests marked
`needs_pipeline` run the real normalizer on a small report written here.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import govreports.runner as runner
from govreports.cli import main
from govreports.codebook import render
from normalize.record import Fact, Issue, Record

ROOT = Path(__file__).resolve().parent.parent
PIPELINE = ROOT / "normalize" / "pipeline.py"
needs_pipeline = pytest.mark.skipif(not PIPELINE.exists(), reason="normalize/pipeline.py is not written yet")
CONSOLE = Path(sys.executable).parent / "govreports"


# ---------------------------------------------------------------- a fake normalizer


def fake_normalize(path: Path) -> Record:
    """Reads `key=value` lines: year, status, errors (comma-separated codes), crash (kill|raise), bad."""
    cfg = dict(line.split("=", 1) for line in Path(path).read_text("utf-8").splitlines() if "=" in line)
    if cfg.get("crash") == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if cfg.get("crash") == "raise":
        raise RuntimeError("parser bug")
    if cfg.get("sleep"):
        time.sleep(float(cfg["sleep"]))
    report = {
        "report_id": "id-" + Path(path).stem,
        "year": int(cfg["year"]) if cfg.get("year") else None,
        "format_version": "2021",
        "title": "某区人民政府2023年政府信息公开工作年度报告",
        "status": cfg.get("status", "ok"),
        "issues": [Issue(code, "error", "不平衡") for code in cfg.get("errors", "").split(",") if code],
        "source_path": str(path),
        "publish_date": cfg.get("date"),
    }
    facts = [Fact("t3", "new_received", "total", 12.0, "12"), Fact("t3", "granted", "total", None, "", "blank")]
    return Record(report, facts)


def write_inputs(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = folder / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, "utf-8")
    return folder


@pytest.fixture
def inputs(tmp_path) -> Path:
    return write_inputs(
        tmp_path / "in",
        {
            "a.txt": "year=2023\n",
            "b/c.txt": "year=2022\nstatus=partial\nerrors=t3.balance,t3.outcomes\n",
            "b/d.txt": "year=2023\nerrors=t3.balance\n",
            "e.txt": "status=needs_ocr\n",
            ".hidden.txt": "year=1999\n",
            ".git/x.txt": "year=1999\n",
        },
    )


def reports_of(out: Path) -> list[dict]:
    return pq.read_table(out / "reports").to_pylist()


# ---------------------------------------------------------------- runner


def test_expand_paths(inputs, tmp_path):
    files = runner.expand_paths([inputs, inputs / "a.txt"])
    assert [f.relative_to(inputs).as_posix() for f in files] == ["a.txt", "b/c.txt", "b/d.txt", "e.txt"]
    hidden = inputs / ".hidden.txt"
    assert hidden in runner.expand_paths([hidden])  # a file named explicitly is taken
    with pytest.raises(FileNotFoundError):
        runner.expand_paths([tmp_path / "missing"])


@pytest.mark.parametrize("workers", [1, 2])
def test_normalize_paths_summary(inputs, tmp_path, workers):
    out = tmp_path / "ds"
    summary = runner.normalize_paths([inputs], out, workers, normalizer=fake_normalize, progress=False)
    assert summary.files == 4 and summary.reports == 4 and summary.facts == 8
    assert summary.reports_by_status == {"ok": 2, "partial": 1, "needs_ocr": 1, "failed": 0, "not_a_report": 0}
    assert summary.reports_with_errors == 2
    assert summary.issue_codes[0] == ("t3.balance", 2) and summary.error_codes[0] == ("t3.balance", 2)
    assert not summary.nothing_read
    text = summary.format()
    assert "ok 2" in text and "checks failed: 2 of 4 reports fail a table check (2 have an error of any kind" in text and "most common errors (reports): t3.balance 2, t3.outcomes 1" in text
    assert [r["report_id"] for r in reports_of(out)] == ["id-e", "id-c", "id-a", "id-d"]  # year=0, 2022, 2023 partitions


def test_parallel_and_serial_runs_write_the_same_rows(inputs, tmp_path):
    many = write_inputs(tmp_path / "many", {f"f{i:03d}.txt": f"year={2019 + i % 5}\n" for i in range(40)})
    runner.normalize_paths([many], tmp_path / "one", 1, normalizer=fake_normalize, progress=False)
    runner.normalize_paths([many], tmp_path / "two", 2, normalizer=fake_normalize, progress=False)
    assert reports_of(tmp_path / "one") == reports_of(tmp_path / "two")
    assert pq.read_table(tmp_path / "one" / "facts").equals(pq.read_table(tmp_path / "two" / "facts"))
    ids = [r["report_id"] for r in reports_of(tmp_path / "two") if r["source_path"].endswith(("f000.txt", "f005.txt", "f010.txt"))]
    assert ids == ["id-f000", "id-f005", "id-f010"]  # sorted by path within a partition


def test_a_worker_crash_does_not_lose_the_file(tmp_path):
    files = {f"f{i}.txt": "year=2023\n" for i in range(6)}
    files["f3.txt"] = "crash=kill\n"
    folder = write_inputs(tmp_path / "in", files)
    summary = runner.normalize_paths([folder], tmp_path / "ds", 2, normalizer=fake_normalize, progress=False)
    rows = {Path(r["source_path"]).name: r for r in reports_of(tmp_path / "ds")}
    assert sorted(rows) == sorted(files)
    crashed = rows["f3.txt"]
    assert crashed["status"] == "failed"
    assert crashed["issues"][0]["code"] == "internal.worker_crash"
    assert all(r["status"] == "ok" for name, r in rows.items() if name != "f3.txt")
    assert summary.reports_by_status["failed"] == 1 and summary.failed_files == [str(folder / "f3.txt")]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_normalizer_exception_becomes_a_failed_row(tmp_path, workers):
    folder = write_inputs(tmp_path / "in", {"good.txt": "year=2023\n", "bad.txt": "crash=raise\n"})
    runner.normalize_paths([folder], tmp_path / "ds", workers, normalizer=fake_normalize, progress=False)
    rows = {Path(r["source_path"]).name: r for r in reports_of(tmp_path / "ds")}
    assert rows["good.txt"]["status"] == "ok"
    bad = rows["bad.txt"]
    assert bad["status"] == "failed" and bad["source_format"] == "txt" and bad["doc_sha256"]
    assert bad["issues"][0]["code"] == "internal.error" and "RuntimeError: parser bug" in bad["issues"][0]["message"]
    assert bad["checks_failed"] == 0


def test_a_record_that_does_not_fit_the_schema_becomes_a_failed_row(tmp_path):
    folder = write_inputs(tmp_path / "in", {"x.txt": "year=2023\ndate=yesterday\n"})
    runner.normalize_paths([folder], tmp_path / "ds", 1, normalizer=fake_normalize, progress=False)
    (row,) = reports_of(tmp_path / "ds")
    assert row["status"] == "failed" and row["issues"][0]["code"] == "internal.schema"
    assert "publish_date" in row["issues"][0]["message"]


def test_failed_record_ids_are_stable(tmp_path):
    f = tmp_path / "x.pdf"
    f.write_bytes(b"%PDF-1.4 broken")
    a, b = runner.failed_record(f, "r1"), runner.failed_record(f, "r2")
    assert a.report["report_id"] == b.report["report_id"]
    assert a.report["source_format"] == "pdf"


# ---------------------------------------------------------------- the CLI, in process


@pytest.fixture
def cli():
    return CliRunner()


@pytest.mark.parametrize("args", [[], ["parse"], ["normalize"], ["codebook"], ["demo"], ["summary"], ["replica"], ["replica", "serve"], ["replica", "build"], ["build"], ["export"], ["report"]])
def test_help_everywhere(cli, args):
    result = cli.invoke(main, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_parse_prints_the_record_as_json(cli, tmp_path, monkeypatch):
    monkeypatch.setattr("normalize.record.normalize_file", fake_normalize)
    f = write_inputs(tmp_path, {"r.txt": "year=2023\n"}) / "r.txt"
    result = cli.invoke(main, ["parse", str(f)])
    assert result.exit_code == 0, result.output
    assert "某区人民政府" in result.stdout  # ensure_ascii=False
    data = json.loads(result.stdout)
    assert data["report"]["year"] == 2023 and data["report"]["status"] == "ok"
    assert data["report"]["issues"] == []
    assert data["facts"][1] == {"table": "t3", "row_key": "granted", "col_key": "total", "value": None, "value_raw": "", "value_flag": "blank", "unit": None}
    assert set(data["facts"][0]) == {"table", "row_key", "col_key", "value", "value_raw", "value_flag", "unit"}


def test_parse_exit_status(cli, tmp_path, monkeypatch):
    monkeypatch.setattr("normalize.record.normalize_file", fake_normalize)
    files = write_inputs(tmp_path, {"partial.txt": "status=partial\nerrors=t3.balance\n", "failed.txt": "status=failed\nerrors=extract.pdf\n", "crash.txt": "crash=raise\n"})
    assert cli.invoke(main, ["parse", str(files / "partial.txt")]).exit_code == 0
    failed = cli.invoke(main, ["parse", str(files / "failed.txt")])
    assert failed.exit_code == 1 and json.loads(failed.stdout)["report"]["status"] == "failed"
    assert "could not be parsed" in failed.stderr and "extract.pdf" in failed.stderr
    crash = cli.invoke(main, ["parse", str(files / "crash.txt")])
    assert crash.exit_code == 1
    assert json.loads(crash.stdout)["report"]["issues"][0]["code"] == "internal.error"
    assert cli.invoke(main, ["parse", str(tmp_path / "missing.txt")]).exit_code == 2


def test_normalize_command(cli, inputs, tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "normalize_file_all", fake_normalize)
    out = tmp_path / "data" / "dataset"
    result = cli.invoke(main, ["normalize", str(inputs), "--out", str(out), "--workers", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "4 files → 4 reports" in result.stderr and "reports by status: ok 2, partial 1, needs_ocr 1" in result.stderr
    assert "checks failed: 2 of 4 reports fail a table check" in result.stderr
    assert len(reports_of(out)) == 4 and out.is_symlink()
    # -v logs to stderr
    verbose = cli.invoke(main, ["-v", "normalize", str(inputs), "--out", str(out), "--workers", "1"])
    assert verbose.exit_code == 0 and "INFO" in verbose.stderr
    assert "file/s" not in verbose.stderr  # no progress bar when stderr is not a terminal


def test_normalize_exit_status_when_nothing_could_be_read(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "normalize_file_all", fake_normalize)
    empty = tmp_path / "empty"
    empty.mkdir()
    result = cli.invoke(main, ["normalize", str(empty), "--out", str(tmp_path / "ds")])
    assert result.exit_code == 1 and "no files found" in result.stderr
    assert not os.path.lexists(tmp_path / "ds")
    bad = write_inputs(tmp_path / "bad", {"a.txt": "crash=raise\n", "b.txt": "status=failed\n"})
    result = cli.invoke(main, ["normalize", str(bad), "--out", str(tmp_path / "ds"), "-j", "1"])
    assert result.exit_code == 1 and "no file could be read" in result.stderr
    assert [r["status"] for r in reports_of(tmp_path / "ds")] == ["failed", "failed"]  # still recorded


def test_normalize_internal_error_leaves_the_dataset(cli, inputs, tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "normalize_file_all", fake_normalize)
    out = tmp_path / "ds"
    assert cli.invoke(main, ["normalize", str(inputs), "--out", str(out), "-j", "1"]).exit_code == 0
    before = os.readlink(out)

    def broken(self, record):
        raise OSError("disk full")

    monkeypatch.setattr("normalize.dataset.DatasetWriter.add", broken)
    result = cli.invoke(main, ["normalize", str(inputs), "--out", str(out), "-j", "1"])
    assert result.exit_code == 3 and "disk full" in result.stderr and "unchanged" in result.stderr
    assert os.readlink(out) == before and len(reports_of(out)) == 4
    assert not list(tmp_path.glob(".ds-*.partial"))


_TERMINATED = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    import govreports.runner as runner
    from tests.test_cli import fake_normalize
    from govreports.cli import main
    runner.normalize_file_all = fake_normalize
    main(["normalize", {folder!r}, "--out", {out!r}, "-j", "1", "-q"])
    """
)


def test_sigterm_drops_the_build(cli, inputs, tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "normalize_file_all", fake_normalize)
    out = tmp_path / "ds"
    assert cli.invoke(main, ["normalize", str(inputs), "--out", str(out), "-j", "1"]).exit_code == 0
    before = os.readlink(out)
    slow = write_inputs(tmp_path / "slow", {f"f{i}.txt": "year=2023\nsleep=0.2\n" for i in range(50)})
    script = tmp_path / "run.py"
    script.write_text(_TERMINATED.format(root=str(ROOT), folder=str(slow), out=str(out)))
    proc = subprocess.Popen([sys.executable, str(script)], stderr=subprocess.PIPE, cwd=tmp_path)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".ds-*.partial")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err.decode()
    assert os.readlink(out) == before and len(reports_of(out)) == 4
    assert not list(tmp_path.glob(".ds-*.partial"))  # cleaned up on the way out


def test_normalize_refuses_a_foreign_output_folder(cli, inputs, tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "normalize_file_all", fake_normalize)
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = cli.invoke(main, ["normalize", str(inputs), "--out", str(out), "-j", "1"])
    assert result.exit_code == 1 and "not a dataset" in result.stderr
    assert (out / "notes.txt").read_text() == "keep me"


def test_codebook_command(cli, tmp_path):
    out = tmp_path / "docs" / "codebook.md"
    assert cli.invoke(main, ["codebook", "--out", str(out)]).exit_code == 0
    assert out.read_text("utf-8") == render()
    assert cli.invoke(main, ["codebook", "--out", str(out), "--check"]).exit_code == 0
    out.write_text("stale", "utf-8")
    result = cli.invoke(main, ["codebook", "--out", str(out), "--check"])
    assert result.exit_code == 1 and "out of date" in result.stderr


def test_demo_crawls_the_bundled_replica_and_prints_a_summary(cli, tmp_path):
    data = tmp_path / "data"
    result = cli.invoke(main, ["demo", "--out", str(data), "--quiet"])
    assert result.exit_code == 0, result.output
    expected = json.loads((ROOT / "replica" / "expected.json").read_text("utf-8"))
    assert len(reports_of(data / "dataset")) == len(expected["reports"])
    assert f"{len(expected['reports'])} reports" in result.stdout and "status: ok" in result.stdout
    assert "www.dazu.gov.cn" in result.stdout and "www.hzxh.gov.cn" in result.stdout  # the per-site table
    spiders = {s["spider"] for s in expected["sites"]}
    assert spiders >= {"cq", "bj", "sh", "tj", "gz", "hz", "nj", "cd"}
    assert {r["portal"] for r in reports_of(data / "dataset")} == spiders
    assert all((data / f"crawl-{s}.log").exists() for s in spiders)
    assert (data / "crawl.sqlite").exists() and (data / "raw").is_dir()


def test_demo_without_a_replica(cli, tmp_path):
    result = cli.invoke(main, ["demo", "--out", str(tmp_path / "data"), "--replica", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_summary_command(cli, tmp_path):
    result = cli.invoke(main, ["summary", str(tmp_path)])
    assert result.exit_code == 0 and "0 reports" in result.stdout


# ---------------------------------------------------------------- the installed console script


@pytest.mark.skipif(not CONSOLE.exists(), reason="the govreports console script is not installed")
@pytest.mark.parametrize("args", [["--help"], ["parse", "--help"], ["normalize", "--help"], ["codebook", "--help"], ["demo", "--help"], ["summary", "--help"], ["replica", "serve", "--help"]])
def test_console_script_help(args):
    result = subprocess.run([str(CONSOLE), *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Usage: govreports" in result.stdout


@pytest.mark.skipif(not CONSOLE.exists(), reason="the govreports console script is not installed")
def test_console_script_codebook_check(tmp_path):
    result = subprocess.run([str(CONSOLE), "codebook", "--out", str(ROOT / "docs" / "codebook.md"), "--check"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------- with the real normalizer

_T3_ROWS = [
    ("一、本年新收政府信息公开申请数量", [10, 2, 0, 0, 0, 0, 12]),
    ("二、上年结转政府信息公开申请数量", [1, 0, 0, 0, 0, 0, 1]),
    ("（一）予以公开", [5, 1, 0, 0, 0, 0, 6]),
    ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", [1, 0, 0, 0, 0, 0, 1]),
    ("1.属于国家秘密", [0] * 7),
    ("2.其他法律行政法规禁止公开", [0] * 7),
    ("3.危及“三安全一稳定”", [0] * 7),
    ("4.保护第三方合法权益", [0] * 7),
    ("5.属于三类内部事务信息", [0] * 7),
    ("6.属于四类过程性信息", [0] * 7),
    ("7.属于行政执法案卷", [0] * 7),
    ("8.属于行政查询事项", [0] * 7),
    ("1.本机关不掌握相关政府信息", [3, 1, 0, 0, 0, 0, 4]),
    ("2.没有现成信息需要另行制作", [0] * 7),
    ("3.补正后申请内容仍不明确", [0] * 7),
    ("1.信访举报投诉类申请", [0] * 7),
    ("2.重复申请", [0] * 7),
    ("3.要求提供公开出版物", [0] * 7),
    ("4.无正当理由大量反复申请", [0] * 7),
    ("5.要求行政机关确认或重新出具已获取信息", [0] * 7),
    ("（六）其他处理", [0] * 7),
    ("（七）总计", [9, 2, 0, 0, 0, 0, 11]),
    ("四、结转下年度继续办理", [2, 0, 0, 0, 0, 0, 2]),
]


def report_html(agency: str = "重庆市某某区人民政府", year: int = 2023) -> str:
    def row(cells):
        return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"

    t3 = [row(["", "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"])]
    t3 += [row([label, *values]) for label, values in _T3_ROWS]
    t4 = [
        row(["行政复议"] * 5 + ["未经复议直接起诉"] * 5 + ["复议后起诉"] * 5),
        row(["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 3),
        row([1, 0, 0, 0, 1] + [0] * 10),
    ]
    title = f"{agency}{year}年政府信息公开工作年度报告"
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head><body>
<h1>{title}</h1>
<p>一、总体情况</p><p>{year}年，{agency}深化政务公开，全年共收到政府信息公开申请12件。</p>
<p>三、收到和处理政府信息公开申请情况</p><table border="1">{''.join(t3)}</table>
<p>四、政府信息公开行政复议、行政诉讼情况</p><table border="1">{''.join(t4)}</table>
<p>五、存在的主要问题及改进情况</p><p>政务公开工作仍存在一些不足。</p>
<p>六、其他需要报告的事项</p><p>本年度未收取信息处理费。</p>
</body></html>"""


@pytest.fixture
def report_files(tmp_path) -> Path:
    folder = tmp_path / "reports"
    (folder / "district").mkdir(parents=True)
    (folder / "a.html").write_text(report_html(), "utf-8")
    (folder / "district" / "b.html").write_text(report_html("重庆市某某区交通局", 2022), "utf-8")
    (folder / "empty.pdf").write_bytes(b"")
    return folder


@needs_pipeline
def test_parse_with_the_real_normalizer(cli, report_files):
    result = cli.invoke(main, ["parse", str(report_files / "a.html")])
    data = json.loads(result.stdout)
    assert result.exit_code == 0, result.stderr
    assert data["report"]["status"] != "failed" and data["report"]["year"] == 2023
    assert any(f["table"] == "t3" and f["row_key"] == "new_received" and f["col_key"] == "total" and f["value"] == 12 for f in data["facts"])
    empty = cli.invoke(main, ["parse", str(report_files / "empty.pdf")])
    assert empty.exit_code == 1 and json.loads(empty.stdout)["report"]["status"] == "failed"


@needs_pipeline
def test_normalize_with_the_real_normalizer(cli, report_files, tmp_path):
    out = tmp_path / "ds"
    result = cli.invoke(main, ["normalize", str(report_files), "--out", str(out), "-j", "2", "-q"])
    assert result.exit_code == 0, result.stderr
    rows = {Path(r["source_path"]).name: r for r in reports_of(out)}
    assert sorted(rows) == ["a.html", "b.html", "empty.pdf"]
    assert rows["empty.pdf"]["status"] == "failed" and rows["a.html"]["status"] != "failed"
    pd = pytest.importorskip("pandas")
    facts = pd.read_parquet(f"{out}/facts")
    assert set(facts["year"].astype(int)) == {2022, 2023}


@needs_pipeline
@pytest.mark.skipif(not CONSOLE.exists(), reason="the govreports console script is not installed")
def test_console_script_with_the_real_normalizer(report_files, tmp_path):
    """The installed command, run from another directory, as a user would."""
    parsed = subprocess.run([str(CONSOLE), "parse", str(report_files / "a.html")], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert parsed.returncode == 0, parsed.stdout[-2000:] + parsed.stderr
    assert json.loads(parsed.stdout)["report"]["year"] == 2023
    out = tmp_path / "ds"
    built = subprocess.run([str(CONSOLE), "normalize", str(report_files), "--out", str(out), "--workers", "2"], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert "3 files → 3 reports" in built.stderr
    assert built.stdout == ""
