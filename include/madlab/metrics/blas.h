#pragma once
// The optimised BLAS and LAPACK the metrics use for their large dense products and
// eigendecompositions (Frechet distance and KID at d = 2048), when this machine has one.
//
// madlab loads OpenBLAS (Debian's libopenblas0) at run time, on first use, instead of linking it:
// OpenBLAS picks its kernels for the CPU when it is loaded, and OpenBLAS 0.3.21 (Debian 12)
// does not know recent Xeons (it falls back to its generic "Prescott" kernels, 4 to 5 times
// slower; measured in bench/RESULTS.md). Before loading it, madlab therefore sets
// OPENBLAS_CORETYPE, when the environment does not already set it, to the kernels this CPU runs
// (SkylakeX with AVX-512, Haswell with AVX2 + FMA, Sandybridge with AVX). Without OpenBLAS every
// caller falls back to Eigen, with the same results up to rounding.
//
// BLAS calls always run on one thread (openblas_set_num_threads(1)); callers parallelise over
// fixed blocks themselves, so that a result never depends on the thread count.

#include <string>

namespace madlab {

// Whether OpenBLAS is loaded and enabled (loads it on the first call).
bool blas_available();

// What was loaded, for logs and benchmarks: e.g. "OpenBLAS 0.3.21 (SkylakeX kernels)", or why
// nothing was.
std::string blas_description();

// Turns the use of OpenBLAS off (false) or back on, for the whole process: tests and benchmarks
// compare both paths with it. Not thread-safe; call it between computations.
void set_blas_enabled(bool enabled);

}  // namespace madlab
