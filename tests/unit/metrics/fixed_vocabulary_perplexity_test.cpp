#include "madlab/metrics/fixed_vocabulary_perplexity.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../test_support.h"
#include "madlab/core/error.h"
#include "madlab/core/rng.h"
#include "madlab/data/text_reader.h"
#include "madlab/data/text_source.h"
#include "madlab/metrics/text_metrics.h"
#include "madlab/models/ngram.h"
#include "madlab/models/text_model.h"

using madlab::testing::value_of;

namespace madlab {
namespace {

// Corpora over one shared vocabulary from whitespace-separated lines.
class Words {
public:
    Words() : vocabulary_(std::make_shared<Vocabulary>()) {}
    Corpus corpus(const std::vector<std::string>& lines) {
        Corpus c;
        c.vocabulary = vocabulary_;
        for (const std::string& line : lines) {
            std::istringstream in(line);
            std::vector<TokenId> ids;
            for (std::string word; in >> word;) ids.push_back(vocabulary_->add(word));
            c.add_line(ids);
        }
        return c;
    }
    TokenId id(const std::string& word) { return vocabulary_->add(word); }

private:
    std::shared_ptr<Vocabulary> vocabulary_;
};

// The word types of `corpus`, increasing (TextSource::training_vocabulary's rule).
std::vector<TokenId> types_of(const Corpus& corpus) {
    std::set<TokenId> types;
    for (TokenId w : corpus.tokens)
        if (w != Vocabulary::kUnk && w != Vocabulary::kBos && w != Vocabulary::kEos)
            types.insert(w);
    return {types.begin(), types.end()};
}

bool has_value(const NamedValues& values, const std::string& name) {
    return std::any_of(values.begin(), values.end(),
                       [&](const auto& v) { return v.first == name; });
}

NgramTextModel fitted_ngram(const Corpus& train, int order, bool fallback = false) {
    NgramOptions options;
    options.order = order;
    if (fallback) options.fallback = NgramOptions::DiscountFallback::kDefault;
    NgramTextModel model(options);
    Rng rng(1);
    model.fit(train, rng);
    return model;
}

// The reference: every held-out token scored one at a time with log10_prob in its full KenLM
// context (the line's words so far after <s>), the rule applied per token.
double reference_fixed_perplexity(const NgramModel& model, const Corpus& held_out,
                                  const std::vector<TokenId>& real_vocabulary) {
    std::size_t lost = 0;
    for (TokenId w : real_vocabulary) lost += model.known(w) ? 0 : 1;
    double log10_sum = 0.0;
    std::size_t tokens = 0;
    for (std::size_t l = 0; l < held_out.lines(); ++l) {
        std::vector<TokenId> context{Vocabulary::kBos};
        const auto line = held_out.line(l);
        for (std::size_t i = 0; i <= line.size(); ++i) {
            const TokenId w = i < line.size() ? line[i] : Vocabulary::kEos;
            if (w == Vocabulary::kEos || (model.known(w) && w != Vocabulary::kUnk)) {
                log10_sum += model.log10_prob(context, w);
            } else {
                log10_sum += model.log10_prob(context, Vocabulary::kUnk) -
                             std::log10(static_cast<double>(lost) + 1.0);
            }
            context.push_back(w);
            ++tokens;
        }
    }
    return std::pow(10.0, -log10_sum / static_cast<double>(tokens));
}

// A unigram model whose probabilities are known by hand. Training text "a a b b" twice: counts
// a 4, b 4, </s> 2 (<s> is never counted at order 1), no singleton, so lmplz's discounts cannot
// be estimated and the fallback 0.5, 1, 1.5 applies: D(4) = 1.5, D(2) = 1. The sum of counts is
// 10, gamma = (1 * 1 + 1.5 * 2) / 10 = 0.4, spread over V - 1 = 4 words (<unk> </s> a b):
// p(a) = p(b) = 2.5/10 + 0.1 = 0.35, p(</s>) = 1/10 + 0.1 = 0.2, p(<unk>) = 0.1 (sum 1).
// The real training vocabulary is {a, b, c, d}: the model lost c and d, L = 2, so a lost word
// and a word outside the real vocabulary (e) each get p(<unk>) / 3.
TEST(FixedVocabularyPerplexity, UnigramByHand) {
    Words words;
    const Corpus real_train = words.corpus({"a b c", "d a b"});
    const Corpus model_train = words.corpus({"a a b b", "a a b b"});
    const Corpus held_out = words.corpus({"a c", "d b", "e"});
    const NgramTextModel model = fitted_ngram(model_train, 1, true);
    const NgramModel& m = model.ngram();
    const std::vector<TokenId> none;
    ASSERT_NEAR(std::pow(10.0, m.log10_prob(none, words.id("a"))), 0.35, 1e-12);
    ASSERT_NEAR(std::pow(10.0, m.log10_prob(none, Vocabulary::kEos)), 0.2, 1e-12);
    ASSERT_NEAR(std::pow(10.0, m.log10_prob(none, Vocabulary::kUnk)), 0.1, 1e-12);

    const std::vector<TokenId> real_vocabulary = types_of(real_train);
    EXPECT_EQ(lost_vocabulary_types(real_vocabulary, model), 2u);

    // T = 8 tokens: a c </s> | d b </s> | e </s>.
    //   KenLM:  0.35 0.1 0.2 | 0.1 0.35 0.2 | 0.1 0.2
    //   fixed:  0.35 0.1/3 0.2 | 0.1/3 0.35 0.2 | 0.1/3 0.2
    const double kenlm =
        std::exp(-(2 * std::log(0.35) + 3 * std::log(0.1) + 3 * std::log(0.2)) / 8);
    const double fixed =
        std::exp(-(2 * std::log(0.35) + 3 * std::log(0.1 / 3) + 3 * std::log(0.2)) / 8);
    const NamedValues values =
        with_fixed_vocabulary_perplexity(model.score_held_out(held_out), real_vocabulary, model);
    EXPECT_NEAR(value_of(values, "perplexity"), kenlm, 1e-12 * kenlm);
    EXPECT_NEAR(value_of(values, "oov_rate"), 3.0 / 8.0, 1e-15);
    EXPECT_NEAR(value_of(values, "perplexity_fixed_vocab"), fixed, 1e-12 * fixed);
    EXPECT_NEAR(fixed, kenlm * std::pow(3.0, 3.0 / 8.0), 1e-12 * fixed);  // the closed form
}

// A bigram model: the lost word is <unk> in the next word's context, as in KenLM's query, and
// only its own term changes. Checked token by token against the reference above.
TEST(FixedVocabularyPerplexity, BigramMatchesTokenByTokenReference) {
    Words words;
    const Corpus real_train = words.corpus(
        {"el gato come pan", "el perro come carne", "un gato duerme", "la casa es grande"});
    const Corpus model_train = words.corpus(
        {"el gato come pan", "el gato come pan con pan", "un gato come", "el perro come pan"});
    const Corpus held_out = words.corpus({"el gato come carne", "la casa duerme", "un raton come"});
    const NgramTextModel model = fitted_ngram(model_train, 2, true);
    const std::vector<TokenId> real_vocabulary = types_of(real_train);
    // Lost: carne duerme la casa es grande (6); "raton" is outside the real vocabulary.
    EXPECT_EQ(lost_vocabulary_types(real_vocabulary, model), 6u);
    const NamedValues values =
        with_fixed_vocabulary_perplexity(model.score_held_out(held_out), real_vocabulary, model);
    const double expected = reference_fixed_perplexity(model.ngram(), held_out, real_vocabulary);
    EXPECT_NEAR(value_of(values, "perplexity_fixed_vocab"), expected, 1e-12 * expected);
    EXPECT_GT(value_of(values, "perplexity_fixed_vocab"), value_of(values, "perplexity"));
}

// Nothing lost: the fixed-vocabulary perplexity is KenLM's, also when the held-out text has
// words outside the real vocabulary (the <unk> class either way).
TEST(FixedVocabularyPerplexity, NothingLostIsKenlmPerplexity) {
    Words words;
    const Corpus real_train = words.corpus({"a b c", "c a b b", "b a"});
    const NgramTextModel model = fitted_ngram(real_train, 2, true);
    const Corpus held_out = words.corpus({"a b x", "y c", "a"});
    const NamedValues values = with_fixed_vocabulary_perplexity(model.score_held_out(held_out),
                                                                types_of(real_train), model);
    EXPECT_GT(value_of(values, "oov_rate"), 0.0);
    EXPECT_EQ(value_of(values, "perplexity_fixed_vocab"), value_of(values, "perplexity"));
}

// KenLM's fixture: a trigram model of quijote3k.txt scored on quijote3k.test.txt, whose 7,595
// training word types are the real vocabulary. Nothing is lost, so the value is query's "Perplexity
// including OOVs" (within lmplz's float precision, as the n-gram tests). Then a model of the
// first third of the lines only: it lost real words, and the value is the reference's.
TEST(FixedVocabularyPerplexity, KenlmFixture) {
    const std::string dir = std::string(MADLAB_SHARED_DIR) + "/fixtures/kenlm/";
    if (!std::filesystem::exists(dir + "quijote3k.txt")) GTEST_SKIP() << "no fixture at " << dir;
    Vocabulary vocab;
    TextOptions options;
    options.min_tokens = 0;
    const Corpus train =
        make_corpus(read_text_lines(dir + "quijote3k.txt", options), vocab, options);
    const Corpus test =
        make_corpus(read_text_lines(dir + "quijote3k.test.txt", options), vocab, options);
    const std::vector<TokenId> real_vocabulary = types_of(train);
    ASSERT_EQ(real_vocabulary.size(), 7598u - 3);  // the README's 7,598 count <unk> <s> </s>
    std::map<std::string, double> summary;
    std::ifstream in(dir + "quijote3k.o3.query.summary.txt");
    for (std::string line; std::getline(in, line);) {
        const auto tab = line.find('\t');
        summary[line.substr(0, tab)] = std::stod(line.substr(tab + 1));
    }
    const double kenlm = summary.at("Perplexity including OOVs:");

    const NgramTextModel full = fitted_ngram(train, 3);
    const NamedValues values =
        with_fixed_vocabulary_perplexity(full.score_held_out(test), real_vocabulary, full);
    EXPECT_EQ(value_of(values, "perplexity_fixed_vocab"), value_of(values, "perplexity"));
    EXPECT_NEAR(value_of(values, "perplexity_fixed_vocab"), kenlm, 1e-5 * kenlm);

    Corpus part;
    for (std::size_t l = 0; l < train.lines() / 3; ++l) part.add_line(train.line(l));
    const NgramTextModel small = fitted_ngram(part, 3);
    const NamedValues lost =
        with_fixed_vocabulary_perplexity(small.score_held_out(test), real_vocabulary, small);
    const double expected = reference_fixed_perplexity(small.ngram(), test, real_vocabulary);
    EXPECT_GT(lost_vocabulary_types(real_vocabulary, small), 1000u);
    EXPECT_NEAR(value_of(lost, "perplexity_fixed_vocab"), expected, 1e-10 * expected);
    std::cout << "[fixed-vocab] quijote3k, a model of a third of the lines: perplexity "
              << value_of(lost, "perplexity") << ", fixed vocabulary "
              << value_of(lost, "perplexity_fixed_vocab") << " ("
              << lost_vocabulary_types(real_vocabulary, small) << " of " << real_vocabulary.size()
              << " types lost)\n";
}

TEST(FixedVocabularyPerplexity, ClosedFormAndErrors) {
    // Nothing lost or nothing scored as <unk>: exactly the input, bit for bit.
    EXPECT_EQ(fixed_vocabulary_perplexity(579.385321, 0.3, 0), 579.385321);
    EXPECT_EQ(fixed_vocabulary_perplexity(579.385321, 0.0, 100), 579.385321);
    EXPECT_NEAR(fixed_vocabulary_perplexity(5.0, 0.5, 3), 10.0, 1e-12);  // 5 * 4^0.5
    EXPECT_NEAR(fixed_vocabulary_perplexity(2.0, 1.0, 9), 20.0, 1e-12);
    EXPECT_THROW(fixed_vocabulary_perplexity(0.0, 0.5, 3), Error);
    EXPECT_THROW(fixed_vocabulary_perplexity(5.0, 1.5, 3), Error);
    EXPECT_THROW(fixed_vocabulary_perplexity(5.0, std::nan(""), 3), Error);
}

// The metric of a text study: with a TextSource it adds the value over the training split's
// vocabulary; without a source (outside a loop) it reports the family's score alone.
TEST(FixedVocabularyPerplexity, MetricUsesTheSourceTrainingVocabulary) {
    TextSourceOptions options;
    options.held_out_every = 3;  // lines 3 and 6 are held out
    const TextSource source({"a b c", "b c d", "a x y", "c d a", "a b", "z a b"}, "tiny", options);
    const Corpus train = source.train_set();
    const Corpus test = source.test_set();
    std::vector<TokenId> expected_vocabulary = types_of(train);
    EXPECT_EQ(source.training_vocabulary(), expected_vocabulary);
    EXPECT_EQ(expected_vocabulary.size(), 4u);  // a b c d; x y z only in held-out lines

    Corpus part;  // the model never saw d
    part.vocabulary = train.vocabulary;
    part.add_line(train.line(0));
    part.add_line(train.line(3));
    const NgramTextModel model = fitted_ngram(part, 2, true);
    const TextPerplexityMetric metric;
    const TextMetricInput with_source{test, test, model, std::nullopt, 1.0, &source};
    const MetricValues values = metric.compute(with_source);
    const double expected = reference_fixed_perplexity(model.ngram(), test, expected_vocabulary);
    EXPECT_NEAR(value_of(values, "perplexity_fixed_vocab"), expected, 1e-12 * expected);
    EXPECT_GT(value_of(values, "perplexity_fixed_vocab"), value_of(values, "perplexity"));

    const TextMetricInput without_source{test, test, model, std::nullopt, 1.0, nullptr};
    EXPECT_FALSE(has_value(metric.compute(without_source), "perplexity_fixed_vocab"));
    EXPECT_TRUE(has_value(metric.compute(without_source), "perplexity"));
}

}  // namespace
}  // namespace madlab
