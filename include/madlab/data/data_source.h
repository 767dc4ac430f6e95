#pragma once
// Where a chain's real data comes from, for every kind of data (models/generative_model.h says
// why the library is a template over the data kind): RealSource (data/real_source.h) for
// vectors and images, TextSource (data/text_source.h) for text. Real data trains generation 0
// (and later generations under augmentation / fresh-data schedules); the held-out test set,
// which no model ever trains on, is what every metric compares against.

#include <cstddef>
#include <optional>
#include <string>

#include "madlab/core/matrix.h"
#include "madlab/core/rng.h"

namespace madlab {

template <class Data>
class DataSource {
public:
    virtual ~DataSource() = default;

    // Short description for reports and errors, e.g. "grid25" or "csv:data/faithful.csv (272 x
    // 2)".
    virtual std::string describe() const = 0;

    // n training rows. Built-in distributions draw fresh i.i.d. rows; sources with a fixed
    // training split draw n distinct rows of it (rows of the test split are never returned)
    // and throw DataError if it has fewer than n.
    virtual Data draw_train(std::size_t n, Rng& rng) const = 0;

    // The held-out test set of a chain: n rows drawn with rng, or, for n = 0 and a source with
    // a fixed held-out split, the whole split in its order (text). Throws DataError if the split
    // has fewer than n rows, or none at all.
    virtual Data draw_test(std::size_t n, Rng& rng) const = 0;

    // The source's exact mean and covariance if it is a single Gaussian, else nullopt: metrics
    // use them for closed forms.
    virtual std::optional<GaussianParams> gaussian() const { return std::nullopt; }
};

}  // namespace madlab
