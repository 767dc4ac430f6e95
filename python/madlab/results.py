"""A finished run's results as pandas DataFrames: the records in long form with every swept
parameter as its own column, the summary over seeds, and the resolved config."""

import json
import os

from .errors import DataError

# pandas is imported where a DataFrame is made, so that `import madlab` for the metrics alone
# does not pay for it (about a second).


def _flatten(config, prefix=""):
    """{"model": {"bias": 0.5}} -> {"model.bias": 0.5}; lists stay values."""
    out = {}
    for key, value in config.items():
        name = prefix + key
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def swept_parameters(config):
    """The parameters that differ between the settings of a resolved study config (the
    ``config`` of summary.json): a DataFrame with one row per setting (column ``setting``) and
    one column per swept key, named by its dotted key ("schedule.n_real_fresh")."""
    settings = config.get("settings", [])
    flat = [_flatten(s["config"]) for s in settings]
    keys = sorted({k for f in flat for k in f})

    def as_key(value):
        return json.dumps(value, sort_keys=True)

    import pandas as pd

    swept = [k for k in keys if len({as_key(f.get(k)) for f in flat}) > 1]
    rows = []
    for setting, values in zip(settings, flat):
        row = {"setting": str(setting["name"])}
        for k in swept:
            value = values.get(k)
            row[k] = tuple(value) if isinstance(value, list) else value
        rows.append(row)
    return pd.DataFrame(rows, columns=["setting"] + swept)


class Result:
    """The results of a run in the output folder ``out_dir``.

    Attributes: ``out_dir``, ``db_path`` (None without a database), ``study_id``,
    ``report_path`` (None without a report), ``config`` (the resolved study, a dict),
    ``records`` (DataFrame: the columns of records.csv, study, setting, label, seed,
    generation, metric, value and study.parameters, then any other swept parameter), ``summary`` (DataFrame: setting, generation, metric, mean, std, median,
    ci95_low, ci95_high, count, collapsed_fraction) and ``parameters`` (the swept parameters,
    one row per setting)."""

    def __init__(self, out_dir, db_path=None, study_id=None, report_path=None):
        import pandas as pd

        self.out_dir = os.fspath(out_dir)
        self.db_path = db_path or None
        self.study_id = study_id or None
        self.report_path = report_path or None
        summary_path = os.path.join(self.out_dir, "summary.json")
        records_path = os.path.join(self.out_dir, "records.csv")
        for path in (summary_path, records_path):
            if not os.path.exists(path):
                raise DataError(
                    f"{path} does not exist: {self.out_dir} holds no finished run; resume a "
                    f"killed run with madlab.run(resume={self.out_dir!r}), or give the folder "
                    f"that madlab.run(..., out=...) or `madlab run --out` wrote")
        with open(summary_path, encoding="utf-8") as f:
            document = json.load(f)
        self.config = document["config"]
        self.madlab_version = document.get("madlab_version")
        self.parameters = swept_parameters(self.config)
        self.summary = pd.DataFrame(document["summary"])
        # Setting and metric names are text even when they read as numbers ("1") or "NA".
        records = pd.read_csv(records_path, dtype={"setting": str, "metric": str},
                              keep_default_na=False, na_values=[""])
        # records.csv of a run with a database has study, label and the study.parameters
        # columns already; the other swept keys are added from the config.
        extra = [c for c in self.parameters.columns if c == "setting" or c not in records.columns]
        if len(extra) > 1:
            records = records.merge(self.parameters[extra], on="setting", how="left", sort=False)
        self.records = records

    @property
    def name(self):
        """The study's name."""
        return self.config["study"]["name"]

    def __repr__(self):
        return (f"madlab.Result({self.name!r}: {len(self.records)} records, "
                f"{len(self.parameters)} settings, out_dir={self.out_dir!r})")


def load(out_dir):
    """The results of the finished run in ``out_dir`` (a folder that madlab.run or
    ``madlab run --out`` wrote)."""
    out_dir = os.fspath(out_dir)
    if not os.path.isdir(out_dir):
        raise DataError(f"{out_dir} is not a folder; give the output folder of a run")
    db_path, study_id = None, None
    link = os.path.join(out_dir, "run.json")
    if os.path.exists(link):
        with open(link, encoding="utf-8") as f:
            run = json.load(f)
        db_path, study_id = run.get("db"), run.get("study_id")
    report = os.path.join(out_dir, "report.html")
    return Result(out_dir, db_path, study_id, report if os.path.exists(report) else None)
