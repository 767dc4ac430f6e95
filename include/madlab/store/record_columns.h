#pragma once
// The columns a run's records.csv and `madlab export` add to each record: the study's name, the
// setting's label and one column per parameter of the study (its swept keys), so that a plot
// can use a parameter as its axis without parsing setting names.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace madlab {

class ResultsDb;

// What a run's records.csv adds to each record: the study's name, the setting's label and one
// column per parameter of the study (SettingRow::parameters), the columns of `madlab export`.
struct RecordColumns {
    std::string study;
    std::vector<std::string> parameters;  // the parameter keys, in column order
    struct Setting {
        std::string label;
        std::vector<std::string> cells;  // one CSV field per parameter ("" where it is unset)
    };
    std::map<std::string, Setting> settings;  // by setting name
};

// The RecordColumns of study `study_id` of `db` (from its settings' SettingRow::parameters).
RecordColumns record_columns(const ResultsDb& db, std::int64_t study_id);

// A parameter's value (JSON text, as in SettingRow::parameters) as a CSV field: numbers as
// written, strings without their quotes (quoted as CSV needs), other values as JSON.
std::string parameter_csv_field(const std::string& json_text);

}  // namespace madlab
