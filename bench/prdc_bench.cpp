// compute_prdc: precision / recall / density / coverage (k = 5) of N real against M fake points,
// exact. 2000 x 2000 in 2-D is the per-generation metric of bench/configs/gmm_loop.toml (k-d
// tree path); 10000 x 10000 in d = 64 is shared/bench/reference/prdc.py's default (blocked
// brute force). The second argument is the thread count (0 = all cores).
#include <benchmark/benchmark.h>

#include "madlab/core/rng.h"
#include "madlab/data/builtin_sources.h"
#include "madlab/metrics/prdc.h"

namespace {

// As prdc.py: real ~ N(0, I), fake ~ 1.1 N(0, I) + 0.1.
madlab::Matrix normal_points(std::size_t n, long d, double scale, double shift,
                             std::uint64_t seed) {
    madlab::Rng rng(seed);
    madlab::Matrix x(n, d);
    for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = scale * rng.normal() + shift;
    return x;
}

void BM_PrdcGrid25(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const int threads = static_cast<int>(state.range(1));
    madlab::Rng rng(1);
    const auto grid = madlab::make_grid25();
    const madlab::Matrix real = grid.sample(n, rng);
    const madlab::Matrix fake = grid.sample(n, rng);
    for (auto _ : state) benchmark::DoNotOptimize(madlab::compute_prdc(real, fake, 5, threads));
}
BENCHMARK(BM_PrdcGrid25)
    ->Args({2000, 1})
    ->Args({2000, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_PrdcGaussian(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const long d = static_cast<long>(state.range(1));
    const int threads = static_cast<int>(state.range(2));
    const madlab::Matrix real = normal_points(n, d, 1.0, 0.0, 1);
    const madlab::Matrix fake = normal_points(n, d, 1.1, 0.1, 2);
    madlab::PrdcResult r;
    for (auto _ : state) {
        r = madlab::compute_prdc(real, fake, 5, threads);
        benchmark::DoNotOptimize(r);
    }
    // The values, to set beside prdc.py's (same distributions, different random numbers).
    state.counters["precision"] = r.precision;
    state.counters["recall"] = r.recall;
    state.counters["density"] = r.density;
    state.counters["coverage"] = r.coverage;
}
BENCHMARK(BM_PrdcGaussian)
    ->Args({2000, 64, 0})
    ->Args({10000, 64, 1})
    ->Args({10000, 64, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1)
    ->Repetitions(3)
    ->ReportAggregatesOnly(false);

}  // namespace
