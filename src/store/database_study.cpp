#include "madlab/store/database_study.h"

#include <fmt/core.h>

#include "madlab/core/error.h"
#include "madlab/store/run_folder.h"
#include "madlab/store/summary.h"

namespace madlab {

StudyFolder read_database_study(const ResultsDb& db, std::int64_t study_id) {
    const std::string where = fmt::format("{} (study {})", db.path(), study_id);
    const auto study = db.study(study_id);
    if (!study)
        throw DataError(
            fmt::format("results database '{}' has no study with id {}; `madlab show "
                        "{}` lists its studies",
                        db.path(), study_id, db.path()));
    StudyFolder folder;
    folder.dir = where;
    folder.kind = FolderKind::kRun;
    try {
        folder.config = nlohmann::json::parse(study->config_json);
        // The samples as samples.json holds them, read back as `madlab report DIR` reads them.
        folder.samples = samples_from_json(samples_file_json(db.samples(study_id)), where);
    } catch (const nlohmann::json::exception& e) {
        throw DataError(fmt::format(
            "{}: the study's configuration or samples are not the JSON madlab writes ({}); run "
            "the study again",
            where, e.what()));
    }
    folder.config_toml = study->config_toml;
    folder.madlab_version = study->madlab_version;
    folder.db_path = db.path();
    folder.summary = summarize_study(db, study_id);
    if (folder.summary.empty())
        throw DataError(fmt::format("{} holds no results; run the study again", where));
    const LastGenerations last = last_generations(folder.summary);
    RecordFilter filter;
    filter.study_id = study_id;
    db.visit_records(filter, [&](const Record& r) {
        if (is_paired_record(r, last)) folder.records.push_back(r);
    });
    list_settings_and_metrics(folder);
    return folder;
}

}  // namespace madlab
