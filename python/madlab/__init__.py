"""madlab from Python: self-consuming training loops (model collapse) with madlab's schedule,
seeds, metrics, results database, resume and report, and numpy arrays in and out.

    import madlab
    result = madlab.run("examples/gaussian_collapse.toml", out="runs/gauss")
    result.records            # pandas DataFrame, one row per (setting, seed, generation, metric)
    madlab.metrics.prdc(real, fake, k=5)

docs/python.md walks through it.
"""

import copy
import inspect
import os

from . import _madlab, metrics
from ._madlab import NgramModel
from .errors import ConfigError, DataError, Error, NumericalError
from .results import Result, load, swept_parameters

__version__ = _madlab.__version__


def _study_text(config):
    """(text, name, path) of a study given as a TOML file path, TOML text or a dict."""
    if isinstance(config, dict):
        return _madlab.dict_to_toml(config), "<dict>", ""
    if isinstance(config, os.PathLike):
        config = os.fspath(config)
    if not isinstance(config, str):
        raise ConfigError(
            f"config: expected a TOML file path, TOML text or a dict, got {type(config).__name__}")
    if "\n" not in config and (config.endswith(".toml") or os.path.exists(config)):
        if not os.path.exists(config):
            raise ConfigError(f"{config}: no such study file")
        return "", config, config
    return config, "<string>", ""


def _model_factories(models):
    """{name: callable of no arguments returning a new model} from run()'s ``models``."""
    if models is None:
        return {}
    if not isinstance(models, dict):
        models = {"model": models}
    factories = {}
    for name, model in models.items():
        if not isinstance(name, str):
            raise ConfigError(f"models: names must be strings, got {name!r}")
        if inspect.isclass(model) or (callable(model) and not hasattr(model, "fit")):
            factories[name] = model
        elif hasattr(model, "fit") and hasattr(model, "sample"):
            factories[name] = lambda prototype=model: copy.deepcopy(prototype)
        else:
            raise ConfigError(
                f"models[{name!r}]: expected a class, a function returning a model, or an "
                f"object with fit(train, ctx) and sample(n, bias, seed); got {model!r}")
    return factories


def run(config=None, *, out=None, db=None, threads=None, no_db=False, report=True, quiet=True,
        resume=None, models=None):
    """Runs a study, as ``madlab run`` does, and returns its Result.

    config: a TOML file path, TOML text or a nested dict ({"study": {...}, "model": {...},
        "settings": [{...}, ...]}); None runs the default study.
    out: the output folder (default madlab-results/<study name>).
    db: a results database to add the study to (default <out>/results.sqlite).
    threads: threads for the chains (default the study's; 0 = all cores).
    no_db: keep records in memory and write only the files (a killed run cannot resume).
    report: write <out>/report.html.
    quiet: no progress bar and no summary table on the terminal.
    resume: the output folder of a killed run to continue instead (config, out, db and no_db
        must then be left out).
    models: the Python models of settings with model.family = "python": {name: model} (the
        name is model.object; a single model needs no name). A model is a class or a function
        of no arguments that returns a new model object, or a model object, which is copied
        (copy.deepcopy). Every chain (setting, seed) gets its own object and keeps it for all
        its generations.

    Raises madlab.ConfigError / DataError (nothing is written) and the other madlab errors.
    """
    threads = -1 if threads is None else int(threads)
    if resume is not None:
        if config is not None or out is not None or db is not None or no_db:
            raise ConfigError("resume: the folder names its own study and database; do not give "
                              "config, out, db or no_db with it")
        session = _madlab.resume_study(os.fspath(resume), threads, quiet, not report,
                                       _model_factories(models))
    else:
        if config is None:
            text, name, path = _madlab.default_study_toml(), "<default study>", ""
        else:
            text, name, path = _study_text(config)
        session = _madlab.run_study(text, name, path, os.fspath(out) if out else "",
                                    os.fspath(db) if db else "", threads, quiet, no_db,
                                    not report, _model_factories(models))
    return Result(session["out_dir"], session["db_path"], session["study_id"],
                  session["report_path"])


__all__ = ["run", "load", "Result", "metrics", "NgramModel", "swept_parameters", "Error",
           "ConfigError", "DataError", "NumericalError", "__version__"]
