#include <exception>
#include <new>

#include "bindings.h"
#include "madlab/core/error.h"

namespace madlab::python {

namespace {

// Raises the class `name` of madlab.errors with `message`.
void raise(const char* name, const char* message) {
    const py::object type = py::module_::import("madlab.errors").attr(name);
    PyErr_SetString(type.ptr(), message);
}

}  // namespace

void bind_errors(py::module_&) {
    py::register_exception_translator([](std::exception_ptr thrown) {
        try {
            if (thrown) std::rethrow_exception(thrown);
        } catch (const ConfigError& e) {
            raise("ConfigError", e.what());
        } catch (const DataError& e) {
            raise("DataError", e.what());
        } catch (const NumericalError& e) {
            raise("NumericalError", e.what());
        } catch (const Error& e) {
            raise("Error", e.what());
        }
    });
}

}  // namespace madlab::python
