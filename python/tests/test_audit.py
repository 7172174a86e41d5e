"""recaudit from Python against the recaudit command line on the same inputs."""

import json
from html import escape
import subprocess
import sys
from pathlib import Path

import pandas
import polars
import pyarrow
import pyarrow.csv
import pytest

import recaudit
from conftest import CONFORMANCE, EXAMPLE, ROOT, run_cli

TABLES = ("recs", "users", "items", "truth", "history")
POLICY = ROOT / "datasets" / "policy.example.toml"


def cli_json(tmp_path, flags):
    out = tmp_path / "cli"
    run_cli(["audit", *flags, "--json-only", "--quiet", "--out", out])
    return (out / "audit.json").read_text()


def without_sources(text):
    """audit.json without what names the inputs (paths, provenance): what frames and files share."""
    d = json.loads(text)
    d["settings"].pop("paths")
    d.pop("provenance")
    return d


def test_json_equals_the_cli_byte_for_byte_on_the_example(tmp_path, example_paths):
    flags = []
    for t in TABLES:
        flags += [f"--{t}", example_paths[t]]
    flags += ["--policy", POLICY, "--seed", "7"]
    a = recaudit.audit(**example_paths, policy=str(POLICY), seed=7)
    assert a.to_json() == cli_json(tmp_path, flags)
    # The example's planted effects fail gates, by design (datasets/README.md).
    assert not a.passed
    assert a.gates() and a.gate_lines()


def test_json_equals_the_cli_byte_for_byte_on_the_conformance_case(tmp_path):
    paths = {
        "recs": CONFORMANCE / "recs_main.csv",
        "users": CONFORMANCE / "users.csv",
        "items": CONFORMANCE / "items.csv",
        "truth": CONFORMANCE / "truth.csv",
        "history": CONFORMANCE / "history.csv",
    }
    flags = []
    for t, p in paths.items():
        flags += [f"--{t}", p]
    flags += ["--k", "10", "--bootstrap", "200", "--min-slice-size", "1"]
    a = recaudit.audit(**paths, k=10, bootstrap=200, min_slice_size=1)
    assert a.to_json() == cli_json(tmp_path, flags)


def frames(kind):
    """The example's tables as `kind` frames, read from the CSV files by that library."""
    read = {
        "polars": polars.read_csv,
        "pandas": pandas.read_csv,
        "pyarrow": pyarrow.csv.read_csv,
    }[kind]
    return {t: read(EXAMPLE / f"{t}.csv") for t in TABLES}


@pytest.fixture(scope="module")
def file_audit():
    return recaudit.audit(**{t: str(EXAMPLE / f"{t}.csv") for t in TABLES}, seed=3)


@pytest.mark.parametrize("kind", ["polars", "pandas", "pyarrow"])
def test_frames_give_the_same_audit_as_the_files(kind, file_audit):
    a = recaudit.audit(**frames(kind), seed=3)
    assert without_sources(a.to_json()) == without_sources(file_audit.to_json())
    d = a.to_dict()
    recs = d["provenance"]["inputs"][0]
    assert recs["in_memory"] is True and recs["bytes"] == 0 and recs["sha256"] == ""
    assert recs["path"].startswith("<recs: ")


def test_a_lazy_slice_of_a_frame_and_extra_columns_are_fine(file_audit):
    f = frames("polars")
    # A column the audit does not read, and several chunks in the Arrow stream.
    recs = f["recs"].with_columns(unused=polars.lit(1.5))
    f["recs"] = polars.concat([recs.head(1000), recs.slice(1000)], rechunk=False)
    assert f["recs"].n_chunks() >= 2
    a = recaudit.audit(**f, seed=3)
    assert without_sources(a.to_json()) == without_sources(file_audit.to_json())


def test_a_frame_without_a_needed_column_raises_with_its_name():
    f = frames("polars")
    users = f["users"].rename({"user_id": "uid"})
    with pytest.raises(recaudit.InputError) as err:
        recaudit.audit(f["recs"], users)
    message = str(err.value)
    assert "user_id" in message and "<users: polars.DataFrame>" in message, message
    assert isinstance(err.value, ValueError)
    # The rename fixes it.
    recaudit.audit(f["recs"].rename({"user_id": "uid"}), users, user_col="uid")


def test_a_bad_value_names_its_row_and_column():
    f = frames("polars")
    recs = f["recs"].with_columns(rank=polars.when(polars.int_range(polars.len()) == 4)
                                  .then(0).otherwise(polars.col("rank")))
    with pytest.raises(recaudit.InputError, match=r"row 5") as err:
        recaudit.audit(recs, f["users"])
    assert "rank" in str(err.value)


def test_a_bad_setting_raises_the_cli_message(example_paths):
    with pytest.raises(recaudit.InputError, match="invalid value `0` for --k"):
        recaudit.audit(example_paths["recs"], example_paths["users"], k=0)


def test_metrics_is_a_tidy_table_of_the_json(file_audit):
    m = file_audit.metrics()
    assert isinstance(m, polars.DataFrame)
    assert m.columns == ["metric", "family", "better", "slice", "group", "value", "ci_low",
                         "ci_high", "n", "difference", "ratio", "p_adjusted", "significant",
                         "suppressed"]
    d = file_audit.to_dict()
    row = m.filter((polars.col("metric") == "ndcg") & (polars.col("slice") == "gender")
                   & (polars.col("group") == "F"))
    assert row.height == 1
    want = d["metrics"]["ndcg"]["slices"]["gender"]
    assert row["value"][0] == want["groups"]["F"]["value"]
    assert row["ratio"][0] == want["disparity"]["groups"]["F"]["ratio"]["value"]
    overall = m.filter((polars.col("metric") == "ndcg") & polars.col("slice").is_null())
    assert overall["n"][0] == d["metrics"]["ndcg"]["overall"]["n"]
    pm = file_audit.metrics("pandas")
    assert isinstance(pm, pandas.DataFrame) and len(pm) == m.height


def test_findings_and_the_notebook_view_show_the_verdict(file_audit):
    top = file_audit.findings(3)
    assert 1 <= len(top) <= 3
    assert all(f["sentence"] for f in top)
    assert top == file_audit.findings()[:3]
    html = file_audit._repr_html_()
    assert file_audit.verdict and escape(file_audit.verdict) in html
    assert escape(top[0]["sentence"]) in html


def test_write_gives_the_cli_report(tmp_path, example_paths):
    flags = []
    for t in TABLES:
        flags += [f"--{t}", example_paths[t]]
    cli_out = tmp_path / "cli"
    run_cli(["audit", *flags, "--policy", POLICY, "--quiet", "--out", cli_out])
    a = recaudit.audit(**example_paths, policy=str(POLICY))
    out = tmp_path / "py"
    written = a.write(out)
    assert {Path(p).name for p in written} == {"audit.json", "report.html", "gates.junit.xml"}
    for name in ("audit.json", "report.html", "gates.junit.xml"):
        assert (out / name).read_bytes() == (cli_out / name).read_bytes(), name
    cli_files = sorted(p.relative_to(cli_out) for p in cli_out.rglob("*"))
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == cli_files


def test_generate_writes_the_seeded_case(tmp_path):
    one = recaudit.generate(tmp_path / "a", users=50, items=100, seed=5)
    two = recaudit.generate(tmp_path / "b", users=50, items=100, seed=5)
    for t in TABLES:
        assert (Path(one) / f"{t}.csv").read_bytes() == (Path(two) / f"{t}.csv").read_bytes()
    with pytest.raises(recaudit.InputError):
        recaudit.generate(tmp_path / "a", users=50)  # not empty, no force


def test_the_console_command_is_the_cli(tmp_path, example_paths):
    done = subprocess.run([sys.executable, "-m", "recaudit._cli", "audit", "--recs",
                           example_paths["recs"], "--users", str(tmp_path / "none.csv"),
                           "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert done.returncode == 2
    assert "error:" in done.stderr and "none.csv" in done.stderr
    assert recaudit.main(["--version"]) == 0


def test_the_notebook_example_runs():
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "notebook.py")],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "verdict" in done.stdout.lower()


SETTINGS_FILE = """\
calibration_alpha = 0.02

[columns]
user = "customer"

[slices]
min_slice_size = 1
intersections = [["gender", "age_band"]]

[stats]
resamples = 200
confidence = 0.9
alpha = 0.1
permutations = 300
item_resampling = false
"""


def test_settings_keywords_are_the_settings_file(tmp_path):
    """Keywords named like the settings file's keys give the CLI's audit with that file."""
    users = tmp_path / "users.csv"
    users.write_text((CONFORMANCE / "users.csv").read_text().replace("user_id", "customer", 1))
    recs, truth = CONFORMANCE / "recs_main.csv", CONFORMANCE / "truth.csv"
    recs_frame = polars.read_csv(recs).rename({"user_id": "customer"})
    truth_frame = polars.read_csv(truth).rename({"user_id": "customer"})
    recs_frame.write_csv(tmp_path / "recs.csv")
    truth_frame.write_csv(tmp_path / "truth.csv")
    config = tmp_path / "audit.toml"
    config.write_text(SETTINGS_FILE)
    expected = cli_json(
        tmp_path,
        ["--recs", tmp_path / "recs.csv", "--users", users, "--truth", tmp_path / "truth.csv",
         "--config", config, "--slices", "gender,age_band"],
    )
    a = recaudit.audit(
        str(tmp_path / "recs.csv"), str(users), truth=str(tmp_path / "truth.csv"),
        slices=["gender", "age_band"], user="customer", min_slice_size=1,
        intersections=[["gender", "age_band"]], resamples=200, confidence=0.9, alpha=0.1,
        permutations=300, item_resampling=False, calibration_alpha=0.02,
    )
    assert a.to_json() == expected
    d = a.to_dict()["settings"]
    assert d["stats"]["resamples"] == 200 and d["stats"]["confidence"] == 0.9
    assert d["stats"]["item_resampling"] is False and d["columns"]["user"] == "customer"
    assert d["slices"]["intersections"] == [["gender", "age_band"]]
    # A section given whole, and frames with the renamed column, give the same audit.
    b = recaudit.audit(
        recs_frame, polars.read_csv(users), truth=truth_frame, slices=["gender", "age_band"],
        columns={"user": "customer"}, min_slice_size=1, intersections=[["gender", "age_band"]],
        stats={"resamples": 200, "confidence": 0.9, "alpha": 0.1, "permutations": 300,
               "item_resampling": False},
        calibration_alpha=0.02,
    )
    assert without_sources(b.to_json()) == without_sources(expected)


def test_a_mistyped_setting_names_the_nearest_key(example_paths):
    recs, users = example_paths["recs"], example_paths["users"]
    with pytest.raises(TypeError, match="did you mean `resamples`"):
        recaudit.audit(recs, users, resample=200)
    with pytest.raises(recaudit.InputError,
                       match=r"unknown key `resample` in \[stats\]; did you mean `resamples`"):
        recaudit.audit(recs, users, stats={"resample": 200})
    with pytest.raises(recaudit.InputError,
                       match=r"`confidence` in \[stats\] is 1.5; expected a number in \(0, 1\)"):
        recaudit.audit(recs, users, confidence=1.5)


def test_settings_keywords_and_a_settings_file_are_not_mixed(tmp_path, example_paths):
    config = tmp_path / "audit.toml"
    config.write_text("[stats]\nresamples = 100\n")
    with pytest.raises(recaudit.InputError, match="settings come from both"):
        recaudit.audit(example_paths["recs"], example_paths["users"], config=str(config),
                       resamples=200)
