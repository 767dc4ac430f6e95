// GmmModel: one EM fit (k-means++ and Lloyd initialisation, then EM to tol 1e-3) of 25
// components on 2000 grid25 points, the work of one generation of bench/configs/gmm_loop.toml;
// and drawing 2000 samples from the fitted model.
#include <benchmark/benchmark.h>

#include "madlab/core/rng.h"
#include "madlab/data/builtin_sources.h"
#include "madlab/models/gmm.h"

namespace {

madlab::Matrix grid_points(std::size_t n, std::uint64_t seed) {
    madlab::Rng rng(seed);
    return madlab::make_grid25().sample(n, rng);
}

madlab::GmmOptions options(int components) {
    madlab::GmmOptions o;
    o.components = components;
    o.max_iter = 100;
    o.tol = 1e-3;
    o.reg_covar = 1e-6;
    return o;
}

void BM_GmmFit(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const int k = static_cast<int>(state.range(1));
    const madlab::Matrix x = grid_points(n, 1);
    std::int64_t iterations = 0, fits = 0;
    std::uint64_t seed = 0;
    for (auto _ : state) {
        madlab::GmmModel model(options(k));
        madlab::Rng rng(seed++);  // a different initialisation each time, as in a loop
        const madlab::FitInfo info = model.fit(x, rng);
        iterations += info.iterations;
        ++fits;
        benchmark::DoNotOptimize(model.lower_bound());
    }
    state.counters["em_iters"] = benchmark::Counter(static_cast<double>(iterations) / fits);
    state.counters["points"] =
        benchmark::Counter(static_cast<double>(n) * fits, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_GmmFit)
    ->Args({2000, 25})
    ->Args({4000, 25})
    ->Args({2000, 8})
    ->Unit(benchmark::kMillisecond);

void BM_GmmSample(benchmark::State& state) {
    const madlab::Matrix x = grid_points(2000, 1);
    madlab::GmmModel model(options(25));
    madlab::Rng fit_rng(7);
    model.fit(x, fit_rng);
    madlab::Rng rng(3);
    const auto n = static_cast<std::size_t>(state.range(0));
    for (auto _ : state) benchmark::DoNotOptimize(model.sample(n, 1.0, rng).data());
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}
BENCHMARK(BM_GmmSample)->Arg(2000)->Unit(benchmark::kMicrosecond);

void BM_GmmMeanNll(benchmark::State& state) {
    const madlab::Matrix x = grid_points(2000, 1);
    const madlab::Matrix test = grid_points(2000, 2);
    madlab::GmmModel model(options(25));
    madlab::Rng fit_rng(7);
    model.fit(x, fit_rng);
    for (auto _ : state) benchmark::DoNotOptimize(model.mean_nll(test));
}
BENCHMARK(BM_GmmMeanNll)->Unit(benchmark::kMicrosecond);

}  // namespace
