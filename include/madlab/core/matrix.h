#pragma once
// Data layout, fixed once for the whole library: a data set of n points in d dimensions is a
// row-major n x d Matrix; component j of point i is x(i, j) == x.data()[i * d + j].

#include <Eigen/Core>
#include <Eigen/Dense>

namespace madlab {

using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::VectorXd;
// Square matrices (covariances) are symmetric, so their storage order does not matter; column
// major keeps Eigen's decompositions on their fastest path.
using SquareMatrix = Eigen::MatrixXd;

// Mean and covariance of a Gaussian; what Gaussian sources and models expose so that metrics
// can use exact closed forms (e.g. the 2-Wasserstein distance) instead of samples.
struct GaussianParams {
    Vector mean;
    SquareMatrix covariance;
};

}  // namespace madlab
