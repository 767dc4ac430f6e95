#include "madlab/data/csv_reader.h"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <system_error>

#include "io_util.h"
#include "madlab/core/error.h"
#include "madlab/core/printable.h"

namespace madlab {

namespace {

// Hands out the lines of a file one at a time from a growing block buffer. A returned line is
// valid until the next call.
class LineReader {
public:
    LineReader(std::FILE* file, const std::string& path) : file_(file), path_(path) {}

    // Next line without its '\n' or "\r\n"; false at the end of the file.
    bool next(std::string_view& line) {
        for (;;) {
            const char* begin = buffer_.data() + pos_;
            const std::size_t available = size_ - pos_;
            const auto* newline = static_cast<const char*>(std::memchr(begin, '\n', available));
            if (newline) {
                line = std::string_view(begin, static_cast<std::size_t>(newline - begin));
                pos_ += line.size() + 1;
                return finish(line);
            }
            if (eof_) {
                if (available == 0) return false;
                line = std::string_view(begin, available);
                pos_ = size_;
                return finish(line);
            }
            // Move the partial line to the front and read the next block behind it.
            std::memmove(buffer_.data(), begin, available);
            pos_ = 0;
            size_ = available;
            if (size_ == buffer_.size()) buffer_.resize(2 * buffer_.size());
            const std::size_t got =
                std::fread(buffer_.data() + size_, 1, buffer_.size() - size_, file_);
            if (got == 0) {
                if (std::ferror(file_)) {
                    throw DataError(fmt::format("error while reading data file '{}': {}", path_,
                                                std::strerror(errno)));
                }
                eof_ = true;
            }
            size_ += got;
        }
    }

private:
    static bool finish(std::string_view& line) {
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        return true;
    }

    std::FILE* file_;
    const std::string& path_;
    std::vector<char> buffer_ = std::vector<char>(std::size_t{1} << 20);
    std::size_t pos_ = 0;
    std::size_t size_ = 0;
    bool eof_ = false;
};

bool is_cell_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_cell(std::string_view s) {
    while (!s.empty() && is_cell_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_cell_space(s.back())) s.remove_suffix(1);
    return s;
}

bool is_blank(std::string_view s) { return trim_cell(s).empty(); }

// One cell of a line: its text without surrounding spaces (and without its quotes if quoted;
// a doubled quote "" inside stays doubled).
struct Cell {
    std::string_view text;
    bool quoted = false;
};

enum class CellStatus { kOk, kUnterminatedQuote, kTextAfterQuote };

// Reads the cell of `line` that starts at `pos` into `cell` and moves `pos` to the start of the
// next cell, or to npos after the last cell of the line.
CellStatus next_cell(std::string_view line, std::size_t& pos, Cell& cell) {
    std::size_t i = pos;
    while (i < line.size() && is_cell_space(line[i])) ++i;
    if (i < line.size() && line[i] == '"') {
        std::size_t close = i + 1;
        for (;;) {
            close = line.find('"', close);
            if (close == std::string_view::npos) return CellStatus::kUnterminatedQuote;
            if (close + 1 < line.size() && line[close + 1] == '"') {
                close += 2;
                continue;
            }
            break;
        }
        cell.text = line.substr(i + 1, close - i - 1);
        cell.quoted = true;
        std::size_t k = close + 1;
        while (k < line.size() && is_cell_space(line[k])) ++k;
        if (k == line.size()) {
            pos = std::string_view::npos;
        } else if (line[k] == ',') {
            pos = k + 1;
        } else {
            return CellStatus::kTextAfterQuote;
        }
        return CellStatus::kOk;
    }
    const std::size_t comma = line.find(',', i);
    const std::size_t end = comma == std::string_view::npos ? line.size() : comma;
    cell.text = trim_cell(line.substr(i, end - i));
    cell.quoted = false;
    pos = comma == std::string_view::npos ? std::string_view::npos : comma + 1;
    return CellStatus::kOk;
}

std::size_t count_cells(std::string_view line) {
    std::size_t count = 0;
    std::size_t pos = 0;
    Cell cell;
    while (pos != std::string_view::npos) {
        if (next_cell(line, pos, cell) != CellStatus::kOk) return count + 1;
        ++count;
    }
    return count;
}

enum class ParseStatus { kOk, kEmpty, kNotNumber, kNotFinite };

// Parses a whole cell as a double (std::from_chars: locale independent). An underflowing value
// such as 1e-400 becomes 0 (with its sign); an overflowing one is not finite.
ParseStatus parse_double(std::string_view s, double& out) {
    if (s.empty()) return ParseStatus::kEmpty;
    const char* begin = s.data();
    const char* end = begin + s.size();
    if (*begin == '+') {
        ++begin;
        if (begin == end || *begin == '-' || *begin == '+') return ParseStatus::kNotNumber;
    }
    const auto [ptr, ec] = std::from_chars(begin, end, out);
    if (ptr != end) return ParseStatus::kNotNumber;
    if (ec == std::errc::invalid_argument) return ParseStatus::kNotNumber;
    if (ec == std::errc::result_out_of_range) {
        const std::size_t e = s.find_first_of("eE");
        if (e != std::string_view::npos && e + 1 < s.size() && s[e + 1] == '-') {
            out = s.front() == '-' ? -0.0 : 0.0;
            return ParseStatus::kOk;
        }
        return ParseStatus::kNotFinite;
    }
    if (ec != std::errc()) return ParseStatus::kNotNumber;
    return std::isfinite(out) ? ParseStatus::kOk : ParseStatus::kNotFinite;
}

// A cell's text for an error message: quoted, shortened if long, with bytes a terminal would
// not print as text (NUL, escape sequences, bytes that are not UTF-8) escaped.
std::string quote_cell(std::string_view text) {
    if (text.size() > 40) return fmt::format("'{}...'", printable(text.substr(0, 37)));
    return fmt::format("'{}'", printable(text));
}

std::string unquote(const Cell& cell) {
    std::string name(cell.text);
    if (!cell.quoted) return name;
    std::string out;
    for (std::size_t i = 0; i < name.size(); ++i) {
        out += name[i];
        if (name[i] == '"' && i + 1 < name.size() && name[i + 1] == '"') ++i;
    }
    return out;
}

bool is_row_name_header(const std::string& name) {
    return name.empty() || name == "rownames" || name == "Unnamed: 0";
}

// Everything an error message needs to name the place at fault.
class Place {
public:
    Place(const std::string& path, const std::vector<std::string>& names)
        : path_(path), names_(names) {}

    // "path line 5 column 2 (waiting)"; column is 0-based in the file.
    std::string at(std::size_t line, std::size_t column) const {
        if (column < names_.size() && !names_[column].empty()) {
            return fmt::format("{} line {} column {} ({})", path_, line, column + 1,
                               printable(names_[column]));
        }
        return fmt::format("{} line {} column {}", path_, line, column + 1);
    }

private:
    const std::string& path_;
    const std::vector<std::string>& names_;  // the header's names per file column, or empty
};

[[noreturn]] void throw_cell_error(const Place& place, std::size_t line, std::size_t column,
                                   std::string_view text, ParseStatus status) {
    switch (status) {
        case ParseStatus::kEmpty:
            throw DataError(fmt::format("{} is empty; fill in a number or remove the row",
                                        place.at(line, column)));
        case ParseStatus::kNotFinite:
            throw DataError(fmt::format("{}: {} is not a finite number; remove or impute the row",
                                        place.at(line, column), quote_cell(text)));
        default:
            throw DataError(fmt::format(
                "{}: {} is not a number; cells must be plain numbers such as 3.5 or -1e-3 (fix "
                "the cell or remove the row)",
                place.at(line, column), quote_cell(text)));
    }
}

[[noreturn]] void throw_quote_error(const Place& place, std::size_t line, std::size_t column,
                                    CellStatus status) {
    if (status == CellStatus::kUnterminatedQuote) {
        throw DataError(fmt::format(
            "{}: a quoted cell has no closing quote (\"); close it (quoted cells cannot span "
            "lines)",
            place.at(line, column)));
    }
    throw DataError(fmt::format(
        "{}: text follows the closing quote of a quoted cell; put a comma after the quote",
        place.at(line, column)));
}

[[noreturn]] void throw_ragged(const std::string& path, std::size_t line, std::size_t cells,
                               std::size_t expected, std::size_t first_line) {
    throw DataError(fmt::format(
        "{} line {}: {} cell{}, expected {} like line {}; every row needs the same number of "
        "comma-separated cells",
        path, line, cells, cells == 1 ? "" : "s", expected, first_line));
}

}  // namespace

CsvTable read_csv_table(const std::string& path, const CsvOptions& options) {
    detail::FilePtr file = detail::open_for_reading(path);
    LineReader reader(file.get(), path);

    std::string_view line;
    std::size_t line_number = 0;
    // Skip the preamble, then blank lines, to reach the first line.
    for (std::size_t i = 0; i < options.skip_rows; ++i) {
        if (!reader.next(line)) {
            throw DataError(
                fmt::format("{} has only {} lines but skip_rows = {} skips {}; it has no data rows",
                            path, line_number, options.skip_rows, options.skip_rows));
        }
        ++line_number;
    }
    bool found = false;
    while (reader.next(line)) {
        ++line_number;
        if (line_number == 1 && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);  // BOM
        if (line_number == 1 && !wide_text_encoding(line).empty())
            throw DataError(fmt::format(
                "{} is {} text (it starts with a byte-order mark); madlab reads CSV as UTF-8: "
                "convert it, e.g. iconv -f {} -t UTF-8 {} > converted.csv",
                path, wide_text_encoding(line), wide_text_encoding(line), path));
        if (!is_blank(line)) {
            found = true;
            break;
        }
    }
    if (!found) {
        if (options.skip_rows > 0) {
            throw DataError(fmt::format(
                "{} has no lines after the {} skipped by skip_rows; a CSV data file has one point "
                "per line, numbers separated by commas",
                path, options.skip_rows));
        }
        throw DataError(fmt::format(
            "{} is empty; a CSV data file has one point per line, numbers separated by commas",
            path));
    }

    // Classify the first line: header (no cell is a number), data (all are) or neither.
    const std::size_t first_line = line_number;
    std::vector<std::string> names;
    std::vector<double> values;
    std::size_t expected = 0;
    {
        std::vector<std::string> cells;
        std::size_t numeric = 0;
        std::size_t first_text = 0;  // first cell that is not a number
        ParseStatus first_text_status = ParseStatus::kOk;
        std::size_t pos = 0;
        Cell cell;
        const Place place(path, names);
        while (pos != std::string_view::npos) {
            const CellStatus status = next_cell(line, pos, cell);
            if (status != CellStatus::kOk)
                throw_quote_error(place, line_number, cells.size(), status);
            double value;
            const ParseStatus parsed = parse_double(cell.text, value);
            if (parsed == ParseStatus::kOk || parsed == ParseStatus::kNotFinite) {
                ++numeric;
            } else if (first_text_status == ParseStatus::kOk) {
                first_text = cells.size();
                first_text_status = parsed;
            }
            cells.push_back(unquote(cell));
        }
        expected = cells.size();
        bool header = numeric == 0;
        if (options.header.has_value()) header = *options.header;
        if (header) {
            names = std::move(cells);
        } else if (numeric != expected && !options.header.has_value()) {
            throw DataError(fmt::format(
                "{}: {} is not a number, but other cells of line {} are, so it is neither a "
                "header nor a data row; fix the cell, or set header = true if line {} is a "
                "header, or skip_rows = {} if it is a preamble (like scikit-learn's \"n, d, class "
                "names\" line)",
                place.at(line_number, first_text), quote_cell(cells[first_text]), line_number,
                line_number, options.skip_rows + 1));
        }
    }
    const bool drop_first =
        options.drop_row_names && !names.empty() && expected > 1 && is_row_name_header(names[0]);
    const std::size_t first_column = drop_first ? 1 : 0;
    const std::size_t d = expected - first_column;
    const Place place(path, names);

    // Parses the data row in `line` onto the end of `values`.
    auto parse_row = [&](std::string_view row) {
        std::size_t pos = 0;
        std::size_t column = 0;
        Cell cell;
        while (pos != std::string_view::npos) {
            if (column == expected) {
                throw_ragged(path, line_number, count_cells(row), expected, first_line);
            }
            const CellStatus status = next_cell(row, pos, cell);
            if (status != CellStatus::kOk) throw_quote_error(place, line_number, column, status);
            if (column >= first_column) {
                double value;
                const ParseStatus parsed = parse_double(cell.text, value);
                if (parsed != ParseStatus::kOk) {
                    throw_cell_error(place, line_number, column, cell.text, parsed);
                }
                values.push_back(value);
            }
            ++column;
        }
        if (column != expected) throw_ragged(path, line_number, column, expected, first_line);
    };

    if (names.empty()) parse_row(line);
    while (reader.next(line)) {
        ++line_number;
        if (is_blank(line)) continue;
        parse_row(line);
    }
    if (values.empty()) {
        throw DataError(fmt::format(
            "{} has a header (line {}) but no data rows; add rows of comma-separated numbers", path,
            first_line));
    }

    CsvTable table;
    const auto n = static_cast<Eigen::Index>(values.size() / d);
    table.values = Eigen::Map<const Matrix>(values.data(), n, static_cast<Eigen::Index>(d));
    if (!names.empty()) {
        table.columns.assign(names.begin() + static_cast<std::ptrdiff_t>(first_column),
                             names.end());
    }
    return table;
}

Matrix read_csv(const std::string& path, const CsvOptions& options) {
    return read_csv_table(path, options).values;
}

}  // namespace madlab
