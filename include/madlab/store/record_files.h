#pragma once
// Results as files: records.csv (long form, one row per value) and summary.json. Both are
// written atomically.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "madlab/store/record.h"
#include "madlab/store/summary.h"

namespace madlab {

// CSV text with the header `setting,seed,generation,metric,value`; values in the shortest form
// that reads back to the same double. Setting names are quoted when they contain a comma or quote.
std::string records_to_csv(const std::vector<Record>& records);

// Parses records_to_csv's output (for tests and tools); throws DataError on malformed text.
std::vector<Record> records_from_csv(const std::string& text);

// Summary rows as a JSON array of objects {setting, generation, metric, count, mean, std,
// ci95_low, ci95_high}.
nlohmann::json summary_to_json(const std::vector<SummaryRow>& rows);

}  // namespace madlab
