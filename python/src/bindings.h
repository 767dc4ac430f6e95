#pragma once
// The parts of the extension module madlab._madlab, each defined in its own file.

#include <pybind11/pybind11.h>

#include <string>

#include "madlab/core/error.h"

namespace madlab::python {

namespace py = pybind11;

// `threads` of a call from Python: -1 (where allowed: the study's own), 0 (every core) up to
// 4096, as study.threads; throws ConfigError otherwise.
inline int checked_threads(int threads, int lowest = 0) {
    if (threads < lowest || threads > 4096)
        throw ConfigError("threads = " + std::to_string(threads) +
                          ": give 0 (every core) or a number of threads up to 4096");
    return threads;
}

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
