#pragma once
// The source of real data: a built-in distribution or a data file. Real data trains generation
// 0 (and later generations under augmentation / fresh-data schedules); the held-out test set,
// which no model ever trains on, is what every metric compares against.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "madlab/core/matrix.h"
#include "madlab/core/rng.h"
#include "madlab/data/data_source.h"

namespace madlab {

// The source of vectors and images.
class RealSource : public DataSource<Matrix> {
public:
    virtual std::size_t dim() const = 0;

    // n training points. Built-in distributions draw fresh i.i.d. points; file sources draw n
    // distinct rows of the training split (rows of the test split are never returned). Throws
    // DataError if a file source has fewer than n training rows.
    Matrix draw_train(std::size_t n, Rng& rng) const override = 0;

    // The held-out test set of n points. Built-in distributions draw i.i.d. points with rng;
    // file sources return n rows of their test split (rng picks which) and throw DataError if
    // the split has fewer than n rows.
    Matrix draw_test(std::size_t n, Rng& rng) const override = 0;

    // Mean negative log-density (nats) of the rows of x under the source's true density, when
    // the source knows it (built-in distributions); nullopt for file sources. It is the floor a
    // model's held-out NLL on data of this source approaches. Requires x.cols() == dim().
    virtual std::optional<double> mean_nll(const Matrix& /*x*/) const { return std::nullopt; }
};

}  // namespace madlab
