#include "madlab/store/record_files.h"

#include <fmt/core.h>

#include <charconv>
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

std::string records_to_csv(const std::vector<Record>& records) {
    std::string out = "setting,seed,generation,metric,value\n";
    out.reserve(records.size() * 48);
    for (const auto& r : records)
        out += fmt::format("{},{},{},{},{}\n", csv_field(r.setting), r.seed, r.generation,
                           csv_field(r.metric), r.value);
    return out;
}

std::vector<Record> records_from_csv(const std::string& text) {
    std::istringstream in(text);
    std::string line;
    std::vector<Record> records;
    if (!std::getline(in, line) || line != "setting,seed,generation,metric,value")
        throw DataError(
            "records CSV line 1: expected the header setting,seed,generation,metric,value");
    int line_number = 1;
    while (std::getline(in, line)) {
        ++line_number;
        if (line.empty()) continue;
        const auto cells = split_csv_line(line);
        if (cells.size() != 5)
            throw DataError(fmt::format("records CSV line {}: {} fields, expected 5", line_number,
                                        cells.size()));
        Record r;
        r.setting = cells[0];
        r.metric = cells[3];
        auto parse = [&](const std::string& cell, auto& value) {
            const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
            if (ec != std::errc() || end != cell.data() + cell.size())
                throw DataError(
                    fmt::format("records CSV line {}: '{}' is not a number", line_number, cell));
        };
        parse(cells[1], r.seed);
        parse(cells[2], r.generation);
        parse(cells[4], r.value);
        records.push_back(std::move(r));
    }
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
