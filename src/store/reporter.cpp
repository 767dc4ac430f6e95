#include "madlab/store/reporter.h"

#include <fmt/core.h>

#include "madlab/store/record_columns.h"

namespace madlab {

void report_all(const Reporters& reporters, const StudyOutput& output) {
    for (const auto& reporter : reporters) reporter->report(output);
}

void CsvReporter::report(const StudyOutput& output) {
    if (output.records_db == nullptr) {
        folder_.write_records(output.records);
        return;
    }
    RecordFilter filter;
    filter.study_id = output.study_id;
    const RecordColumns columns = record_columns(*output.records_db, output.study_id);
    folder_.write_records(
        [&](const std::function<void(const Record&)>& write) {
            output.records_db->visit_records(filter, write);
        },
        &columns);
}

void JsonReporter::report(const StudyOutput& output) {
    if (!output.analysis.empty()) {
        folder_.write_analysis(output.analysis, output.config, output.analysis_body);
        return;
    }
    folder_.write_summary(output.config, output.seconds, output.summary);
    folder_.write_samples(output.samples);
}

void TomlReporter::report(const StudyOutput& output) { folder_.write_config(output.config_toml); }

void ConsoleReporter::report(const StudyOutput& output) {
    if (quiet_)
        out_ << output.quiet_text;
    else
        out_ << output.text << "\n";
    const std::string files =
        output.analysis.empty()
            ? fmt::format("{}, {}", folder_.path(RunFolder::kRecords),
                          folder_.path(RunFolder::kSummary))
            : fmt::format("{}, {}", folder_.path(RunFolder::analysis_file(output.analysis)),
                          folder_.path(RunFolder::kRecords));
    out_ << fmt::format("results: {}{} ({:.1f} s)\n", files,
                        output.db_path.empty() ? std::string() : ", database " + output.db_path,
                        output.seconds);
    out_.flush();
}

}  // namespace madlab
