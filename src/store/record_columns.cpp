#include "madlab/store/record_columns.h"

#include <nlohmann/json.hpp>

#include "madlab/store/record_files.h"
#include "madlab/store/results_db.h"

namespace madlab {

std::string parameter_csv_field(const std::string& json_text) {
    const nlohmann::json value = nlohmann::json::parse(json_text, nullptr, false);
    if (value.is_discarded()) return csv_field(json_text);
    if (value.is_null()) return "";
    if (value.is_string()) return csv_field(value.get<std::string>());
    return csv_field(value.dump());
}

RecordColumns record_columns(const ResultsDb& db, std::int64_t study_id) {
    RecordColumns out;
    if (const auto study = db.study(study_id)) out.study = study->name;
    for (const SettingRow& setting : db.settings(study_id)) {
        RecordColumns::Setting& row = out.settings[setting.name];
        row.label = setting.label;
        // Every setting of a study has the same keys in the same order (register_study).
        if (out.parameters.empty())
            for (const auto& [key, value] : setting.parameters) out.parameters.push_back(key);
        for (const auto& [key, value] : setting.parameters)
            row.cells.push_back(parameter_csv_field(value));
    }
    return out;
}

}  // namespace madlab
