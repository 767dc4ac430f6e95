"""madlab.run and madlab.load: the CLI's records from a dict, a TOML string or a file, the swept
parameters as DataFrame columns, errors as exceptions with the CLI's messages, and resume."""

import os

import pandas as pd
import pytest

import madlab

STUDY = {
    "study": {"name": "py-sweep", "seeds": 2, "generations": 4},
    "source": {"kind": "gaussian", "dim": 2},
    "model": {"family": "gaussian"},
    "schedule": {"preset": "fresh-data", "n": 50},
    "metrics": {"list": ["frechet", "gaussian_drift"], "n_eval": 50},
    "sweep": {"schedule.n_real_fresh": [0, 25], "model.bias": [1.0, 0.5]},
}

STUDY_TOML = """
[study]
name = "py-sweep"
seeds = 2
generations = 4

[source]
kind = "gaussian"
dim = 2

[model]
family = "gaussian"

[schedule]
preset = "fresh-data"
n = 50

[metrics]
list = ["frechet", "gaussian_drift"]
n_eval = 50

[sweep]
"schedule.n_real_fresh" = [0, 25]
"model.bias" = [1.0, 0.5]
"""


def read(path):
    with open(path, "rb") as f:
        return f.read()


def test_a_study_from_a_dict_gives_the_cli_records(run_cli, tmp_path):
    (tmp_path / "study.toml").write_text(STUDY_TOML)
    run_cli("run", tmp_path / "study.toml", "-q", "--out", tmp_path / "cli")
    from_dict = madlab.run(STUDY, out=tmp_path / "dict")
    from_text = madlab.run(STUDY_TOML, out=tmp_path / "text", no_db=True, report=False)
    from_file = madlab.run(str(tmp_path / "study.toml"), out=tmp_path / "file")
    expected = read(tmp_path / "cli" / "records.csv")
    for result in (from_dict, from_text, from_file):
        assert read(os.path.join(result.out_dir, "records.csv")) == expected
    assert from_dict.db_path == str(tmp_path / "dict" / "results.sqlite")
    assert from_dict.report_path and os.path.exists(from_dict.report_path)
    assert from_text.db_path is None and from_text.report_path is None


def test_records_have_the_swept_parameters_as_columns(tmp_path):
    result = madlab.run(STUDY, out=tmp_path / "run", report=False)
    df = result.records
    assert list(df.columns[:7]) == ["study", "setting", "label", "seed", "generation", "metric",
                                    "value"]
    assert "schedule.n_real_fresh" in df.columns and "model.bias" in df.columns
    assert sorted(df["schedule.n_real_fresh"].unique()) == [0, 25]
    assert sorted(df["model.bias"].unique()) == [0.5, 1.0]
    # 4 settings x 2 seeds x 5 generations, every row with its parameters.
    assert df.groupby(["setting", "seed", "generation"]).ngroups == 40
    assert not df[["schedule.n_real_fresh", "model.bias"]].isna().any().any()
    # A plot-ready pivot: mean Frechet distance at the last generation per parameter pair.
    last = df[(df.metric == "frechet") & (df.generation == 4)]
    table = last.pivot_table(index="schedule.n_real_fresh", columns="model.bias", values="value")
    assert table.shape == (2, 2)
    assert set(result.parameters.columns) == {"setting", "schedule.n_real_fresh", "model.bias"}
    summary = result.summary
    assert {"setting", "generation", "metric", "mean", "ci95_low"} <= set(summary.columns)
    # The summary's mean is the records' mean over seeds.
    frechet = df[df.metric == "frechet"].groupby(["setting", "generation"])["value"].mean()
    s = summary[summary.metric == "frechet"].set_index(["setting", "generation"])["mean"]
    pd.testing.assert_series_equal(frechet.sort_index(), s.sort_index(), check_names=False)


def test_load_reads_a_finished_run(tmp_path):
    result = madlab.run(STUDY, out=tmp_path / "run", report=False)
    loaded = madlab.load(tmp_path / "run")
    pd.testing.assert_frame_equal(loaded.records, result.records)
    assert loaded.db_path == result.db_path and loaded.study_id == result.study_id
    assert loaded.name == "py-sweep"
    with pytest.raises(madlab.DataError, match="no finished run"):
        os.makedirs(tmp_path / "empty")
        madlab.load(tmp_path / "empty")


def test_resume_of_a_finished_run_changes_nothing(tmp_path):
    first = madlab.run(STUDY, out=tmp_path / "run", report=False)
    records = read(os.path.join(first.out_dir, "records.csv"))
    again = madlab.run(resume=tmp_path / "run", report=False)
    assert read(os.path.join(again.out_dir, "records.csv")) == records
    with pytest.raises(madlab.ConfigError, match="resume"):
        madlab.run(STUDY, resume=tmp_path / "run")


def test_config_errors_name_the_key_and_write_nothing(tmp_path):
    bad = {**STUDY, "model": {"family": "gaussian", "bais": 0.5}}
    with pytest.raises(madlab.ConfigError, match=r"model\.bais.*model\.bias"):
        madlab.run(bad, out=tmp_path / "bad")
    assert not (tmp_path / "bad").exists()
    with pytest.raises(madlab.ConfigError, match="study.toml line 3"):
        (tmp_path / "study.toml").write_text("[study]\nname = 'x'\nseeds = 'many'\n")
        madlab.run(str(tmp_path / "study.toml"), out=tmp_path / "bad2")
    with pytest.raises(madlab.ConfigError, match="no such study file"):
        madlab.run("missing.toml")
    with pytest.raises(madlab.ConfigError, match="cannot be written"):
        madlab.run({"study": {"name": object()}})
    missing = {**STUDY, "source": {"kind": "csv", "path": str(tmp_path / "nope.csv")}}
    with pytest.raises(madlab.DataError, match="nope.csv"):
        madlab.run(missing, out=tmp_path / "bad3")
    assert not (tmp_path / "bad3").exists()


def test_dicts_that_toml_cannot_hold_are_config_errors():
    cyclic = []
    cyclic.append(cyclic)
    with pytest.raises(madlab.ConfigError, match="nested more than"):
        madlab.run({"study": {"name": "x", "list": cyclic}})
    with pytest.raises(madlab.ConfigError, match="64-bit"):
        madlab.run({"study": {"name": "x", "seed": 2**70}})
    with pytest.raises(madlab.ConfigError, match="keys must be strings"):
        madlab.run({"study": {"name": "x"}, "settings": [{1: "a"}]})
    # Strings with newlines, quotes and backslashes survive the trip into TOML.
    text = madlab._madlab.dict_to_toml({"study": {"description": '\nsays "hi" \\ bye'}})
    import tomllib
    assert tomllib.loads(text)["study"]["description"] == '\nsays "hi" \\ bye'


def test_setting_names_that_read_as_numbers_stay_text(tmp_path):
    config = {**STUDY, "sweep": {}, "settings": [{"name": "1"}, {"name": "NA", "model.bias": 0.5}]}
    config.pop("sweep")
    result = madlab.run(config, out=tmp_path / "names", report=False)
    assert set(result.records.setting) == {"1", "NA"}
    assert result.records["model.bias"].notna().all()
