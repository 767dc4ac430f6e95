// KdeModel: the held-out NLL of 1000 test points under a KDE of 1000 training points (the
// per-generation metric of bench/configs/kde_loop.toml), in 2-D and above kDirectMaxDim (the
// matrix-product path); fit and sampling for completeness.
#include <benchmark/benchmark.h>

#include "madlab/core/rng.h"
#include "madlab/data/builtin_sources.h"
#include "madlab/models/kde.h"

namespace {

madlab::KdeOptions fixed(double h) {
    madlab::KdeOptions o;
    o.rule = madlab::KdeOptions::Rule::kFixed;
    o.bandwidth = h;
    return o;
}

madlab::Matrix normal_points(std::size_t n, long d, std::uint64_t seed) {
    madlab::Rng rng(seed);
    madlab::Matrix x(n, d);
    for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = rng.normal();
    return x;
}

void BM_KdeMeanNllGrid(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    madlab::Rng rng(1);
    const auto grid = madlab::make_grid25();
    const madlab::Matrix train = grid.sample(n, rng);
    const madlab::Matrix test = grid.sample(n, rng);
    madlab::KdeModel kde(fixed(0.1));
    madlab::Rng fit_rng(2);
    kde.fit(train, fit_rng);
    for (auto _ : state) benchmark::DoNotOptimize(kde.mean_nll(test));
    state.counters["pairs"] = benchmark::Counter(
        static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(state.iterations()),
        benchmark::Counter::kIsRate);
}
BENCHMARK(BM_KdeMeanNllGrid)->Arg(1000)->Arg(4000)->Unit(benchmark::kMicrosecond);

void BM_KdeMeanNllHighDim(benchmark::State& state) {
    const long d = static_cast<long>(state.range(0));
    const madlab::Matrix train = normal_points(1000, d, 1);
    const madlab::Matrix test = normal_points(1000, d, 2);
    madlab::KdeModel kde;  // Scott's rule
    madlab::Rng fit_rng(2);
    kde.fit(train, fit_rng);
    for (auto _ : state) benchmark::DoNotOptimize(kde.mean_nll(test));
}
BENCHMARK(BM_KdeMeanNllHighDim)->Arg(8)->Arg(64)->Unit(benchmark::kMicrosecond);

void BM_KdeFitSample(benchmark::State& state) {
    madlab::Rng rng(1);
    const madlab::Matrix train = madlab::make_grid25().sample(1000, rng);
    for (auto _ : state) {
        madlab::KdeModel kde(fixed(0.1));
        kde.fit(train, rng);
        benchmark::DoNotOptimize(kde.sample(1000, 1.0, rng).data());
    }
}
BENCHMARK(BM_KdeFitSample)->Unit(benchmark::kMicrosecond);

}  // namespace
