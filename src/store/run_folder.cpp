#include "madlab/store/run_folder.h"

#include <fmt/core.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "madlab/core/atomic_file.h"
#include "madlab/core/error.h"
#include "madlab/core/safe_file_name.h"
#include "madlab/store/record_files.h"

namespace madlab {

namespace {

namespace fs = std::filesystem;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::optional<std::string> read_optional(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

nlohmann::json parse_json(const fs::path& path, const std::string& text) {
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw DataError(
            fmt::format("{} is not valid JSON ({}); write the folder again with the "
                        "madlab command that made it",
                        path.string(), e.what()));
    }
}

// A number field that JSON may hold as null (madlab writes NaN and infinity as null).
double number_or_nan(const nlohmann::json& j) { return j.is_number() ? j.get<double>() : kNaN; }

double optional_number(const nlohmann::json& row, const char* key, double fallback) {
    const auto it = row.find(key);
    return it == row.end() ? fallback : number_or_nan(*it);
}

std::vector<SummaryRow> summary_from_json(const nlohmann::json& rows) {
    std::vector<SummaryRow> out;
    for (const auto& row : rows) {
        SummaryRow r;
        r.setting = row.at("setting").get<std::string>();
        r.metric = row.at("metric").get<std::string>();
        r.generation = row.at("generation").get<int>();
        r.mean = number_or_nan(row.at("mean"));
        r.count = row.value("count", std::size_t{0});
        r.std = optional_number(row, "std", 0.0);
        r.ci95_low = optional_number(row, "ci95_low", r.mean);
        r.ci95_high = optional_number(row, "ci95_high", r.mean);
        r.median = optional_number(row, "median", r.mean);
        r.collapsed_fraction = optional_number(row, "collapsed_fraction", 0.0);
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace

std::vector<SampleEntry> samples_from_json(const nlohmann::json& file, const std::string& where) {
    std::vector<SampleEntry> out;
    for (const auto& e : file.at("samples")) {
        SampleEntry s;
        s.setting = e.at("setting").get<std::string>();
        s.seed = e.value("seed", std::uint64_t{0});
        s.generation = e.at("generation").get<int>();
        s.kind = e.value("kind", std::string("model"));
        if (const auto shape = e.find("shape"); shape != e.end())
            s.shape = shape->get<std::vector<std::size_t>>();
        s.image = !s.shape.empty();
        if (const auto lines = e.find("lines"); lines != e.end()) {
            s.lines = lines->get<std::vector<std::string>>();
        } else if (const auto points = e.find("points"); points != e.end()) {
            s.columns = e.value("columns", std::size_t{0});
            for (const auto& p : *points) {
                if (s.columns == 0) s.columns = p.size();
                if (p.size() != s.columns)
                    throw DataError(fmt::format(
                        "{}: a point of setting '{}' at generation {} has {} values, not {}; "
                        "write the folder again with the madlab command that made it",
                        where, s.setting, s.generation, p.size(), s.columns));
                for (const auto& v : p) s.points.push_back(number_or_nan(v));
            }
        }
        out.push_back(std::move(s));
    }
    return out;
}

namespace {

template <class F>
auto parse_or_throw(const fs::path& path, F&& f) {
    try {
        return f();
    } catch (const nlohmann::json::exception& e) {
        throw DataError(
            fmt::format("{} does not have the content madlab writes ({}); write "
                        "the folder again with the madlab command that made it",
                        path.string(), e.what()));
    }
}

}  // namespace

std::string RunFolder::default_dir(const std::string& study_name, std::string_view suffix) {
    if (study_name.empty())
        throw ConfigError(
            "study.name is empty; give the study a name (it names the results folder "
            "madlab-results/<name>), e.g. study.name = \"my-study\", or choose the folder with "
            "--out");
    std::string dir = "madlab-results/" + safe_file_name(study_name);
    if (!suffix.empty()) dir += "-" + std::string(suffix);
    return dir;
}

std::vector<std::string> RunFolder::remove_stale_temporaries() const {
    return madlab::remove_stale_temporaries(dir_);
}

std::string RunFolder::path(std::string_view file) const { return dir_ + "/" + std::string(file); }

std::string RunFolder::report_path() const { return (fs::path(dir_) / kReport).string(); }

void RunFolder::create() const {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) throw Error(fmt::format("cannot create output folder '{}': {}", dir_, ec.message()));
}

void RunFolder::write_records(const std::vector<Record>& records) const {
    create();
    write_file_atomically(path(kRecords), records_to_csv(records));
}

void RunFolder::write_records(
    const std::function<void(const std::function<void(const Record&)>&)>& for_each,
    const RecordColumns* columns) const {
    create();
    write_file_atomically(path(kRecords), [&](std::ostream& out) {
        RecordCsvWriter writer(out, columns);
        for_each([&](const Record& r) { writer.write(r); });
        writer.flush();
    });
}

void RunFolder::write_summary(const nlohmann::json& config, double run_seconds,
                              const std::vector<SummaryRow>& summary) const {
    create();
    nlohmann::json j;
    j["madlab_version"] = MADLAB_VERSION;
    j["config"] = config;
    j["run_seconds"] = run_seconds;
    j["summary"] = summary_to_json(summary);
    write_file_atomically(path(kSummary), j.dump(1) + "\n");
}

void RunFolder::write_samples(const std::vector<SampleRow>& samples) const {
    create();
    write_file_atomically(path(kSamples), samples_file_text(samples));
}

void RunFolder::write_config(const std::string& toml) const {
    create();
    write_file_atomically(path(kConfig), toml);
}

void RunFolder::write_run_link(const std::string& db, std::int64_t study_id,
                               const Shard& shard) const {
    create();
    nlohmann::json run;
    run["db"] = fs::absolute(db).string();
    run["study_id"] = study_id;
    if (!shard.whole()) run["shard"] = shard.to_string();
    write_file_atomically(path(kRun), run.dump(1) + "\n");
}

void RunFolder::write_analysis(std::string_view name, const nlohmann::json& config,
                               const nlohmann::json& body) const {
    create();
    nlohmann::json j;
    j["madlab_version"] = MADLAB_VERSION;
    j["config"] = config;
    j[std::string(name)] = body;
    write_file_atomically(path(analysis_file(name)), j.dump(1) + "\n");
}

std::optional<RunLink> RunFolder::read_run_link() const {
    const std::string file = path(kRun);
    std::ifstream in(file);
    if (!in) return std::nullopt;
    try {
        const nlohmann::json run = nlohmann::json::parse(in);
        RunLink link{run.at("db").get<std::string>(), run.at("study_id").get<std::int64_t>()};
        if (run.contains("shard"))
            link.shard = parse_shard(run.at("shard").get<std::string>(), file);
        return link;
    } catch (const nlohmann::json::exception& e) {
        throw DataError(fmt::format("{} is malformed ({}); start the run again", file, e.what()));
    }
}

StudyFolder RunFolder::read() const {
    const std::string& dir = dir_;
    const fs::path root(dir);
    if (!fs::is_directory(root))
        throw DataError(
            fmt::format("'{}' is not a folder; give the output folder of `madlab "
                        "run`, `madlab threshold` or `madlab decompose`",
                        dir));
    StudyFolder folder;
    folder.dir = dir;
    const fs::path summary_path = root / kSummary;
    const fs::path records_path = root / kRecords;
    if (const auto text = read_optional(summary_path)) {
        const nlohmann::json j = parse_json(summary_path, *text);
        parse_or_throw(summary_path, [&] {
            folder.config = j.value("config", nlohmann::json::object());
            folder.madlab_version = j.value("madlab_version", std::string());
            folder.run_seconds = optional_number(j, "run_seconds", 0.0);
            folder.summary = summary_from_json(j.at("summary"));
            return 0;
        });
    } else {
        for (const auto& entry : {std::pair{kThreshold, FolderKind::kThreshold},
                                  std::pair{kDecompose, FolderKind::kDecompose}}) {
            // Not a structured binding: the lambda below uses both, and clang 14 (the
            // sanitizer build's) cannot capture one.
            const auto name = entry.first;
            const FolderKind kind = entry.second;
            const fs::path path = root / RunFolder::analysis_file(name);
            const auto text = read_optional(path);
            if (!text) continue;
            const nlohmann::json j = parse_json(path, *text);
            parse_or_throw(path, [&] {
                folder.kind = kind;
                folder.config = j.value("config", nlohmann::json::object());
                folder.madlab_version = j.value("madlab_version", std::string());
                folder.analysis = j.at(std::string(name));
                folder.run_seconds = optional_number(folder.analysis, "run_seconds", 0.0);
                return 0;
            });
            break;
        }
        if (folder.analysis.is_null())
            throw DataError(fmt::format(
                "'{}' has no summary.json, threshold.json or decompose.json; make the report "
                "from the output folder of `madlab run`, `madlab threshold` or `madlab decompose`",
                dir));
    }
    if (std::ifstream in(records_path, std::ios::binary); in) {
        // A run: the records the report pairs; an analysis: all of them.
        const LastGenerations last = last_generations(folder.summary);
        const bool run = folder.kind == FolderKind::kRun;
        read_records_csv(in, records_path.string(), [&](Record&& r) {
            if (!run || is_paired_record(r, last)) folder.records.push_back(std::move(r));
        });
    } else if (folder.kind != FolderKind::kRun) {
        throw DataError(fmt::format("{} is missing; run the analysis again with --out {}",
                                    records_path.string(), dir));
    }
    if (folder.kind != FolderKind::kRun) folder.summary = summarize(folder.records);
    if (folder.summary.empty())
        throw DataError(
            fmt::format("{} holds no results; run the study again",
                        (folder.kind == FolderKind::kRun ? summary_path : records_path).string()));
    list_settings_and_metrics(folder);

    if (const auto text = read_optional(root / kConfig)) folder.config_toml = *text;
    const fs::path run_path = root / kRun;
    if (const auto text = read_optional(run_path)) {
        const nlohmann::json j = parse_json(run_path, *text);
        folder.db_path = parse_or_throw(run_path, [&] { return j.at("db").get<std::string>(); });
    }
    const fs::path samples_path = root / kSamples;
    if (const auto text = read_optional(samples_path)) {
        const nlohmann::json j = parse_json(samples_path, *text);
        folder.samples = parse_or_throw(
            samples_path, [&] { return samples_from_json(j, samples_path.string()); });
    }
    return folder;
}

}  // namespace madlab
