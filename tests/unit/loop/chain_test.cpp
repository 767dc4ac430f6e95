#include "madlab/loop/chain.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "../test_support.h"
#include "madlab/core/error.h"
#include "madlab/data/builtin_sources.h"
#include "madlab/metrics/gaussian_drift.h"
#include "madlab/models/gaussian.h"

using madlab::testing::value_of;

namespace madlab {
namespace {

struct Fixture {
    GaussianSource source;
    GaussianModel model;
    GaussianDriftMetric drift;
    explicit Fixture(int dim = 2, GaussianOptions options = {})
        : source(Vector::Zero(dim), SquareMatrix::Identity(dim, dim)), model(options) {}
    ChainSpec spec(const ScheduleOptions& schedule, int generations, std::uint64_t seed) const {
        ChainSpec s;
        s.source = &source;
        s.prototype = &model;
        s.metrics = {&drift};
        s.schedule = schedule;
        s.generations = generations;
        s.n_eval = 20;
        s.n_test = 20;
        s.seed = seed;
        return s;
    }
};

std::map<int, int> origin_counts(const TrainingSet& t) {
    std::map<int, int> counts;
    for (int o : t.origin) ++counts[o];
    return counts;
}

TEST(Chain, FullySyntheticTrainsOnlyOnTheLastModel) {
    Fixture f;
    Chain chain(f.spec(schedule_preset("fully-synthetic", 50), 3, 1));
    chain.step();
    EXPECT_EQ(origin_counts(chain.last_training_set()), (std::map<int, int>{{kRealOrigin, 50}}));
    chain.step();
    EXPECT_EQ(origin_counts(chain.last_training_set()), (std::map<int, int>{{0, 50}}));
    const auto r = chain.step();
    EXPECT_EQ(origin_counts(chain.last_training_set()), (std::map<int, int>{{1, 50}}));
    EXPECT_EQ(value_of(r.values, "real_fraction"), 0.0);
    EXPECT_EQ(value_of(r.values, "train_size"), 50.0);
}

TEST(Chain, SyntheticAugmentationReusesGenerationZerosRealRows) {
    Fixture f;
    ScheduleOptions o = schedule_preset("synthetic-augmentation", 40);
    o.n_real_fixed = 30;
    Chain chain(f.spec(o, 2, 2));
    chain.step();
    const Matrix first = chain.last_training_set().data;
    chain.step();
    const TrainingSet& t = chain.last_training_set();
    EXPECT_EQ(origin_counts(t), (std::map<int, int>{{kRealOrigin, 30}, {0, 40}}));
    // The reused real rows are exactly the first 30 rows of generation 0's real data.
    EXPECT_EQ(Matrix(t.data.topRows(30)), Matrix(first.topRows(30)));
    chain.step();
    EXPECT_EQ(Matrix(chain.last_training_set().data.topRows(30)), Matrix(first.topRows(30)));
}

TEST(Chain, FreshDataDrawsNewRealRowsEveryGeneration) {
    Fixture f;
    Chain chain(f.spec(schedule_preset("fresh-data", 25), 2, 3));
    chain.step();
    const Matrix first = chain.last_training_set().data;
    const auto r = chain.step();
    const TrainingSet& t = chain.last_training_set();
    EXPECT_EQ(origin_counts(t), (std::map<int, int>{{kRealOrigin, 25}, {0, 25}}));
    EXPECT_DOUBLE_EQ(value_of(r.values, "real_fraction"), 0.5);
    EXPECT_NE(Matrix(t.data.topRows(25)), first);
}

TEST(Chain, AccumulateKeepsEverythingAndSubsampleKeepsTheSize) {
    Fixture f;
    Chain acc(f.spec(schedule_preset("accumulate", 10), 3, 4));
    for (int g = 0; g <= 3; ++g) acc.step();
    EXPECT_EQ(origin_counts(acc.last_training_set()),
              (std::map<int, int>{{kRealOrigin, 10}, {0, 10}, {1, 10}, {2, 10}}));

    Chain sub(f.spec(schedule_preset("accumulate-subsample", 10), 3, 4));
    for (int g = 0; g <= 3; ++g) sub.step();
    EXPECT_EQ(sub.last_training_set().size(), 10u);
    for (int o : sub.last_training_set().origin) EXPECT_LE(o, 2);
}

TEST(Chain, SyntheticFromLastKSpreadsSamplesEvenly) {
    Fixture f;
    ScheduleOptions o = schedule_preset("fully-synthetic", 31);
    o.synthetic_from_last_k = 3;
    Chain chain(f.spec(o, 4, 5));
    chain.step();  // generation 0: real
    chain.step();  // generation 1: only model 0 exists
    EXPECT_EQ(origin_counts(chain.last_training_set()), (std::map<int, int>{{0, 31}}));
    chain.step();
    EXPECT_EQ(origin_counts(chain.last_training_set()), (std::map<int, int>{{0, 15}, {1, 16}}));
    chain.step();
    EXPECT_EQ(origin_counts(chain.last_training_set()),
              (std::map<int, int>{{0, 10}, {1, 10}, {2, 11}}));
    chain.step();
    EXPECT_EQ(origin_counts(chain.last_training_set()),
              (std::map<int, int>{{1, 10}, {2, 10}, {3, 11}}));
}

TEST(Chain, SameSeedSameNumbers) {
    Fixture f;
    const auto spec = f.spec(schedule_preset("fresh-data", 30), 5, 9);
    Chain a(spec), b(spec);
    while (!a.done()) {
        const auto ra = a.step();
        const auto rb = b.step();
        ASSERT_EQ(ra.values, rb.values);
    }
}

// SCIENCE.md section 5: 1-D Gaussian, MLE refit with n samples. Each fit multiplies the variance
// by chi2_{n-1}/n, so after the t+1 fits of generations 0..t (the first from the true variance 1)
// E[log s2_t] = (t+1) (digamma((n-1)/2) + log(2/n)); Var = (t+1) trigamma((n-1)/2).
TEST(Chain, MleReplaceLogVarianceFollowsTheClosedForm) {
    Fixture f(1);
    const int n = 10, generations = 20, chains = 400;
    const double digamma_4_5 = 1.388870926, trigamma_4_5 = 0.248772;  // (n-1)/2 = 4.5
    const double per_step = digamma_4_5 + std::log(2.0 / n);
    double sum = 0.0;
    for (int seed = 0; seed < chains; ++seed) {
        Chain chain(f.spec(schedule_preset("fully-synthetic", n), generations, seed));
        GenerationResult last;
        while (!chain.done()) last = chain.step();
        sum += value_of(last.values, "cov_logdet_ratio");
    }
    const double expected = (generations + 1) * per_step;
    const double standard_error = std::sqrt((generations + 1) * trigamma_4_5 / chains);
    EXPECT_NEAR(sum / chains, expected, 4 * standard_error);
}

// Accumulating keeps the variance (Gerstgrasser et al. 2024; Kazdan et al. 2024): with n = 10
// per generation and 100 generations, replace collapses (median variance ratio about 1e-10 in
// Kazdan et al.'s setting) while accumulate keeps it near 0.7 and accumulate-subsample near 0.6.
// The bounds below are far from both regimes, so the test fails only if the designs are wrong.
TEST(Chain, AccumulateKeepsTheVarianceThatReplaceLoses) {
    Fixture f(1);
    auto median_ratio = [&](const std::string& preset) {
        std::vector<double> ratios;
        for (int seed = 0; seed < 101; ++seed) {
            Chain chain(f.spec(schedule_preset(preset, 10), 100, seed));
            GenerationResult last;
            while (!chain.done()) last = chain.step();
            ratios.push_back(value_of(last.values, "cov_trace_ratio"));
        }
        std::nth_element(ratios.begin(), ratios.begin() + 50, ratios.end());
        return ratios[50];
    };
    EXPECT_LT(median_ratio("fully-synthetic"), 1e-5);
    const double accumulate = median_ratio("accumulate");
    EXPECT_GT(accumulate, 0.4);
    EXPECT_LT(accumulate, 1.2);
    const double subsample = median_ratio("accumulate-subsample");
    EXPECT_GT(subsample, 0.25);
    EXPECT_LT(subsample, 1.2);
}

}  // namespace
}  // namespace madlab

namespace madlab {
namespace {

// A chain checkpointed after generation c and restored into a new Chain continues with exactly
// the numbers of the uninterrupted chain, for every design (including accumulate and last-K).
TEST(ChainCheckpoint, RestoredChainContinuesBitIdentically) {
    Fixture f;
    for (const auto& preset : schedule_preset_names()) {
        ScheduleOptions o = schedule_preset(preset, 40);
        o.synthetic_from_last_k = 2;
        const auto spec = f.spec(o, 6, 17);
        Chain reference(spec);
        std::vector<GenerationResult> expected;
        while (!reference.done()) expected.push_back(reference.step());
        for (int cut : {0, 1, 3, 6}) {
            Chain first(spec);
            for (int g = 0; g <= cut; ++g) first.step();
            const std::string bytes = first.checkpoint();
            Chain resumed(spec);
            resumed.restore(bytes);
            ASSERT_EQ(resumed.next_generation(), cut + 1);
            while (!resumed.done()) {
                const auto r = resumed.step();
                EXPECT_EQ(r.values, expected[r.generation].values) << preset << " cut " << cut;
            }
        }
    }
}

TEST(ChainCheckpoint, MalformedBytesAreAClearError) {
    Fixture f;
    const auto spec = f.spec(schedule_preset("fully-synthetic", 20), 3, 1);
    Chain chain(spec);
    chain.step();
    const std::string bytes = chain.checkpoint();
    Chain other(spec);
    EXPECT_THROW(other.restore("garbage"), DataError);
    EXPECT_THROW(other.restore(bytes.substr(0, bytes.size() - 5)), DataError);
    EXPECT_THROW(other.restore(bytes + "x"), DataError);
}

// A fully synthetic chain has no fixed real set and no pool: its checkpoint holds empty sets,
// whose data pointers are null (UBSan flagged the memcpy from and to them: a null pointer to
// memcpy is undefined behaviour even for no bytes). It restores to the same state.
TEST(ChainCheckpoint, EmptyTrainingSetsRoundTrip) {
    Fixture f;
    const auto spec = f.spec(schedule_preset("fully-synthetic", 20), 3, 1);
    Chain chain(spec);
    chain.step();
    const std::string bytes = chain.checkpoint();
    Chain resumed(spec);
    resumed.restore(bytes);
    EXPECT_EQ(resumed.next_generation(), 1);
    EXPECT_EQ(resumed.checkpoint(), bytes);
}

// A corrupt matrix size is refused before it is allocated: 2^13 rows of 10^6 columns claimed in
// a checkpoint of 64 KiB was a 64 GB allocation (std::bad_alloc, or the sanitizers' out of
// memory) before the truncation was noticed.
TEST(ChainCheckpoint, ImpossibleMatrixSizeIsRefusedBeforeAllocating) {
    Fixture f;
    const auto spec = f.spec(schedule_preset("fully-synthetic", 20), 3, 1);
    std::string bytes = "MADCHK01";
    const std::int32_t next = 1;
    const std::uint64_t rows = 8193, cols = 1000000;
    bytes.append(reinterpret_cast<const char*>(&next), sizeof(next));
    bytes.append(reinterpret_cast<const char*>(&rows), sizeof(rows));
    bytes.append(reinterpret_cast<const char*>(&cols), sizeof(cols));
    bytes.append(64 * 1024, '\0');
    Chain chain(spec);
    try {
        chain.restore(bytes);
        ADD_FAILURE() << "no error";
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("impossible matrix size"), std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace madlab

namespace madlab {
namespace {

// A family that saves its state (the checkpoint hooks): a Gaussian with a fixed unit covariance
// whose mean is the training mean plus a jitter from the fit's stream, as a network trained on a
// GPU would not refit bit for bit. It counts its fits and restores.
struct HookCounts {
    int fits = 0;
    int restores = 0;
    // The place each restore was given: generation, chain seed, setting.
    std::vector<std::tuple<int, std::uint64_t, std::string>> restored_at;
};

class StatefulMeanModel : public ContinuousModel {
public:
    explicit StatefulMeanModel(HookCounts* counts) : counts_(counts) {}
    std::string family() const override { return "stateful_mean"; }
    std::unique_ptr<ContinuousModel> clone() const override {
        return std::make_unique<StatefulMeanModel>(*this);
    }
    std::optional<std::string> save_state() const override {
        return std::string(reinterpret_cast<const char*>(mean_.data()),
                           sizeof(double) * static_cast<std::size_t>(mean_.size()));
    }

protected:
    FitInfo do_fit(const Matrix& train, FitContext<Matrix>& context) override {
        ++counts_->fits;
        mean_ = train.colwise().mean().transpose();
        for (Eigen::Index j = 0; j < mean_.size(); ++j) mean_[j] += 0.01 * context.rng.normal();
        return {};
    }
    Matrix do_sample(std::size_t n, double, Rng& rng, std::string_view) const override {
        Matrix out(static_cast<Eigen::Index>(n), mean_.size());
        for (Eigen::Index i = 0; i < out.rows(); ++i)
            for (Eigen::Index j = 0; j < out.cols(); ++j) out(i, j) = mean_[j] + rng.normal();
        return out;
    }
    void do_restore_state_at(const std::string& state, const FitContext<Matrix>& context) override {
        counts_->restored_at.emplace_back(context.generation, context.seed, context.setting);
        do_restore_state(state);
    }
    void do_restore_state(const std::string& state) override {
        ++counts_->restores;
        if (state.size() % sizeof(double) != 0) throw DataError("stateful_mean: bad state");
        mean_.resize(static_cast<Eigen::Index>(state.size() / sizeof(double)));
        std::memcpy(mean_.data(), state.data(), state.size());
    }

private:
    HookCounts* counts_;
    Vector mean_;
};

// A model that saves its state is restored from the checkpoint, not refitted, and the chain
// continues with the numbers of the uninterrupted one; a model that saves none is refitted.
TEST(ChainCheckpoint, ModelsThatSaveTheirStateAreRestoredNotRefitted) {
    Fixture f;
    HookCounts counts;
    StatefulMeanModel model(&counts);
    ScheduleOptions o = schedule_preset("fresh-data", 30);
    o.synthetic_from_last_k = 2;
    ChainSpec spec = f.spec(o, 5, 3);
    spec.prototype = &model;
    spec.setting = "kept";
    Chain reference(spec);
    std::vector<GenerationResult> expected;
    while (!reference.done()) expected.push_back(reference.step());
    Chain first(spec);
    for (int g = 0; g <= 2; ++g) first.step();
    const std::string bytes = first.checkpoint();
    EXPECT_EQ(bytes.substr(0, 8), "MADCHK02");  // the version with saved states
    counts = {};
    Chain resumed(spec);
    resumed.restore(bytes);
    EXPECT_EQ(counts.fits, 0);
    EXPECT_EQ(counts.restores, 2);  // the two kept models
    // Each restored in the place of its fit: generations 1 and 2 of this chain.
    using Place = std::tuple<int, std::uint64_t, std::string>;
    EXPECT_EQ(counts.restored_at, (std::vector<Place>{{1, 3, "kept"}, {2, 3, "kept"}}));
    while (!resumed.done()) {
        const auto r = resumed.step();
        EXPECT_EQ(r.values, expected[r.generation].values) << r.generation;
    }
    // A family without saved states keeps the first version of the format, and a checkpoint
    // with states cannot be restored into a chain whose family has none.
    Chain plain(f.spec(o, 5, 3));
    plain.step();
    EXPECT_EQ(plain.checkpoint().substr(0, 8), "MADCHK01");
    Chain wrong(f.spec(o, 5, 3));
    EXPECT_THROW(wrong.restore(bytes), DataError);
}

}  // namespace
}  // namespace madlab
