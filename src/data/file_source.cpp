#include "madlab/data/file_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>

#include "madlab/core/error.h"
#include "madlab/data/npy_reader.h"

namespace madlab {

namespace {

void check_test_fraction(double test_fraction) {
    if (!(test_fraction > 0.0 && test_fraction < 1.0)) {
        throw ConfigError(fmt::format(
            "source.test_fraction = {} must be in (0, 1): it is the share of the file's rows held "
            "out for testing, e.g. 0.2",
            test_fraction));
    }
}

}  // namespace

FileSource::FileSource(Matrix data, std::string description, double test_fraction,
                       std::uint64_t split_seed)
    : data_(std::move(data)), description_(std::move(description)), test_fraction_(test_fraction) {
    check_test_fraction(test_fraction);
    const auto n = static_cast<std::size_t>(data_.rows());
    if (data_.cols() == 0) {
        throw DataError(
            fmt::format("source.path {} has no columns; it needs at least one", description_));
    }
    if (!data_.allFinite()) {
        for (Eigen::Index i = 0; i < data_.rows(); ++i) {
            for (Eigen::Index j = 0; j < data_.cols(); ++j) {
                if (!std::isfinite(data_(i, j))) {
                    throw DataError(fmt::format(
                        "source.path {}: row {} column {} (0-based) is {}, not a finite number; "
                        "remove or impute the row",
                        description_, i, j, data_(i, j)));
                }
            }
        }
    }
    // The 1e-9 keeps a product such as 0.7 * 10 = 7.000000000000001 from rounding up to 8.
    const auto wanted =
        static_cast<std::size_t>(std::ceil(test_fraction * static_cast<double>(n) - 1e-9));
    const std::size_t n_test = std::max<std::size_t>(1, wanted);
    if (n_test >= n) {
        throw DataError(fmt::format(
            "source.path {} has {} row{}: with source.test_fraction = {}, {} would be held out "
            "for testing and none would be left for training; use a larger data set or a smaller "
            "test_fraction",
            description_, n, n == 1 ? "" : "s", test_fraction, n_test));
    }
    Rng rng = Rng::stream({split_seed, hash_tag("split")});
    std::vector<std::size_t> order = sample_without_replacement(n, n, rng);
    test_rows_.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n_test));
    train_rows_.assign(order.begin() + static_cast<std::ptrdiff_t>(n_test), order.end());
}

std::string FileSource::describe() const {
    return fmt::format("{} ({} x {})", description_, data_.rows(), data_.cols());
}

Matrix FileSource::gather(const std::vector<std::size_t>& pool, std::size_t n, Rng& rng) const {
    const std::vector<std::size_t> pick = sample_without_replacement(pool.size(), n, rng);
    Matrix x(static_cast<Eigen::Index>(n), data_.cols());
    for (std::size_t i = 0; i < n; ++i) {
        x.row(static_cast<Eigen::Index>(i)) = data_.row(static_cast<Eigen::Index>(pool[pick[i]]));
    }
    return x;
}

Matrix FileSource::draw_train(std::size_t n, Rng& rng) const {
    if (n > train_rows_.size()) {
        throw DataError(fmt::format(
            "source.path {} has {} rows: {} held out for testing and {} for training, but the "
            "study asks for {} training rows per draw; lower schedule.n_real_initial / "
            "n_real_fixed / n_real_fresh, lower source.test_fraction, or use a larger data set",
            description_, rows(), n_test(), n_train(), n));
    }
    return gather(train_rows_, n, rng);
}

Matrix FileSource::draw_test(std::size_t n, Rng& rng) const {
    if (n > test_rows_.size()) {
        throw DataError(fmt::format(
            "source.path {} has {} rows: {} held out for testing (source.test_fraction = {}) and "
            "{} for training, but the study asks for {} test rows; lower metrics.n_eval, raise "
            "source.test_fraction, or use a larger data set",
            description_, rows(), n_test(), test_fraction_, n_train(), n));
    }
    return gather(test_rows_, n, rng);
}

FileSource load_file_source(const std::string& path, const FileSourceOptions& options) {
    check_test_fraction(options.test_fraction);
    std::string ext = std::filesystem::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    Matrix data;
    if (ext == ".csv") {
        data = read_csv(path, options.csv);
    } else if (ext == ".npy") {
        data = read_npy(path);
    } else if (ext == ".gz") {
        throw ConfigError(fmt::format(
            "source.path {} is gzip-compressed; madlab reads uncompressed files: run gunzip -k {} "
            "and point source.path at the result",
            path, path));
    } else {
        throw ConfigError(fmt::format(
            "source.path {} has {}; madlab reads .csv (comma-separated numbers, one point per "
            "line) and .npy (NumPy arrays of shape (n, d)): convert the file, or rename it if it "
            "is one of these",
            path, ext.empty() ? std::string("no extension") : "the extension '" + ext + "'"));
    }
    return FileSource(std::move(data), path, options.test_fraction, options.split_seed);
}

}  // namespace madlab
