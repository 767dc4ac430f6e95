#pragma once
// Reads a data set from a CSV file: one point per line, numeric cells separated by commas.
//
// Format accepted: cells may have spaces or tabs around them and may be in double quotes
// ("3.5"; a quoted cell may contain commas and "" for a quote); line ends are \n or \r\n; blank
// lines anywhere are skipped (as pandas does). Numbers are parsed with std::from_chars, so the
// locale never changes a result; a leading '+' is accepted. Every row must have the same number
// of cells and every value must be finite. The file is read in 1 MiB blocks, with no allocation
// per cell, so 100k x 64 files load in well under a second.
//
// Header: by default line 1 (after skip_rows) is a header when none of its cells is a number
// (e.g. "eruptions,waiting"), and data when all are; a line 1 that mixes numbers and names is an
// error that says to set `header` or `skip_rows`. Errors are DataError naming the file, the
// 1-based line and column, and what to do.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "madlab/core/matrix.h"

namespace madlab {

struct CsvOptions {
    // Lines to skip before the header or first data row, e.g. 1 for scikit-learn's iris.csv,
    // whose first line is "n, d, class names" (neither a header nor data).
    std::size_t skip_rows = 0;
    // Whether the first line after skip_rows is a header: nullopt detects it (see above).
    std::optional<bool> header;
    // Drop a first column whose header is "", "rownames" or "Unnamed: 0": the row names that R
    // (write.csv, the Rdatasets files such as faithful.csv) and pandas (to_csv) write. Its cells
    // are not parsed, so row names may be text. Only applies to files with a header.
    bool drop_row_names = true;
};

// A CSV file's values and column names.
struct CsvTable {
    Matrix values;                     // n x d, n >= 1, d >= 1, all finite
    std::vector<std::string> columns;  // the d header names (unquoted), or empty without header
};

// Reads `path`. Throws DataError if the file cannot be read, has no data rows, has rows of
// different lengths, or a cell that is empty, not a number, NaN or infinite.
CsvTable read_csv_table(const std::string& path, const CsvOptions& options = {});

// read_csv_table(path, options).values.
Matrix read_csv(const std::string& path, const CsvOptions& options = {});

}  // namespace madlab
