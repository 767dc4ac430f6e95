#include "madlab/store/record_files.h"

#include <fmt/format.h>

#include <charconv>
#include <iterator>
#include <sstream>

#include "madlab/core/error.h"

namespace madlab {

namespace {

std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\n") == std::string::npos) return text;
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

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

}  // namespace

RecordCsvWriter::RecordCsvWriter(std::ostream& out) : out_(out) {
    buffer_ = std::string(kRecordsHeader) + "\n";
}

void RecordCsvWriter::write(const Record& r) {
    buffer_ += csv_field(r.setting);
    fmt::format_to(std::back_inserter(buffer_), ",{},{},", r.seed, r.generation);
    buffer_ += csv_field(r.metric);
    fmt::format_to(std::back_inserter(buffer_), ",{}\n", r.value);
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
    if (!std::getline(in, line) || line != kRecordsHeader)
        throw DataError(fmt::format("{} line 1: expected the header {}", where, kRecordsHeader));
    std::size_t line_number = 1;
    while (std::getline(in, line)) {
        ++line_number;
        if (line.empty()) continue;
        const auto cells = split_csv_line(line);
        if (cells.size() != 5)
            throw DataError(
                fmt::format("{} line {}: {} fields, expected 5", where, line_number, cells.size()));
        Record r;
        r.setting = cells[0];
        r.metric = cells[3];
        auto parse = [&](const std::string& cell, auto& value) {
            const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
            if (ec != std::errc() || end != cell.data() + cell.size())
                throw DataError(
                    fmt::format("{} line {}: '{}' is not a number", where, line_number, cell));
        };
        parse(cells[1], r.seed);
        parse(cells[2], r.generation);
        parse(cells[4], r.value);
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
