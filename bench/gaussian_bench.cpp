// GaussianModel: one generation of bench/configs/gaussian_loop.toml (MLE fit to 100 points in
// d = 10, then 100 samples), the unit of work the 100-seed x 101-generation loop repeats.
#include <benchmark/benchmark.h>

#include "madlab/core/rng.h"
#include "madlab/data/builtin_sources.h"
#include "madlab/models/gaussian.h"

namespace {

void BM_GaussianFitSample(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const long d = static_cast<long>(state.range(1));
    madlab::GaussianSource source(madlab::Vector::Zero(d), madlab::SquareMatrix::Identity(d, d));
    madlab::Rng rng(1);
    const madlab::Matrix data = source.sample(n, rng);
    for (auto _ : state) {
        madlab::GaussianModel model;
        model.fit(data, rng);
        benchmark::DoNotOptimize(model.sample(n, 1.0, rng).data());
    }
}
BENCHMARK(BM_GaussianFitSample)
    ->Args({100, 10})
    ->Args({1000, 10})
    ->Args({100, 2})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
