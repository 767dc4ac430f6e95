#pragma once
// A real source backed by a data set in memory, normally loaded from a .csv or .npy file (the
// config's source.path), with a deterministic held-out test split.
//
// Split: the row indices 0..n-1 are shuffled with Rng::stream({split_seed, hash_tag("split")})
// (a full Fisher-Yates shuffle by sample_without_replacement); the first
// n_test = max(1, ceil(test_fraction * n)) shuffled rows are the test split, the rest the
// training pool. The split depends only on the data, test_fraction and split_seed, so every seed
// and setting of a study that uses the same split_seed scores against the same test rows.
//
// Draws: draw_train(n, rng) returns n distinct rows of the training pool and draw_test(n, rng)
// n distinct rows of the test split, both chosen by sample_without_replacement with `rng` and
// returned in that (random) order. Separate calls are independent, so a row can appear in
// several draws: a "fresh" real batch from a file is fresh only up to the size of the file.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "madlab/core/matrix.h"
#include "madlab/core/rng.h"
#include "madlab/data/csv_reader.h"
#include "madlab/data/real_source.h"

namespace madlab {

class FileSource final : public RealSource {
public:
    // data: n x d with n >= 2, d >= 1 and every value finite, else DataError. description: where
    // the data came from, as the user wrote it (the value of source.path); describe() and error
    // messages use it. test_fraction must be in (0, 1) (ConfigError naming
    // source.test_fraction), and leave at least one training row (DataError otherwise).
    FileSource(Matrix data, std::string description, double test_fraction,
               std::uint64_t split_seed);

    std::string describe() const override;  // "data/faithful.csv (272 x 2)"
    std::size_t dim() const override { return static_cast<std::size_t>(data_.cols()); }
    // Throw DataError with the row counts and what to change if the split is too small.
    Matrix draw_train(std::size_t n, Rng& rng) const override;
    Matrix draw_test(std::size_t n, Rng& rng) const override;

    std::size_t rows() const { return static_cast<std::size_t>(data_.rows()); }
    std::size_t n_train() const { return train_rows_.size(); }
    std::size_t n_test() const { return test_rows_.size(); }
    const Matrix& data() const { return data_; }
    // Indices into data() of the training pool and the test split, in shuffled order; disjoint,
    // together 0..rows()-1.
    const std::vector<std::size_t>& train_rows() const { return train_rows_; }
    const std::vector<std::size_t>& test_rows() const { return test_rows_; }

private:
    Matrix gather(const std::vector<std::size_t>& pool, std::size_t n, Rng& rng) const;

    Matrix data_;
    std::string description_;
    double test_fraction_;
    std::vector<std::size_t> train_rows_;
    std::vector<std::size_t> test_rows_;
};

struct FileSourceOptions {
    double test_fraction = 0.2;    // share of rows held out for testing, in (0, 1)
    std::uint64_t split_seed = 0;  // seed of the train/test split
    CsvOptions csv;                // how to read .csv files
};

// Loads `path` by its extension (case-insensitive): .csv with read_csv, .npy with read_npy.
// Throws ConfigError naming source.path for any other extension (saying to gunzip a .gz file),
// ConfigError naming source.test_fraction if it is not in (0, 1) (checked before reading), and
// the readers' DataError for a bad file.
FileSource load_file_source(const std::string& path, const FileSourceOptions& options = {});

}  // namespace madlab
