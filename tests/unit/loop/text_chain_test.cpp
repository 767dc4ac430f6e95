#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../test_support.h"
#include "madlab/core/error.h"
#include "madlab/data/text_source.h"
#include "madlab/loop/chain.h"
#include "madlab/metrics/text_metrics.h"
#include "madlab/models/text_model.h"

using madlab::testing::value_of;

namespace madlab {
namespace {

const std::string kQuijote = std::string(MADLAB_SHARED_DIR) + "/data/text/es/quijote.txt";

class TextChainTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (std::filesystem::exists(kQuijote))
            source_ = new TextSource(load_text_source(kQuijote, {}));
        NgramOptions trigram;
        trigram.order = 3;
        trigram.fallback = NgramOptions::DiscountFallback::kDefault;
        ngram_ = new NgramTextModel(trigram);
        metrics_ = new std::vector<std::unique_ptr<TextMetric>>();
        metrics_->push_back(std::make_unique<HeldOutScoreMetric<Corpus>>("perplexity"));
        metrics_->push_back(std::make_unique<VocabularyRetentionMetric>());
        metrics_->push_back(std::make_unique<SampleUnknownRateMetric>());
        metrics_->push_back(std::make_unique<TextSampleMetric>(3000));
    }
    static void TearDownTestSuite() {
        delete source_;
        delete ngram_;
        delete metrics_;
        source_ = nullptr;
    }
    void SetUp() override {
        if (source_ == nullptr) GTEST_SKIP() << kQuijote << " not present";
    }
    TextChainSpec spec(const ScheduleOptions& schedule, int generations) const {
        TextChainSpec s;
        s.source = source_;
        s.prototype = ngram_;
        for (const auto& m : *metrics_) s.metrics.push_back(m.get());
        s.schedule = schedule;
        s.generations = generations;
        s.n_eval = 300;
        s.n_test = 0;  // every held-out line
        s.seed = 7;
        return s;
    }
    std::vector<GenerationResult> run(const TextChainSpec& s) const {
        TextChain chain(s);
        std::vector<GenerationResult> out;
        while (!chain.done()) out.push_back(chain.step());
        return out;
    }
    static inline TextSource* source_ = nullptr;
    static inline NgramTextModel* ngram_ = nullptr;
    static inline std::vector<std::unique_ptr<TextMetric>>* metrics_ = nullptr;
};

// Zero is absorbing (SCIENCE.md section 4): a model trained only on its predecessor's samples
// can only produce words its predecessor knew, so the real word types it has lost never come
// back and lost_types can only grow.
TEST_F(TextChainTest, LostWordsNeverReturnUnderReplace) {
    const auto results = run(spec(schedule_preset("fully-synthetic", 1500), 6));
    for (std::size_t g = 1; g < results.size(); ++g)
        EXPECT_GE(value_of(results[g].values, "lost_types"),
                  value_of(results[g - 1].values, "lost_types"))
            << "generation " << g;
    EXPECT_GT(value_of(results.back().values, "lost_types"),
              value_of(results.front().values, "lost_types"));
}

// Shumailov et al. 2024: perplexity of real text rises generation after generation when the
// model learns from its own text, and fresh real data holds it back.
TEST_F(TextChainTest, PerplexityRisesUnderReplaceAndLessWithFreshData) {
    const auto replace = run(spec(schedule_preset("fully-synthetic", 1500), 5));
    ScheduleOptions fresh = schedule_preset("fresh-data", 1500);
    fresh.n_real_fresh = 150;  // 10% of every training set stays real
    fresh.n_synthetic = 1350;
    const auto kept = run(spec(fresh, 5));
    const double start = value_of(replace.front().values, "perplexity");
    EXPECT_EQ(start, value_of(kept.front().values, "perplexity"));  // generation 0 is shared
    EXPECT_GT(value_of(replace.back().values, "perplexity"), 1.2 * start);
    EXPECT_LT(value_of(kept.back().values, "perplexity"),
              value_of(replace.back().values, "perplexity"));
    EXPECT_DOUBLE_EQ(value_of(kept.back().values, "real_fraction"), 0.1);
    EXPECT_EQ(value_of(kept.back().values, "train_size"), 1500.0);
}

TEST_F(TextChainTest, SameSeedSameNumbersAndProvenance) {
    const auto s = spec(schedule_preset("accumulate", 200), 3);
    const auto a = run(s);
    const auto b = run(s);
    for (std::size_t g = 0; g < a.size(); ++g) EXPECT_EQ(a[g].values, b[g].values);
    TextChain chain(s);
    while (!chain.done()) chain.step();
    std::map<int, int> counts;
    for (int o : chain.last_training_set().origin) ++counts[o];
    EXPECT_EQ(counts, (std::map<int, int>{{kRealOrigin, 200}, {0, 200}, {1, 200}, {2, 200}}));
    EXPECT_EQ(chain.last_samples().lines(), 300u);
}

}  // namespace
}  // namespace madlab

namespace madlab {
namespace {

TEST_F(TextChainTest, RestoredChainContinuesBitIdentically) {
    for (const char* preset : {"fully-synthetic", "accumulate-subsample", "fresh-data"}) {
        ScheduleOptions o = schedule_preset(preset, 300);
        o.synthetic_from_last_k = 2;
        const auto s = spec(o, 4);
        const auto expected = run(s);
        TextChain first(s);
        first.step();
        first.step();
        TextChain resumed(s);
        resumed.restore(first.checkpoint());
        while (!resumed.done()) {
            const auto r = resumed.step();
            EXPECT_EQ(r.values, expected[r.generation].values) << preset;
        }
        TextChain other(s);
        EXPECT_THROW(other.restore("garbage"), DataError);
    }
}

}  // namespace
}  // namespace madlab

namespace madlab {
namespace {

// A TextModel with none of the optional capabilities but an open vocabulary: it samples its
// training lines uniformly and turns every fifth sampled token into <unk> (a model that makes up
// words), and remembers the contexts of its fits.
struct SeenFit {
    Rng::State stream;
    int generation;
    std::uint64_t seed;
    std::string setting;
    std::size_t origins;
    int real_origins;
    std::string work_dir;
    bool has_previous;
};

class EchoModel : public TextModel, public TextVocabulary {
public:
    explicit EchoModel(std::vector<SeenFit>* fits) : fits_(fits) {}
    std::string family() const override { return "echo"; }
    bool knows_vocabulary() const override { return false; }
    bool open_vocabulary() const override { return true; }
    std::unique_ptr<TextModel> clone() const override { return std::make_unique<EchoModel>(*this); }

protected:
    FitInfo do_fit(const Corpus& train, FitContext<Corpus>& context) override {
        train_ = train;
        const int real =
            static_cast<int>(std::count(context.origin.begin(), context.origin.end(), kRealOrigin));
        fits_->push_back({context.rng.state(), context.generation, context.seed, context.setting,
                          context.origin.size(), real, context.work_dir,
                          context.previous != nullptr});
        return {};
    }
    Corpus do_sample(std::size_t n_lines, double, Rng& rng, std::string_view) const override {
        Corpus out;
        out.vocabulary = train_.vocabulary;
        std::size_t k = 0;
        for (std::size_t i = 0; i < n_lines; ++i) {
            std::vector<TokenId> ids;
            for (TokenId id : train_.line(rng.uniform_int(train_.lines())))
                ids.push_back(++k % 5 == 0 ? Vocabulary::kUnk : id);
            out.add_line(ids);
        }
        return out;
    }

private:
    std::vector<SeenFit>* fits_;
    Corpus train_;
};

// The chain records only what the model offers (no perplexity, no vocabulary retention; the
// share of <unk> in its samples), and hands every fit its place in the loop explicitly: the
// generation's stream chain_stream(seed, g, "fit"), the generation, seed and setting, the
// origin of every training line, the generation's folder and the previous model; a restore
// refits with the same contexts (the oldest restored model without a previous one).
TEST_F(TextChainTest, RecordsWhatAModelOffersAndHandsEveryFitItsContext) {
    std::vector<SeenFit> fits;
    EchoModel prototype(&fits);
    TextChainSpec s = spec(schedule_preset("fully-synthetic", 200), 2);
    s.prototype = &prototype;
    s.setting = "echo setting";
    s.work_dir = "/tmp/madlab-echo";
    const auto results = run(s);
    for (const auto& r : results) {
        std::map<std::string, double> v(r.values.begin(), r.values.end());
        EXPECT_FALSE(v.contains("perplexity"));
        EXPECT_FALSE(v.contains("lost_types"));
        // A fifth more of the tokens become <unk> every generation: 1 - 0.8^(g + 1).
        EXPECT_NEAR(v.at("sample_unk_rate"), 1.0 - std::pow(0.8, r.generation + 1), 0.02);
        EXPECT_TRUE(v.contains("distinct_2"));
    }
    ASSERT_EQ(fits.size(), 3u);
    for (int g = 0; g <= 2; ++g) {
        EXPECT_EQ(fits[g].stream, chain_stream(7, g, "fit").state()) << g;
        EXPECT_EQ(fits[g].generation, g);
        EXPECT_EQ(fits[g].seed, 7u);
        EXPECT_EQ(fits[g].setting, "echo setting");
        EXPECT_EQ(fits[g].origins, 200u);
        EXPECT_EQ(fits[g].real_origins, g == 0 ? 200 : 0);  // replace: only real at generation 0
        EXPECT_EQ(fits[g].has_previous, g > 0);
    }
    // The folder: the setting's name is not a safe file name, so it gets a hash.
    EXPECT_EQ(fits[1].work_dir.rfind("/tmp/madlab-echo/echo_setting-", 0), 0u) << fits[1].work_dir;
    EXPECT_TRUE(fits[1].work_dir.ends_with("/seed-7/gen-0001")) << fits[1].work_dir;
    TextChain first(s);
    first.step();
    first.step();
    fits.clear();
    TextChain resumed(s);
    resumed.restore(first.checkpoint());
    ASSERT_EQ(fits.size(), 1u);  // synthetic_from_last_k = 1: generation 1's model
    EXPECT_EQ(fits[0].stream, chain_stream(7, 1, "fit").state());
    EXPECT_EQ(fits[0].generation, 1);
    EXPECT_FALSE(fits[0].has_previous);
    EXPECT_EQ(resumed.step().values, results[2].values);
}

// Line offsets that go back (line 0 = tokens 0..5 of 2, line 1 = tokens 5..2) passed the checks
// of the first and last offset: the restored training set then read past its tokens (the n-gram
// refit asked for 2^64 - 3 of them). They are refused. Found by tests/fuzz/checkpoint_fuzz.
TEST(TextChainCheckpoint, LineOffsetsThatGoBackAreRefused) {
    const TextSource source({"a b", "b a", "a a b", "b b"}, "four lines",
                            TextSourceOptions{.held_out_every = 2});
    const NgramTextModel model;
    TextChainSpec spec;
    spec.source = &source;
    spec.prototype = &model;
    spec.schedule = schedule_preset("accumulate", 2);
    spec.generations = 2;
    spec.n_eval = 2;
    spec.n_test = 0;
    std::string bytes = "MADTXT01";
    const auto put = [&](auto value) {
        bytes.append(reinterpret_cast<const char*>(&value), sizeof(value));
    };
    put(std::int32_t{1});  // next generation
    // The fixed real set: 2 lines, 2 tokens, offsets 0, 5, 2, the tokens, their origins.
    put(std::uint64_t{2});
    put(std::uint64_t{2});
    for (std::size_t offset : {0, 5, 2}) put(offset);
    put(TokenId{3});
    put(TokenId{3});
    put(std::int32_t{-1});
    put(std::int32_t{-1});
    // An empty pool and no models.
    put(std::uint64_t{0});
    put(std::uint64_t{0});
    put(std::size_t{0});
    put(std::uint32_t{0});
    TextChain chain(spec);
    try {
        chain.restore(bytes);
        ADD_FAILURE() << "no error";
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("line offsets"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace madlab
