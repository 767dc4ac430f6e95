#include <fmt/core.h>
#include <pybind11/stl.h>
#include <toml++/toml.h>

#include <sstream>
#include <string>

#include "bindings.h"
#include "madlab/core/error.h"
#include "madlab/session/run_session.h"
#include "madlab/study/study_config.h"
#include "python_model.h"

namespace madlab::python {

namespace {

// TOML text of a Python value: bool, int, float, str, a list (array) or a dict (inline table).
// `key` (dotted) names the value in errors.
std::string toml_value(const py::handle& value, const std::string& key);

// A key, quoted (a TOML string): a dotted key ("schedule.n_real_fresh") is then one path, as in a
// study file.
std::string toml_key(const py::handle& key, const std::string& where) {
    if (!py::isinstance<py::str>(key))
        throw ConfigError(fmt::format("config key {}: keys must be strings, got {}", where,
                                      py::str(py::repr(key)).cast<std::string>()));
    std::ostringstream out;
    out << toml::value<std::string>(key.cast<std::string>());
    return out.str();
}

std::string toml_value(const py::handle& value, const std::string& key) {
    std::ostringstream out;
    if (py::isinstance<py::bool_>(value)) {
        out << toml::value<bool>(value.cast<bool>());
    } else if (py::isinstance<py::int_>(value)) {
        out << toml::value<std::int64_t>(value.cast<std::int64_t>());
    } else if (py::isinstance<py::float_>(value)) {
        out << toml::value<double>(value.cast<double>());
    } else if (py::isinstance<py::str>(value)) {
        out << toml::value<std::string>(value.cast<std::string>());
    } else if (py::isinstance<py::dict>(value)) {
        out << "{ ";
        bool first = true;
        for (const auto& [k, v] : value.cast<py::dict>()) {
            const std::string name = k.cast<std::string>();
            out << (first ? "" : ", ") << toml_key(k, key) << " = "
                << toml_value(v, key + "." + name);
            first = false;
        }
        out << " }";
    } else if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
        out << "[ ";
        std::size_t i = 0;
        for (const auto& item : value) {
            out << (i == 0 ? "" : ", ") << toml_value(item, fmt::format("{}[{}]", key, i));
            ++i;
        }
        out << " ]";
    } else {
        throw ConfigError(fmt::format(
            "config key {}: a {} cannot be written in a study config; use a dict, list, bool, "
            "int, float or str",
            key, py::str(value.get_type().attr("__name__")).cast<std::string>()));
    }
    return out.str();
}

bool is_list_of_dicts(const py::handle& value) {
    if (!py::isinstance<py::list>(value) && !py::isinstance<py::tuple>(value)) return false;
    for (const auto& item : value)
        if (!py::isinstance<py::dict>(item)) return false;
    return py::len(value) > 0;
}

// A study dict as TOML text in the dict's own order (the order of a sweep's keys names its
// settings): top-level values, then one [section] per dict and one [[section]] per dict of a
// list of dicts ("settings"); deeper dicts are inline tables.
std::string study_toml(const py::dict& config) {
    std::ostringstream out;
    for (const auto& [k, v] : config)
        if (!py::isinstance<py::dict>(v) && !is_list_of_dicts(v))
            out << toml_key(k, "") << " = " << toml_value(v, k.cast<std::string>()) << "\n";
    for (const auto& [k, v] : config) {
        const std::string section = toml_key(k, "");
        const std::string name = k.cast<std::string>();
        if (py::isinstance<py::dict>(v)) {
            out << "\n[" << section << "]\n";
            for (const auto& [key, value] : v.cast<py::dict>())
                out << toml_key(key, name) << " = "
                    << toml_value(value, name + "." + key.cast<std::string>()) << "\n";
        } else if (is_list_of_dicts(v)) {
            for (const auto& table : v) {
                out << "\n[[" << section << "]]\n";
                for (const auto& [key, value] : table.cast<py::dict>())
                    out << toml_key(key, name) << " = "
                        << toml_value(value, name + "." + key.cast<std::string>()) << "\n";
            }
        }
    }
    return out.str();
}

py::dict session_dict(const SessionResult& r) {
    py::dict out;
    out["out_dir"] = r.out_dir;
    out["db_path"] = r.db_path;
    out["study_id"] = r.study_id;
    out["report_path"] = r.report_path;
    out["seconds"] = r.seconds;
    return out;
}

// Settings of the python family: the objects must be given, one object per chain holds one
// model (synthetic_from_last_k = 1), and the chains run one at a time unless every such setting
// says its model may run in parallel (model.parallel).
void prepare_python_models(const StudyConfig& study, const py::dict& models,
                           SessionOptions& options) {
    bool any = false, parallel = true;
    for (const Setting& setting : study.settings) {
        if (setting.config.model.family != "python") continue;
        any = true;
        parallel = parallel && setting.config.model.params.get_bool("parallel");
        if (setting.config.schedule.synthetic_from_last_k != 1)
            throw ConfigError(fmt::format(
                "setting '{}': schedule.synthetic_from_last_k = {} with model.family = "
                "\"python\": each chain keeps one Python object, so only the last model can be "
                "sampled; set it to 1",
                setting.name, setting.config.schedule.synthetic_from_last_k));
    }
    if (any && models.empty())
        throw ConfigError(
            "model.family = \"python\": give the model objects with madlab.run(config, "
            "models={\"name\": MyModel}) (docs/python.md)");
    if (any && !parallel) options.threads = 1;
}

SessionOptions session_options(int threads, bool quiet, bool no_report) {
    SessionOptions options;
    options.threads = threads;
    options.quiet = quiet;
    options.no_report = no_report;
    return options;
}

}  // namespace

void bind_studies(py::module_& m) {
    m.def(
        "dict_to_toml", [](const py::dict& config) { return study_toml(config); },
        py::arg("config"));
    m.def("default_study_toml", [] { return default_study_toml(); });
    m.def(
        "run_study",
        [](const std::string& text, const std::string& name, const std::string& path,
           const std::string& out_dir, const std::string& db_path, int threads, bool quiet,
           bool no_db, bool no_report, const py::dict& models) {
            const StudyConfig study = path.empty() ? parse_study(text, name) : load_study(path);
            SessionOptions options = session_options(threads, quiet, no_report);
            options.out_dir = out_dir;
            options.db_path = db_path;
            options.no_db = no_db;
            prepare_python_models(study, models, options);
            const ModelObjectsScope objects(models);
            SessionResult result;
            {
                py::gil_scoped_release release;
                result = run_session(study, options);
            }
            return session_dict(result);
        },
        py::arg("text"), py::arg("name"), py::arg("path"), py::arg("out_dir"), py::arg("db_path"),
        py::arg("threads"), py::arg("quiet"), py::arg("no_db"), py::arg("no_report"),
        py::arg("models"));
    m.def(
        "resume_study",
        [](const std::string& dir, int threads, bool quiet, bool no_report,
           const py::dict& models) {
            SessionOptions options = session_options(threads, quiet, no_report);
            prepare_python_models(study_of_run(dir), models, options);
            const ModelObjectsScope objects(models);
            SessionResult result;
            {
                py::gil_scoped_release release;
                result = resume_session(dir, options);
            }
            return session_dict(result);
        },
        py::arg("dir"), py::arg("threads"), py::arg("quiet"), py::arg("no_report"),
        py::arg("models"));
}

}  // namespace madlab::python
