// `madlab export DB`: the records of a results database in tidy long form (one row per value),
// with one column per parameter of the studies (their swept keys), as CSV or JSON, for pandas,
// R or a spreadsheet.

#include <fmt/core.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <utility>

#include "command_line.h"
#include "commands.h"
#include "madlab/core/atomic_file.h"
#include "madlab/core/error.h"
#include "madlab/store/record_columns.h"
#include "madlab/store/record_files.h"

namespace madlab::cli {

namespace {

struct ExportArguments {
    RecordSelection selection;
    std::string format;  // "csv" or "json"; empty: from --out's extension, else csv
    std::string out;     // empty: stdout
};

// The parameter columns of the exported studies: every key of their settings'
// SettingRow::parameters (the keys of the first study in its order, then those that later
// studies add), and each setting's values as JSON text, "null" where it has none.
struct ParameterColumns {
    std::vector<std::string> keys;
    std::map<std::pair<std::int64_t, std::string>, std::vector<std::string>> values;

    const std::vector<std::string>& of(const RecordRow& r) const {
        static const std::vector<std::string> none;
        const auto it = values.find({r.study_id, r.setting});
        return it == values.end() ? none : it->second;
    }
};

ParameterColumns parameter_columns(const ResultsDb& db, const std::vector<StudyRow>& studies) {
    ParameterColumns out;
    std::vector<std::pair<std::int64_t, SettingRow>> settings;
    for (const StudyRow& study : studies)
        for (SettingRow& setting : db.settings(study.id)) {
            for (const auto& [key, value] : setting.parameters)
                if (std::find(out.keys.begin(), out.keys.end(), key) == out.keys.end())
                    out.keys.push_back(key);
            settings.emplace_back(study.id, std::move(setting));
        }
    for (const auto& [study_id, setting] : settings) {
        std::vector<std::string>& row = out.values[{study_id, setting.name}];
        for (const std::string& key : out.keys) {
            const auto it = std::find_if(setting.parameters.begin(), setting.parameters.end(),
                                         [&](const auto& p) { return p.first == key; });
            row.push_back(it == setting.parameters.end() ? "null" : it->second);
        }
    }
    return out;
}

// Header `study,setting,label,seed,generation,metric,value` and the parameter keys; values in
// the shortest form that reads back to the same double (fmt's "{}"; nan and inf as such),
// parameters as parameter_csv_field writes them (empty where a setting has none).
std::string to_csv(const std::vector<RecordRow>& rows, const ParameterColumns& parameters) {
    std::string out = "study,setting,label,seed,generation,metric,value";
    for (const std::string& key : parameters.keys) {
        out += ',';
        out += csv_field(key);
    }
    out += "\n";
    out.reserve(rows.size() * 64);
    for (const auto& r : rows) {
        out += fmt::format("{},{},{},{},{},{},{}", csv_field(r.study), csv_field(r.setting),
                           csv_field(r.label), r.seed, r.generation, csv_field(r.metric), r.value);
        const std::vector<std::string>& values = parameters.of(r);
        for (std::size_t i = 0; i < parameters.keys.size(); ++i) {
            out += ',';
            if (i < values.size()) out += parameter_csv_field(values[i]);
        }
        out += "\n";
    }
    return out;
}

// An array of objects with the CSV's fields in the same order, one object per line; NaN and
// infinities (which JSON lacks) become null, and so do parameters a setting lacks.
std::string to_json(const std::vector<RecordRow>& rows, const ParameterColumns& parameters) {
    std::string out = "[";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& r = rows[i];
        nlohmann::ordered_json object = {
            {"study", r.study}, {"setting", r.setting},       {"label", r.label},
            {"seed", r.seed},   {"generation", r.generation}, {"metric", r.metric},
            {"value", r.value}};
        const std::vector<std::string>& values = parameters.of(r);
        for (std::size_t k = 0; k < parameters.keys.size(); ++k)
            object[parameters.keys[k]] =
                k < values.size() ? nlohmann::json::parse(values[k], nullptr, false) : nullptr;
        out += (i == 0 ? "\n" : ",\n") + object.dump();
    }
    return out + "\n]\n";
}

}  // namespace

Action add_export_command(CLI::App& app) {
    auto args = std::make_shared<ExportArguments>();
    CLI::App* command = app.add_subcommand(
        "export",
        "Export the records of a results database in long form, one row per value: study,\n"
        "setting, label, seed, generation, metric, value, then one column per parameter of the\n"
        "studies (their swept keys, e.g. model.bias). CSV (pandas.read_csv, R read.csv) or\n"
        "JSON (an array of objects; pandas.read_json). Safe while a run is writing.");
    add_selection_options(*command, args->selection);
    command
        ->add_option("--format,-f", args->format,
                     "csv or json (default: json if --out ends in .json, else csv)")
        ->check(CLI::IsMember({"csv", "json"}));
    command->add_option("--out,-o", args->out,
                        "Output file, written atomically (default: standard output)");

    return [args]() -> int {
        if (!args->out.empty()) check_output_file("--out", args->out);
        const auto db = ResultsDb::open(args->selection.db, ResultsDb::Mode::kReadOnly);
        std::vector<RecordRow> rows;
        const auto studies = select_studies(*db, args->selection);
        const ParameterColumns parameters = parameter_columns(*db, studies);
        for (const auto& study : studies) {
            auto part = db->record_rows(selection_filter(args->selection, study.id));
            std::erase_if(part, [&](const RecordRow& r) {
                return !selected(args->selection, r.setting, r.metric, r.generation);
            });
            rows.insert(rows.end(), std::make_move_iterator(part.begin()),
                        std::make_move_iterator(part.end()));
        }
        const std::string format = !args->format.empty()          ? args->format
                                   : args->out.ends_with(".json") ? "json"
                                                                  : "csv";
        const std::string text =
            format == "json" ? to_json(rows, parameters) : to_csv(rows, parameters);
        if (args->out.empty()) {
            std::fwrite(text.data(), 1, text.size(), stdout);
            if (std::fflush(stdout) != 0) throw Error("cannot write the export to standard output");
        } else {
            write_file_atomically(args->out, text);
            fmt::print(stderr, "exported {} records to {}\n", rows.size(), args->out);
        }
        return 0;
    };
}

}  // namespace madlab::cli
