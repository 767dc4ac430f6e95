#pragma once
// numpy arrays in and out of the C++ library without copies where the layout allows.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <string>

#include "madlab/core/matrix.h"

namespace madlab::python {

namespace py = pybind11;

// A point set passed from Python: an n x d view of the caller's array when it is aligned float64
// with contiguous columns and rows that do not overlap (C order, or a row or column slice of a
// C-ordered array), else a float64 C-ordered copy that `storage` keeps alive. A 1-D array is one
// column. Throws madlab::DataError naming `what` when the array is not 1-D or 2-D or has no
// points, and, with `finite` (the default), when it holds NaN or infinity.
class PointsArg {
public:
    PointsArg(const py::handle& array, const std::string& what, bool finite = true);
    const MatrixView& view() const { return *view_; }
    // The address the view reads (the caller's buffer when nothing was copied).
    const double* data() const { return view_->data(); }

private:
    py::array storage_;
    std::unique_ptr<MatrixView> view_;
};

// A new float64 n x d numpy array holding a copy of `x`.
py::array_t<double> to_numpy(const Matrix& x);

}  // namespace madlab::python
