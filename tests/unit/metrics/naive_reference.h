#pragma once
// Naive O(N M) double-precision references for the k-NN and PRDC tests, straight from the
// definitions (prdc.h, SCIENCE.md section 6): every optimised path is held to these.

#include <algorithm>
#include <vector>

#include "madlab/core/matrix.h"
#include "madlab/metrics/prdc.h"

namespace madlab::testing {

inline double naive_sq_dist(const Matrix& a, Eigen::Index i, const Matrix& b, Eigen::Index j) {
    double s = 0.0;
    for (Eigen::Index t = 0; t < a.cols(); ++t) s += (a(i, t) - b(j, t)) * (a(i, t) - b(j, t));
    return s;
}

inline std::vector<double> naive_kth(const Matrix& x, int k) {
    std::vector<double> out;
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        std::vector<double> dist;
        for (Eigen::Index j = 0; j < x.rows(); ++j)
            if (j != i) dist.push_back(naive_sq_dist(x, i, x, j));
        std::nth_element(dist.begin(), dist.begin() + (k - 1), dist.end());
        out.push_back(dist[static_cast<std::size_t>(k - 1)]);
    }
    return out;
}

// PRDC straight from the definitions (prdc.h) with the naive radii.
inline PrdcResult naive_prdc(const Matrix& real, const Matrix& fake, int k) {
    const auto rr = naive_kth(real, k), rf = naive_kth(fake, k);
    std::vector<int> fake_in(static_cast<std::size_t>(fake.rows()), 0);
    std::vector<char> recalled(static_cast<std::size_t>(real.rows()), 0),
        covered(static_cast<std::size_t>(real.rows()), 0);
    for (Eigen::Index i = 0; i < real.rows(); ++i)
        for (Eigen::Index j = 0; j < fake.rows(); ++j) {
            const double d2 = naive_sq_dist(real, i, fake, j);
            if (d2 <= rr[static_cast<std::size_t>(i)]) {
                ++fake_in[static_cast<std::size_t>(j)];
                covered[static_cast<std::size_t>(i)] = 1;
            }
            if (d2 <= rf[static_cast<std::size_t>(j)]) recalled[static_cast<std::size_t>(i)] = 1;
        }
    PrdcResult r;
    long long inside = 0, hit = 0;
    for (int c : fake_in) {
        inside += c;
        hit += c > 0;
    }
    const auto n = static_cast<double>(real.rows()), m = static_cast<double>(fake.rows());
    r.precision = static_cast<double>(hit) / m;
    r.density = static_cast<double>(inside) / (k * m);
    r.recall = static_cast<double>(std::count(recalled.begin(), recalled.end(), 1)) / n;
    r.coverage = static_cast<double>(std::count(covered.begin(), covered.end(), 1)) / n;
    return r;
}

}  // namespace madlab::testing
