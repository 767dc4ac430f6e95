#include "madlab/store/record_files.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <iterator>
#include <sstream>

#include "madlab/core/error.h"

namespace madlab {

std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

namespace {

// Splits one CSV line with RFC 4180 quoting.
std::vector<std::string> split_csv_line(const std::string& line) {
    std::vector<std::string> cells(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                cells.back() += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                cells.back() += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            cells.emplace_back();
        } else {
            cells.back() += c;
        }
    }
    return cells;
}

}  // namespace

namespace {

constexpr const char* kRecordsHeader = "setting,seed,generation,metric,value";
// The header of a run's records.csv before its parameter columns (those of `madlab export`).
constexpr const char* kRunRecordsHeader = "study,setting,label,seed,generation,metric,value";

}  // namespace

RecordCsvWriter::RecordCsvWriter(std::ostream& out, const RecordColumns* columns)
    : out_(out), columns_(columns) {
    buffer_ = columns ? kRunRecordsHeader : kRecordsHeader;
    if (columns)
        for (const std::string& key : columns->parameters) {
            buffer_ += ',';
            buffer_ += csv_field(key);
        }
    buffer_ += "\n";
}

void RecordCsvWriter::write(const Record& r) {
    const RecordColumns::Setting* setting = nullptr;
    if (columns_) {
        const auto it = columns_->settings.find(r.setting);
        if (it == columns_->settings.end())
            throw Error(fmt::format("records.csv: setting '{}' of a record is not in study '{}'",
                                    r.setting, columns_->study));
        setting = &it->second;
        buffer_ += csv_field(columns_->study);
        buffer_ += ',';
    }
    buffer_ += csv_field(r.setting);
    if (setting) {
        buffer_ += ',';
        buffer_ += csv_field(setting->label);
    }
    fmt::format_to(std::back_inserter(buffer_), ",{},{},", r.seed, r.generation);
    buffer_ += csv_field(r.metric);
    fmt::format_to(std::back_inserter(buffer_), ",{}", r.value);
    if (setting)
        for (std::size_t i = 0; i < columns_->parameters.size(); ++i) {
            buffer_ += ',';
            if (i < setting->cells.size()) buffer_ += setting->cells[i];
        }
    buffer_ += '\n';
    if (buffer_.size() >= kFlushBytes) flush();
}

void RecordCsvWriter::flush() {
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    buffer_.clear();
}

std::string records_to_csv(const std::vector<Record>& records) {
    std::ostringstream out;
    RecordCsvWriter writer(out);
    for (const auto& r : records) writer.write(r);
    writer.flush();
    return std::move(out).str();
}

void read_records_csv(std::istream& in, const std::string& where,
                      const std::function<void(Record&&)>& visit) {
    std::string line;
    const bool header = static_cast<bool>(std::getline(in, line));
    // A run's records.csv: study and label before the record, parameter columns after it.
    const bool run = header && (line == kRunRecordsHeader ||
                                line.rfind(std::string(kRunRecordsHeader) + ",", 0) == 0);
    if (!header || (!run && line != kRecordsHeader))
        throw DataError(fmt::format("{} line 1: expected the header {} or {}[,parameters]", where,
                                    kRecordsHeader, kRunRecordsHeader));
    const std::size_t fields = split_csv_line(line).size();
    const std::size_t setting = run ? 1 : 0;  // the setting's field
    const std::size_t seed = run ? 3 : 1;     // seed, generation, metric and value follow
    std::size_t line_number = 1;
    while (std::getline(in, line)) {
        ++line_number;
        if (line.empty()) continue;
        // A quoted field may hold a line break (a study name or label with one): the record
        // goes on while the quotes are open.
        const std::size_t first_line = line_number;
        while (std::count(line.begin(), line.end(), '"') % 2 != 0) {
            std::string more;
            if (!std::getline(in, more))
                throw DataError(
                    fmt::format("{} line {}: a quoted field is not closed", where, first_line));
            line += '\n';
            line += more;
            ++line_number;
        }
        const auto cells = split_csv_line(line);
        if (cells.size() != fields)
            throw DataError(fmt::format("{} line {}: {} fields, expected {}", where, line_number,
                                        cells.size(), fields));
        Record r;
        r.setting = cells[setting];
        r.metric = cells[seed + 2];
        auto parse = [&](const std::string& cell, auto& value) {
            const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
            if (ec != std::errc() || end != cell.data() + cell.size())
                throw DataError(
                    fmt::format("{} line {}: '{}' is not a number", where, line_number, cell));
        };
        parse(cells[seed], r.seed);
        parse(cells[seed + 1], r.generation);
        parse(cells[seed + 3], r.value);
        visit(std::move(r));
    }
    if (in.bad()) throw DataError(fmt::format("{}: cannot be read to the end", where));
}

std::vector<Record> records_from_csv(const std::string& text) {
    std::istringstream in(text);
    std::vector<Record> records;
    read_records_csv(in, "records CSV", [&](Record&& r) { records.push_back(std::move(r)); });
    return records;
}

nlohmann::json summary_to_json(const std::vector<SummaryRow>& rows) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : rows)
        out.push_back({{"setting", r.setting},
                       {"generation", r.generation},
                       {"metric", r.metric},
                       {"count", r.count},
                       {"mean", r.mean},
                       {"std", r.std},
                       {"ci95_low", r.ci95_low},
                       {"ci95_high", r.ci95_high},
                       {"median", r.median},
                       {"collapsed_fraction", r.collapsed_fraction}});
    return out;
}

}  // namespace madlab
