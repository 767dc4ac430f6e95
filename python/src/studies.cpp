#include <fmt/core.h>
#include <pybind11/stl.h>
#include <toml++/toml.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include "bindings.h"
#include "madlab/core/error.h"
#include "madlab/session/run_session.h"
#include "madlab/store/run_folder.h"
#include "madlab/study/study_config.h"
#include "python_model.h"

namespace madlab::python {

namespace {

// A TOML basic string: "..." with quotes, backslashes and control characters escaped.
std::string toml_string(const std::string& text) {
    std::string out = "\"";
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (ch == '"' || ch == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20 || c == 0x7f) {
            out += fmt::format("\\u{:04X}", c);
        } else {
            out += ch;
        }
    }
    return out + "\"";
}

// A key, quoted: a dotted key ("schedule.n_real_fresh") is then one path, as in a study file.
// `where` names the enclosing key in errors.
std::string toml_key(const py::handle& key, const std::string& where) {
    if (!py::isinstance<py::str>(key))
        throw ConfigError(fmt::format("config key {}: keys must be strings, got {}",
                                      where.empty() ? "at the top level" : where,
                                      py::str(py::repr(key)).cast<std::string>()));
    return toml_string(key.cast<std::string>());
}

constexpr int kMaxDepth = 32;  // nested lists and dicts; deeper (or a cycle) is an error

// TOML text of a Python value: bool, int, float, str, a list (array) or a dict (inline table).
// `key` (dotted) names the value in errors.
std::string toml_value(const py::handle& value, const std::string& key, int depth = 0) {
    if (depth > kMaxDepth)
        throw ConfigError(
            fmt::format("config key {}: nested more than {} levels deep (or it "
                        "contains itself)",
                        key, kMaxDepth));
    std::ostringstream out;
    if (py::isinstance<py::bool_>(value)) {
        out << (value.cast<bool>() ? "true" : "false");
    } else if (py::isinstance<py::int_>(value)) {
        int overflow = 0;
        const long long v = PyLong_AsLongLongAndOverflow(value.ptr(), &overflow);
        if (overflow != 0)
            throw ConfigError(fmt::format("config key {}: {} does not fit a 64-bit integer", key,
                                          py::str(value).cast<std::string>()));
        out << v;
    } else if (py::isinstance<py::float_>(value)) {
        out << toml::value<double>(value.cast<double>());
    } else if (py::isinstance<py::str>(value)) {
        out << toml_string(value.cast<std::string>());
    } else if (py::isinstance<py::dict>(value)) {
        out << "{ ";
        bool first = true;
        for (const auto& [k, v] : value.cast<py::dict>()) {
            const std::string quoted = toml_key(k, key);
            out << (first ? "" : ", ") << quoted << " = "
                << toml_value(v, key + "." + k.cast<std::string>(), depth + 1);
            first = false;
        }
        out << " }";
    } else if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
        out << "[ ";
        std::size_t i = 0;
        for (const auto& item : value) {
            out << (i == 0 ? "" : ", ")
                << toml_value(item, fmt::format("{}[{}]", key, i), depth + 1);
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
        if (!py::isinstance<py::dict>(v) && !is_list_of_dicts(v)) {
            const std::string quoted = toml_key(k, "");
            out << quoted << " = " << toml_value(v, k.cast<std::string>()) << "\n";
        }
    for (const auto& [k, v] : config) {
        const std::string section = toml_key(k, "");
        const std::string name = k.cast<std::string>();
        if (py::isinstance<py::dict>(v)) {
            out << "\n[" << section << "]\n";
            for (const auto& [key, value] : v.cast<py::dict>()) {
                const std::string quoted = toml_key(key, name);
                out << quoted << " = " << toml_value(value, name + "." + key.cast<std::string>(), 1)
                    << "\n";
            }
        } else if (is_list_of_dicts(v)) {
            for (const auto& table : v) {
                out << "\n[[" << section << "]]\n";
                for (const auto& [key, value] : table.cast<py::dict>()) {
                    const std::string quoted = toml_key(key, name);
                    out << quoted << " = "
                        << toml_value(value, name + "." + key.cast<std::string>(), 1) << "\n";
                }
            }
        }
    }
    return out.str();
}

// Runs `session` (a run or a resume) on a thread of its own while this thread, the caller's,
// waits with the GIL released and checks for signals every 100 ms: Ctrl-C (KeyboardInterrupt,
// or an interrupted notebook kernel) then stops the chains after their current generation,
// committed, and is raised here once they have stopped; the run stays resumable.
template <class Session>
SessionResult run_interruptibly(SessionOptions options, Session session) {
    std::atomic<bool> stop{false};
    options.stop = &stop;
    SessionResult result;
    std::exception_ptr error;
    bool interrupted = false;
    {
        py::gil_scoped_release release;
        std::mutex mutex;
        std::condition_variable finished;
        bool done = false;
        std::thread worker([&] {
            try {
                result = session(options);
            } catch (...) {
                error = std::current_exception();
            }
            const std::lock_guard lock(mutex);
            done = true;
            finished.notify_all();
        });
        std::unique_lock lock(mutex);
        while (!finished.wait_for(lock, std::chrono::milliseconds(100), [&] { return done; })) {
            if (interrupted) continue;
            lock.unlock();
            {
                py::gil_scoped_acquire gil;
                // On a signal its handler has raised (KeyboardInterrupt): the exception stays
                // set on this thread until it is thrown below.
                if (PyErr_CheckSignals() != 0) interrupted = true;
            }
            if (interrupted) stop = true;
            lock.lock();
        }
        lock.unlock();
        worker.join();
    }
    if (interrupted) throw py::error_already_set();
    if (error) std::rethrow_exception(error);
    return result;
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
    bool any = false, parallel = true;  // any python setting; all of them parallel
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
    if (!any) return;
    std::vector<std::string> names;
    for (const auto& [name, factory] : models) names.push_back(py::str(name).cast<std::string>());
    for (const Setting& setting : study.settings)
        if (setting.config.model.family == "python")
            chosen_model(setting.config.model.params.get_string("object"), names);
    if (!parallel) options.threads = 1;
}

SessionOptions session_options(int threads, bool quiet, bool no_report) {
    SessionOptions options;
    options.threads = checked_threads(threads, -1);
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
            options.out_dir = out_dir.empty() ? RunFolder::default_dir(study.name) : out_dir;
            options.db_path = db_path;
            options.no_db = no_db;
            prepare_python_models(study, models, options);
            const ModelObjectsScope objects(models);
            return session_dict(run_interruptibly(
                options, [&](const SessionOptions& o) { return run_session(study, o); }));
        },
        py::arg("text"), py::arg("name"), py::arg("path"), py::arg("out_dir"), py::arg("db_path"),
        py::arg("threads"), py::arg("quiet"), py::arg("no_db"), py::arg("no_report"),
        py::arg("models"));
    m.def(
        "resume_study",
        [](const std::string& dir, int threads, bool quiet, bool no_report,
           const py::dict& models) {
            SessionOptions options = session_options(threads, quiet, no_report);
            RunFolder(dir).remove_stale_temporaries();  // of writers killed in this folder
            prepare_python_models(study_of_run(dir), models, options);
            const ModelObjectsScope objects(models);
            return session_dict(run_interruptibly(
                options, [&](const SessionOptions& o) { return resume_session(dir, o); }));
        },
        py::arg("dir"), py::arg("threads"), py::arg("quiet"), py::arg("no_report"),
        py::arg("models"));
}

}  // namespace madlab::python
