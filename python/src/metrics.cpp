#include <string>

#include "arrays.h"
#include "bindings.h"
#include "madlab/core/error.h"
#include "madlab/metrics/frechet.h"
#include "madlab/metrics/kid.h"
#include "madlab/metrics/prdc.h"

namespace madlab::python {

namespace {

void check_same_dim(const PointsArg& real, const PointsArg& fake) {
    if (real.view().cols() != fake.view().cols())
        throw DataError("real has " + std::to_string(real.view().cols()) +
                        " columns but fake has " + std::to_string(fake.view().cols()) +
                        "; both must hold points of the same dimension");
}

}  // namespace

void bind_metrics(py::module_& m) {
    m.def(
        "prdc",
        [](const py::handle& real_array, const py::handle& fake_array, int k, int threads) {
            const PointsArg real(real_array, "real"), fake(fake_array, "fake");
            check_same_dim(real, fake);
            PrdcResult r;
            {
                py::gil_scoped_release release;
                r = compute_prdc(real.view(), fake.view(), k, checked_threads(threads));
            }
            py::dict out;
            out["precision"] = r.precision;
            out["recall"] = r.recall;
            out["density"] = r.density;
            out["coverage"] = r.coverage;
            return out;
        },
        py::arg("real"), py::arg("fake"), py::arg("k") = 5, py::arg("threads") = 0);
    m.def(
        "frechet",
        [](const py::handle& real_array, const py::handle& fake_array, int threads) {
            const PointsArg real(real_array, "real"), fake(fake_array, "fake");
            check_same_dim(real, fake);
            const int used = checked_threads(threads);
            py::gil_scoped_release release;
            return frechet_distance(real.view(), fake.view(), used);
        },
        py::arg("real"), py::arg("fake"), py::arg("threads") = 0);
    m.def(
        "kid",
        [](const py::handle& real_array, const py::handle& fake_array, int subsets, int subset_size,
           std::uint64_t seed, int threads) {
            const PointsArg real(real_array, "real"), fake(fake_array, "fake");
            check_same_dim(real, fake);
            KidOptions options;
            options.subsets = subsets;
            options.subset_size = subset_size;
            options.seed = seed;
            options.threads = checked_threads(threads);
            KidResult r;
            {
                py::gil_scoped_release release;
                r = compute_kid(real.view(), fake.view(), options);
            }
            py::dict out;
            out["kid"] = r.kid;
            out["kid_std"] = r.kid_std;
            out["subset_size"] = r.subset_size;
            return out;
        },
        py::arg("real"), py::arg("fake"), py::arg("subsets") = 100, py::arg("subset_size") = 1000,
        py::arg("seed") = 0, py::arg("threads") = 0);
    // The address the C++ side reads for `array` (tests check that no copy was made).
    m.def("_view_address", [](const py::handle& array) {
        const PointsArg points(array, "array");
        return reinterpret_cast<std::uintptr_t>(points.data());
    });
}

}  // namespace madlab::python
