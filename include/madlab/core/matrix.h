#pragma once
// Data layout, fixed once for the whole library: a data set of n points in d dimensions is a
// row-major n x d Matrix; component j of point i is x(i, j) == x.data()[i * d + j].

#include <Eigen/Core>
#include <Eigen/Dense>
#include <cstddef>
#include <vector>

namespace madlab {

using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::VectorXd;
// A read-only view of an n x d point set without a copy: a Matrix, a block of its rows or
// columns, or row-major memory that another library owns (a numpy array, through the Python
// package). Row i starts at data() + i * outerStride(), which may exceed cols(). Functions that
// only read a point set (the metrics) take one, so that a caller's data is never copied to call
// them.
using MatrixView = Eigen::Ref<const Matrix>;
// Square matrices (covariances) are symmetric, so their storage order does not matter; column
// major keeps Eigen's decompositions on their fastest path.
using SquareMatrix = Eigen::MatrixXd;

// Mean and covariance of a Gaussian; what Gaussian sources and models expose so that metrics
// can use exact closed forms (e.g. the 2-Wasserstein distance) instead of samples.
// Row operations that the loop's training sets (loop/schedule.h) use for every kind of data;
// data/corpus.h has the same three for text, a line being a row.
inline std::size_t row_count(const Matrix& x) { return static_cast<std::size_t>(x.rows()); }
// Appends the rows of `rows` below those of `to` (an empty `to` takes their width).
void append_rows(Matrix& to, const Matrix& rows);
// The given rows of x, in the given order.
Matrix select_rows(const Matrix& x, const std::vector<std::size_t>& rows);

struct GaussianParams {
    Vector mean;
    SquareMatrix covariance;
};

}  // namespace madlab
