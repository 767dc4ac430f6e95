#include "madlab/metrics/blas.h"

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>

#include "blas_api.h"

#if defined(MADLAB_OPENBLAS_SONAME)
#include <dlfcn.h>
#include <strings.h>
#endif

namespace madlab {
namespace {

struct Loaded {
    blas::Api api{};
    bool ok = false;
    std::string description = "OpenBLAS not used (madlab was built without it); Eigen only";
};

std::atomic<bool> g_enabled{true};

#if defined(MADLAB_OPENBLAS_SONAME)
// The OpenBLAS kernels this CPU runs; nullptr when no override is needed or known.
const char* best_core_type() {
#if defined(__x86_64__) || defined(__i386__)
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
    if (__builtin_cpu_supports("avx")) return "Sandybridge";
#endif
    return nullptr;
}

// OPENBLAS_CORETYPE is set during static initialisation, while the process still has one
// thread: setenv while another thread may read the environment is undefined behaviour, and
// OpenBLAS is loaded later, on first use, from whichever thread needs it. An existing value is
// kept (setenv's last argument 0).
const bool g_core_type_chosen = [] {
    const char* core = best_core_type();
    if (core != nullptr) setenv("OPENBLAS_CORETYPE", core, 0);
    return core != nullptr;
}();

template <class F>
bool resolve(void* handle, const char* name, F& out) {
    out = reinterpret_cast<F>(dlsym(handle, name));
    return out != nullptr;
}

bool same_name(const char* a, const char* b) { return a != nullptr && strcasecmp(a, b) == 0; }

// OpenBLAS loaded with the kernels OPENBLAS_CORETYPE names: the process's own copy when it has
// them, or else a private copy. A program that links LibTorch (madlab's own binary and tests
// with the neural families), or a Python process that imported numpy, loads OpenBLAS at its
// start, before g_core_type_chosen runs; its DYNAMIC_ARCH detection then picks generic Prescott
// kernels on CPUs newer than it knows (0.3.21 on Sapphire Rapids: about 14x slower at d =
// 2048), and which kernels ran would depend on how the program was linked. OpenBLAS reads
// OPENBLAS_CORETYPE only when it starts, so the private copy is loaded in a link-map namespace
// of its own (dlmopen), where it starts again. nullptr when OpenBLAS cannot be loaded.
void* open_with_chosen_kernels(const char* soname) {
    void* handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    // Not in the process yet: its constructor reads OPENBLAS_CORETYPE (g_core_type_chosen).
    if (handle == nullptr) return dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    const char* wanted = std::getenv("OPENBLAS_CORETYPE");
    char* (*core_name)() = nullptr;
    if (wanted == nullptr || !resolve(handle, "openblas_get_corename", core_name) ||
        same_name(core_name(), wanted))
        return handle;
    void* own = dlmopen(LM_ID_NEWLM, soname, RTLD_NOW | RTLD_LOCAL);
    return own != nullptr ? own : handle;
}

Loaded load() {
    Loaded out;
    const char* soname = MADLAB_OPENBLAS_SONAME;
    void* handle = open_with_chosen_kernels(soname);
    if (handle == nullptr) {
        out.description = std::string("OpenBLAS not found (") + soname +
                          "); Eigen only. Install it with scripts/install-deps.sh";
        return out;
    }
    char* (*core_name)() = nullptr;
    char* (*config)() = nullptr;
    const bool all = resolve(handle, "cblas_sgemm", out.api.sgemm) &&
                     resolve(handle, "cblas_dgemm", out.api.dgemm) &&
                     resolve(handle, "cblas_dsyrk", out.api.dsyrk) &&
                     resolve(handle, "dpotrf_", out.api.dpotrf) &&
                     resolve(handle, "dsygst_", out.api.dsygst) &&
                     resolve(handle, "dsyevd_", out.api.dsyevd) &&
                     resolve(handle, "openblas_set_num_threads", out.api.set_num_threads);
    if (!all) {
        out.description = std::string(soname) + " lacks a BLAS or LAPACK routine; Eigen only";
        return out;
    }
    out.api.set_num_threads(1);  // madlab parallelises over fixed blocks itself (blas.h)
    resolve(handle, "openblas_get_corename", core_name);
    resolve(handle, "openblas_get_config", config);
    out.description = std::string(config != nullptr ? config() : "OpenBLAS") + " (" +
                      (core_name != nullptr ? core_name() : "unknown") + " kernels)";
    out.ok = true;
    return out;
}
#else
Loaded load() { return Loaded{}; }
#endif

const Loaded& loaded() {
    static const Loaded instance = load();
    return instance;
}

}  // namespace

namespace blas {
const Api* api() {
    if (!g_enabled.load(std::memory_order_relaxed)) return nullptr;
    const Loaded& l = loaded();
    return l.ok ? &l.api : nullptr;
}
}  // namespace blas

bool blas_available() { return blas::api() != nullptr; }

std::string blas_description() {
    if (!g_enabled.load()) return "OpenBLAS disabled; Eigen only";
    return loaded().description;
}

void set_blas_enabled(bool enabled) { g_enabled.store(enabled); }

}  // namespace madlab
