#include "arrays.h"

#include <fmt/core.h>

#include <cmath>
#include <memory>

#include "madlab/core/error.h"

namespace madlab::python {

namespace {

using Strided = Eigen::Map<const Matrix, Eigen::Unaligned, Eigen::OuterStride<>>;

bool has_unit_column_stride(const py::array& a) {
    if (a.ndim() == 1) return a.strides(0) == static_cast<py::ssize_t>(sizeof(double));
    return a.shape(1) <= 1 || a.strides(1) == static_cast<py::ssize_t>(sizeof(double));
}

// Rows that start a whole number of doubles apart and do not overlap (a row stride of at least
// d doubles; a single row has any stride).
bool rows_are_apart(const py::array& a) {
    if (a.ndim() == 1 || a.shape(0) <= 1) return true;
    const auto width = static_cast<py::ssize_t>(sizeof(double)) * a.shape(1);
    return a.strides(0) >= width && a.strides(0) % static_cast<py::ssize_t>(sizeof(double)) == 0;
}

bool aligned(const py::array& a) {
    return (a.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_) != 0;
}

}  // namespace

PointsArg::PointsArg(const py::handle& handle, const std::string& what, bool finite) {
    py::array array = py::array::ensure(handle);
    if (!array)
        throw DataError(
            fmt::format("{}: expected a numpy array (or something numpy.asarray "
                        "turns into one) of shape (n, d)",
                        what));
    if (array.ndim() != 1 && array.ndim() != 2)
        throw DataError(
            fmt::format("{}: expected an array of shape (n, d) or (n,), got {} "
                        "dimensions",
                        what, array.ndim()));
    // numpy's conversion below keeps a misaligned buffer as it is: copy it first.
    if (!aligned(array))
        array = py::module_::import("numpy").attr("array")(array, py::arg("copy") = true);
    const bool is_double = array.dtype().is(py::dtype::of<double>());
    if (!is_double || !has_unit_column_stride(array) || !rows_are_apart(array))
        array = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(array);
    if (!array) throw DataError(fmt::format("{}: cannot convert the array to float64", what));
    storage_ = array;
    const Eigen::Index n = array.shape(0);
    const Eigen::Index d = array.ndim() == 2 ? array.shape(1) : 1;
    if (n == 0 || d == 0)
        throw DataError(
            fmt::format("{}: the array is empty (shape ({}, {})); give at least one "
                        "point",
                        what, n, d));
    const Eigen::Index row_stride =
        array.ndim() == 2 ? array.strides(0) / static_cast<py::ssize_t>(sizeof(double)) : 1;
    const auto* data = static_cast<const double*>(array.data());
    const Strided map(data, n, d, Eigen::OuterStride<>(n == 1 ? d : row_stride));
    view_ = std::make_unique<MatrixView>(map);
    if (!finite) return;
    for (Eigen::Index i = 0; i < n; ++i)
        for (Eigen::Index j = 0; j < d; ++j)
            if (!std::isfinite(map(i, j)))
                throw DataError(
                    fmt::format("{}: row {}, column {} is {}; remove or impute "
                                "non-finite values first",
                                what, i, j, map(i, j)));
}

py::array_t<double> to_numpy(const Matrix& x) {
    py::array_t<double> out({x.rows(), x.cols()});
    std::copy(x.data(), x.data() + x.size(), out.mutable_data());
    return out;
}

}  // namespace madlab::python
