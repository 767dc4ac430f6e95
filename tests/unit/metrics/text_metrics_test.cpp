#include "madlab/metrics/text_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "madlab/core/error.h"
#include "madlab/models/ngram.h"

namespace madlab {
namespace {

// Builds corpora over one shared vocabulary from whitespace-separated lines; the word "<unk>"
// maps to Vocabulary::kUnk.
class TextFixture {
public:
    TextFixture() : vocabulary_(std::make_shared<Vocabulary>()) {}

    Corpus corpus(const std::vector<std::string>& lines) {
        Corpus c;
        c.vocabulary = vocabulary_;
        for (const std::string& line : lines) {
            std::istringstream in(line);
            std::vector<TokenId> ids;
            for (std::string word; in >> word;) {
                ids.push_back(word == "<unk>" ? Vocabulary::kUnk : vocabulary_->add(word));
            }
            c.add_line(ids);
        }
        return c;
    }
    TokenId id(const std::string& word) { return vocabulary_->add(word); }

private:
    std::shared_ptr<Vocabulary> vocabulary_;
};

TEST(TextDistinctN, CountsByHandWithinLines) {
    TextFixture f;
    // "a b a b" | "c a b":
    //  1-grams a b a b c a b: 7, distinct {a, b, c} = 3 -> 3/7
    //  2-grams ab ba ab | ca ab: 5, distinct {ab, ba, ca} = 3 -> 3/5 (the cross-line "b c" is
    //  not a bigram: with it there would be 6 and 4)
    //  3-grams aba bab | cab: 3, all distinct -> 1
    //  4-grams abab | (none): 1 -> 1
    const Corpus c = f.corpus({"a b a b", "c a b"});
    const DistinctN d = distinct_n(c, 1000);
    EXPECT_EQ(d.tokens_used, 7u);
    EXPECT_DOUBLE_EQ(d.d1, 3.0 / 7.0);
    EXPECT_DOUBLE_EQ(d.d2, 3.0 / 5.0);
    EXPECT_DOUBLE_EQ(d.d3, 1.0);
    EXPECT_DOUBLE_EQ(d.d4, 1.0);
}

TEST(TextDistinctN, TokenBudgetCutsTheLineThatReachesIt) {
    TextFixture f;
    // Budget 5: "a b a b" | "c" (the second line cut after one word).
    //  1-grams a b a b c: 5, distinct 3 -> 3/5
    //  2-grams ab ba ab: 3, distinct 2 -> 2/3
    //  3-grams aba bab -> 1; 4-grams abab -> 1
    const Corpus c = f.corpus({"a b a b", "c a b"});
    const DistinctN d = distinct_n(c, 5);
    EXPECT_EQ(d.tokens_used, 5u);
    EXPECT_DOUBLE_EQ(d.d1, 3.0 / 5.0);
    EXPECT_DOUBLE_EQ(d.d2, 2.0 / 3.0);
    EXPECT_DOUBLE_EQ(d.d3, 1.0);
    EXPECT_DOUBLE_EQ(d.d4, 1.0);
    // Budget 2: "a b" -> d1 = 1, d2 = 1 (one bigram), no trigram or 4-gram -> 0.
    const DistinctN d2 = distinct_n(c, 2);
    EXPECT_EQ(d2.tokens_used, 2u);
    EXPECT_DOUBLE_EQ(d2.d1, 1.0);
    EXPECT_DOUBLE_EQ(d2.d2, 1.0);
    EXPECT_DOUBLE_EQ(d2.d3, 0.0);
    EXPECT_DOUBLE_EQ(d2.d4, 0.0);
}

TEST(TextDistinctN, SingleTypeAndUnk) {
    TextFixture f;
    // "a a a": 1-grams 3, distinct 1; 2-grams aa aa -> 1/2; 3-grams aaa -> 1; no 4-gram -> 0.
    const DistinctN d = distinct_n(f.corpus({"a a a"}), 10);
    EXPECT_DOUBLE_EQ(d.d1, 1.0 / 3.0);
    EXPECT_DOUBLE_EQ(d.d2, 0.5);
    EXPECT_DOUBLE_EQ(d.d3, 1.0);
    EXPECT_DOUBLE_EQ(d.d4, 0.0);
    // <unk> is a token like any other: "<unk> <unk> a" -> 1-grams 3, distinct 2.
    EXPECT_DOUBLE_EQ(distinct_n(f.corpus({"<unk> <unk> a"}), 10).d1, 2.0 / 3.0);
}

TEST(TextMetrics, CollapsedCorporaGiveDefinedValues) {
    TextFixture f;
    for (const Corpus& c : {f.corpus({}), f.corpus({"", "", ""})}) {
        const DistinctN d = distinct_n(c, 100);
        EXPECT_EQ(d.tokens_used, 0u);
        EXPECT_EQ(d.d1, 0.0);
        EXPECT_EQ(d.d2, 0.0);
        EXPECT_EQ(d.d3, 0.0);
        EXPECT_EQ(d.d4, 0.0);
        EXPECT_EQ(unigram_entropy(c, 100), 0.0);
        EXPECT_FALSE(zipf_exponent(c, 100).has_value());
        EXPECT_EQ(mean_line_length(c), 0.0);
    }
}

TEST(TextMetrics, ZeroBudgetIsAConfigError) {
    TextFixture f;
    const Corpus c = f.corpus({"a b"});
    EXPECT_THROW(distinct_n(c, 0), ConfigError);
    EXPECT_THROW(unigram_entropy(c, 0), ConfigError);
    EXPECT_THROW(zipf_exponent(c, 0), ConfigError);
}

TEST(TextUnigramEntropy, UniformFourTypesIsLog4) {
    TextFixture f;
    EXPECT_NEAR(unigram_entropy(f.corpus({"a b c d", "d c", "b a"}), 1000), std::log(4.0), 1e-15);
}

TEST(TextUnigramEntropy, SingleTypeIsZeroAndBudgetApplies) {
    TextFixture f;
    EXPECT_EQ(unigram_entropy(f.corpus({"a a", "a"}), 1000), 0.0);
    const Corpus c = f.corpus({"a b", "a a a a"});
    // Budget 2: {a, b} -> ln 2. All 6: a 5, b 1.
    EXPECT_NEAR(unigram_entropy(c, 2), std::log(2.0), 1e-15);
    EXPECT_NEAR(unigram_entropy(c, 6),
                -(5.0 / 6.0) * std::log(5.0 / 6.0) - (1.0 / 6.0) * std::log(1.0 / 6.0), 1e-15);
    EXPECT_DOUBLE_EQ(unigram_entropy(c, 6), unigram_entropy(c, 1000));
}

TEST(TextZipfExponent, ExactInverseSquareFrequenciesGiveTwo) {
    TextFixture f;
    // Counts 3600/r^2 for r = 1..6, written in an order unrelated to the ranks (ids follow first
    // appearance) so that the ranking by frequency is what is tested.
    const std::vector<std::pair<std::string, int>> words = {{"w4", 225}, {"w1", 3600}, {"w6", 100},
                                                            {"w2", 900}, {"w5", 144},  {"w3", 400}};
    std::vector<std::string> lines;
    for (const auto& [w, n] : words) {
        std::string line;
        for (int i = 0; i < n; ++i) line += w + " ";
        lines.push_back(line);
    }
    const std::optional<double> s = zipf_exponent(f.corpus(lines), 1000000);
    ASSERT_TRUE(s.has_value());
    EXPECT_NEAR(*s, 2.0, 1e-9);
}

TEST(TextZipfExponent, TiedCountsGetOrdinalRanks) {
    TextFixture f;
    // Counts a 4, b 1, c 1: ordinal ranks 1, 2, 3 (not the averaged 1, 2.5, 2.5).
    // x = (0, ln 2, ln 3), y = (ln 4, 0, 0).
    const double x[3] = {0.0, std::log(2.0), std::log(3.0)};
    const double y[3] = {std::log(4.0), 0.0, 0.0};
    const double mx = (x[0] + x[1] + x[2]) / 3.0, my = (y[0] + y[1] + y[2]) / 3.0;
    double sxy = 0.0, sxx = 0.0;
    for (int i = 0; i < 3; ++i) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
    }
    const std::optional<double> s = zipf_exponent(f.corpus({"a b a c a a"}), 100);
    ASSERT_TRUE(s.has_value());
    EXPECT_NEAR(*s, -sxy / sxx, 1e-12);
    // Two types with equal counts: a flat line, s = 0.
    EXPECT_NEAR(*zipf_exponent(f.corpus({"a b b a"}), 100), 0.0, 1e-15);
}

TEST(TextZipfExponent, FewerThanTwoTypesHasNoExponent) {
    TextFixture f;
    EXPECT_FALSE(zipf_exponent(f.corpus({"a a a", "a"}), 100).has_value());
    // The budget decides: only "a a" is read.
    EXPECT_FALSE(zipf_exponent(f.corpus({"a a b"}), 2).has_value());
    EXPECT_TRUE(zipf_exponent(f.corpus({"a a b"}), 3).has_value());
}

TEST(TextMeanLineLength, WordsPerLine) {
    TextFixture f;
    EXPECT_DOUBLE_EQ(mean_line_length(f.corpus({"a b a b", "c a b"})), 3.5);
    EXPECT_DOUBLE_EQ(mean_line_length(f.corpus({"a b", ""})), 1.0);
}

TEST(TextVocabularyRetention, CountsAndMassByHand) {
    TextFixture f;
    const Corpus train = f.corpus({"a b c", "c b a"});
    // Real test: a d d e <unk> b. Types (without <unk>) {a, d, e, b}: 4; tokens without
    // <unk>: 5. Lost: d (2 tokens) and e (1 token) -> 2 types, mass 3/5.
    const Corpus real = f.corpus({"a d", "d e <unk> b"});
    const TailLoss by_text = vocabulary_retention(real, train);
    EXPECT_EQ(by_text.real_types, 4u);
    EXPECT_EQ(by_text.real_tokens, 5u);
    EXPECT_EQ(by_text.lost_types, 2u);
    EXPECT_DOUBLE_EQ(by_text.lost_mass, 3.0 / 5.0);

    NgramOptions options;
    options.order = 2;
    options.fallback = NgramOptions::DiscountFallback::kDefault;
    NgramModel model(options);
    model.fit(train);
    const TailLoss by_model = vocabulary_retention(real, model);
    EXPECT_EQ(by_model.real_types, 4u);
    EXPECT_EQ(by_model.real_tokens, 5u);
    EXPECT_EQ(by_model.lost_types, 2u);
    EXPECT_DOUBLE_EQ(by_model.lost_mass, 3.0 / 5.0);
}

TEST(TextVocabularyRetention, NothingLostEmptyTestAndUnfittedModel) {
    TextFixture f;
    const Corpus train = f.corpus({"a b c"});
    const TailLoss all = vocabulary_retention(f.corpus({"c a", "b"}), train);
    EXPECT_EQ(all.lost_types, 0u);
    EXPECT_EQ(all.lost_mass, 0.0);
    EXPECT_EQ(all.real_types, 3u);
    const TailLoss none = vocabulary_retention(f.corpus({"", "<unk>"}), train);
    EXPECT_EQ(none.real_types, 0u);
    EXPECT_EQ(none.real_tokens, 0u);
    EXPECT_EQ(none.lost_mass, 0.0);
    // A collapsed training text (empty lines): every real type is lost.
    const TailLoss gone = vocabulary_retention(f.corpus({"a b", "a"}), f.corpus({"", ""}));
    EXPECT_EQ(gone.lost_types, 2u);
    EXPECT_DOUBLE_EQ(gone.lost_mass, 1.0);
    EXPECT_THROW(vocabulary_retention(f.corpus({"a"}), NgramModel{}), Error);
}

}  // namespace
}  // namespace madlab
