// `madlab export DB`: the records of a results database in tidy long form (one row per value),
// as CSV or JSON, for pandas, R or a spreadsheet.

#include <fmt/core.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "command_line.h"
#include "commands.h"
#include "madlab/core/atomic_file.h"
#include "madlab/core/error.h"

namespace madlab::cli {

namespace {

struct ExportArguments {
    RecordSelection selection;
    std::string format;  // "csv" or "json"; empty: from --out's extension, else csv
    std::string out;     // empty: stdout
};

// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

// Header `study,setting,label,seed,generation,metric,value`; values in the shortest form that
// reads back to the same double (fmt's "{}"; nan and inf as such).
std::string to_csv(const std::vector<RecordRow>& rows) {
    std::string out = "study,setting,label,seed,generation,metric,value\n";
    out.reserve(rows.size() * 64);
    for (const auto& r : rows)
        out += fmt::format("{},{},{},{},{},{},{}\n", csv_field(r.study), csv_field(r.setting),
                           csv_field(r.label), r.seed, r.generation, csv_field(r.metric), r.value);
    return out;
}

// An array of objects with the CSV's fields in the same order, one object per line; NaN and
// infinities (which JSON lacks) become null.
std::string to_json(const std::vector<RecordRow>& rows) {
    std::string out = "[";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& r = rows[i];
        const nlohmann::ordered_json object = {
            {"study", r.study}, {"setting", r.setting},       {"label", r.label},
            {"seed", r.seed},   {"generation", r.generation}, {"metric", r.metric},
            {"value", r.value}};
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
        "setting, label, seed, generation, metric, value. CSV (pandas.read_csv, R read.csv) or\n"
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
        for (const auto& study : select_studies(*db, args->selection)) {
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
        const std::string text = format == "json" ? to_json(rows) : to_csv(rows);
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
