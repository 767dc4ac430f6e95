#pragma once
// The parts of the extension module madlab._madlab, each defined in its own file.

#include <pybind11/pybind11.h>

namespace madlab::python {

namespace py = pybind11;

// madlab's errors as the Python classes of madlab.errors (ConfigError, DataError,
// NumericalError, Error), with the same message (errors.cpp).
void bind_errors(py::module_& m);
// prdc, frechet, kid on numpy arrays (metrics.cpp).
void bind_metrics(py::module_& m);
// The text metrics on lists of strings and the n-gram model (text.cpp).
void bind_text(py::module_& m);
// Studies: run, resume, the swept parameters of a config (studies.cpp).
void bind_studies(py::module_& m);

}  // namespace madlab::python
