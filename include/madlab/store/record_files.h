#pragma once
// Results as files: records.csv (long form, one row per value) and summary.json. Both are
// written atomically.

#include <functional>
#include <istream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "madlab/store/record.h"
#include "madlab/store/record_columns.h"
#include "madlab/store/summary.h"

namespace madlab {

// RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.
std::string csv_field(const std::string& text);

// Writes records.csv to a stream, row by row, through a buffer: the header on construction,
// then one row per write(). Call flush() at the end (the destructor does not, so that an error
// cannot be lost). Without `columns`, the header is `setting,seed,generation,metric,value`
// (the records of an analysis, or of a study run without a database); with them it is
// `study,setting,label,seed,generation,metric,value` and one column per parameter key.
class RecordCsvWriter {
public:
    explicit RecordCsvWriter(std::ostream& out, const RecordColumns* columns = nullptr);
    void write(const Record& record);
    void flush();

private:
    static constexpr std::size_t kFlushBytes = 1 << 16;
    std::ostream& out_;
    const RecordColumns* columns_;
    std::string buffer_;
};

// CSV text with the header `setting,seed,generation,metric,value`; values in the shortest form
// that reads back to the same double. Setting names are quoted when they contain a comma or quote.
std::string records_to_csv(const std::vector<Record>& records);

// Parses records_to_csv's output (for tests and tools); throws DataError on malformed text.
std::vector<Record> records_from_csv(const std::string& text);

// Reads records.csv (either header above) from a stream, handing each record to `visit`: memory
// does not grow with the file. Throws DataError naming `where` and the line on malformed text.
void read_records_csv(std::istream& in, const std::string& where,
                      const std::function<void(Record&&)>& visit);

// Summary rows as a JSON array of objects {setting, generation, metric, count, mean, std,
// ci95_low, ci95_high}.
nlohmann::json summary_to_json(const std::vector<SummaryRow>& rows);

}  // namespace madlab
