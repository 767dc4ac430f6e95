// Metrics at scale (issue 6): times the exact k-NN distance kernel (with its achieved GFLOP/s),
// the Frechet distance at large d (LAPACK path and Eigen path) and KID, and measures this
// machine's SGEMM peak through the same OpenBLAS the metrics load. A plain program:
//   metrics_scale_bench knn     --n 10000 --d 64 [--threads 0] [--repeat 3]
//   metrics_scale_bench sgemm   [--size 4096] [--threads 1|2] [--repeat 5]
//   metrics_scale_bench frechet --d 2048 [--n 10000] [--eigen] [--repeat 3]
//   metrics_scale_bench kid     --d 2048 [--n 10000] [--repeat 1]
// Prints one line per repetition and the best, with CPU seconds beside wall seconds (the
// machine may be shared: CPU time is the steadier figure for single-threaded work).
#include <fmt/core.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "../src/metrics/blas_api.h"
#include "madlab/core/parallel.h"
#include "madlab/core/rng.h"
#include "madlab/metrics/blas.h"
#include "madlab/metrics/frechet.h"
#include "madlab/metrics/kid.h"
#include "madlab/metrics/knn.h"

namespace {

struct Args {
    std::string what;
    long n = 10000;
    long d = 64;
    int threads = 0;
    int repeat = 3;
    long size = 4096;
    bool eigen = false;
};

Args parse(int argc, char** argv) {
    Args a;
    if (argc < 2) {
        fmt::print(stderr, "usage: metrics_scale_bench knn|sgemm|frechet|kid [options]\n");
        std::exit(2);
    }
    a.what = argv[1];
    for (int i = 2; i < argc; ++i) {
        const std::string key = argv[i];
        auto next = [&]() { return i + 1 < argc ? std::atol(argv[++i]) : 0L; };
        if (key == "--n")
            a.n = next();
        else if (key == "--d")
            a.d = next();
        else if (key == "--threads")
            a.threads = static_cast<int>(next());
        else if (key == "--repeat")
            a.repeat = static_cast<int>(next());
        else if (key == "--size")
            a.size = next();
        else if (key == "--eigen")
            a.eigen = true;
        else {
            fmt::print(stderr, "unknown option {}\n", key);
            std::exit(2);
        }
    }
    return a;
}

double cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}
double wall_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

madlab::Matrix normal_points(long n, long d, double scale, double shift, std::uint64_t seed) {
    madlab::Rng rng(seed);
    madlab::Matrix x(n, d);
    for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = scale * rng.normal() + shift;
    return x;
}

// Runs f `repeat` times; prints wall and CPU seconds and, when flops > 0, GFLOP/s of each.
template <class F>
void timed(const std::string& label, int repeat, double flops, F&& f) {
    double best_wall = 1e300, best_cpu = 1e300;
    for (int r = 0; r < repeat; ++r) {
        const double w0 = wall_seconds(), c0 = cpu_seconds();
        f();
        const double wall = wall_seconds() - w0, cpu = cpu_seconds() - c0;
        best_wall = std::min(best_wall, wall);
        best_cpu = std::min(best_cpu, cpu);
        fmt::print("{} run {}: wall {:.3f} s, cpu {:.3f} s", label, r + 1, wall, cpu);
        if (flops > 0) fmt::print(", {:.1f} GFLOP/s (wall)", flops / wall * 1e-9);
        fmt::print("\n");
    }
    fmt::print("{} best: wall {:.3f} s, cpu {:.3f} s", label, best_wall, best_cpu);
    if (flops > 0)
        fmt::print(", {:.1f} GFLOP/s (wall), {:.1f} GFLOP/s per CPU-second",
                   flops / best_wall * 1e-9, flops / best_cpu * 1e-9);
    fmt::print("\n");
}

}  // namespace

int main(int argc, char** argv) {
    const Args a = parse(argc, argv);
    fmt::print("blas: {}\nthreads: {}\n", madlab::blas_description(),
               madlab::resolve_threads(a.threads));
    if (a.what == "knn") {
        // The brute-force path (forced): radii of both sets, then both ball directions, as
        // compute_prdc does. A pair's distance costs 2d flops (d multiplies, d adds); the radii
        // evaluate each unordered pair once, the ball counts each (real, fake) pair once.
        const madlab::Matrix real = normal_points(a.n, a.d, 1.0, 0.0, 1);
        const madlab::Matrix fake = normal_points(a.n, a.d, 1.1, 0.1, 2);
        madlab::KnnOptions o;
        o.method = madlab::KnnMethod::kBruteForce;
        o.threads = a.threads;
        const double n = static_cast<double>(a.n), d = static_cast<double>(a.d);
        std::vector<double> rr, rf;
        timed("radii (both sets)", a.repeat, 2.0 * d * n * n, [&] {
            rr = madlab::kth_neighbour_sq_distances(real, 5, o);
            rf = madlab::kth_neighbour_sq_distances(fake, 5, o);
        });
        timed("ball counts (both directions)", a.repeat, 2.0 * d * n * n,
              [&] { madlab::mutual_ball_counts(real, rr, fake, rf, o); });
    } else if (a.what == "sgemm") {
        const madlab::blas::Api* api = madlab::blas::api();
        if (api == nullptr) {
            fmt::print("no OpenBLAS\n");
            return 1;
        }
        // Square C = A B^T in float, as the distance kernel's product; `--threads` OpenBLAS
        // threads (the metrics themselves always call it with 1).
        const long s = a.size;
        std::vector<float> x(static_cast<std::size_t>(s * s)), y(x.size()), c(x.size());
        for (std::size_t i = 0; i < x.size(); ++i) {
            x[i] = static_cast<float>(i % 7) * 0.1f;
            y[i] = static_cast<float>(i % 5) * 0.1f;
        }
        const int threads = a.threads > 0 ? a.threads : 1;
        api->set_num_threads(threads);
        const int n = static_cast<int>(s);
        timed(fmt::format("sgemm {}^3, {} BLAS thread(s)", s, threads), a.repeat,
              2.0 * static_cast<double>(s) * static_cast<double>(s) * static_cast<double>(s), [&] {
                  api->sgemm(madlab::blas::kRowMajor, madlab::blas::kNoTrans, madlab::blas::kTrans,
                             n, n, n, 1.0f, x.data(), n, y.data(), n, 0.0f, c.data(), n);
              });
        api->set_num_threads(1);
    } else if (a.what == "frechet") {
        const madlab::Matrix x = normal_points(a.n, a.d, 1.0, 0.0, 3);
        const madlab::Matrix y = normal_points(a.n, a.d, 1.2, 0.05, 4);
        madlab::set_blas_enabled(!a.eigen);
        madlab::GaussianParams px, py;
        timed("covariances (both sets)", a.repeat, 0.0, [&] {
            px = madlab::sample_mean_covariance(x, a.threads);
            py = madlab::sample_mean_covariance(y, a.threads);
        });
        double value = 0.0;
        timed("frechet from the covariances", a.repeat, 0.0, [&] {
            value = madlab::frechet_distance(px.mean, px.covariance, py.mean, py.covariance);
        });
        fmt::print("frechet = {:.10g} ({})\n", value, a.eigen ? "Eigen" : "LAPACK when loaded");
    } else if (a.what == "kid") {
        const madlab::Matrix x = normal_points(a.n, a.d, 1.0, 0.0, 5);
        const madlab::Matrix y = normal_points(a.n, a.d, 1.2, 0.05, 6);
        madlab::set_blas_enabled(!a.eigen);
        madlab::KidOptions o;
        o.threads = a.threads;
        madlab::KidResult r;
        timed("kid (100 subsets of 1000)", a.repeat, 0.0,
              [&] { r = madlab::compute_kid(x, y, o); });
        fmt::print("kid = {:.6g} +- {:.3g}\n", r.kid, r.kid_std);
    } else {
        fmt::print(stderr, "unknown benchmark {}\n", a.what);
        return 2;
    }
    return 0;
}
