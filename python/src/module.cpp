// madlab._madlab: the C++ library under the Python package madlab (python/madlab). Every
// function releases the GIL while it computes and raises madlab.errors' exceptions.

#include "bindings.h"

PYBIND11_MODULE(_madlab, m) {
    m.doc() = "madlab's C++ library; use the package madlab, not this module directly";
    m.attr("__version__") = MADLAB_VERSION;
    madlab::python::bind_errors(m);
    madlab::python::bind_metrics(m);
    madlab::python::bind_text(m);
    madlab::python::bind_studies(m);
}
