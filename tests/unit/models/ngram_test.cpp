#include "madlab/models/ngram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "madlab/core/error.h"

namespace madlab {
namespace {

// A test-local tokenizer (models_tests does not link madlab_data, where Vocabulary's
// constructor lives): ids 0 <unk>, 1 <s>, 2 </s>, then words in order of first appearance, as
// Vocabulary does.
struct Words {
    std::unordered_map<std::string, TokenId> ids{{"<unk>", 0}, {"<s>", 1}, {"</s>", 2}};
    std::vector<std::string> words{"<unk>", "<s>", "</s>"};

    TokenId add(const std::string& w) {
        auto [it, added] = ids.emplace(w, static_cast<TokenId>(words.size()));
        if (added) words.push_back(w);
        return it->second;
    }
    // Unknown words become <unk> (as KenLM's query does).
    TokenId find(const std::string& w) const {
        auto it = ids.find(w);
        return it == ids.end() ? 0 : it->second;
    }
};

std::vector<std::string> split(const std::string& line) {
    std::vector<std::string> out;
    std::istringstream in(line);
    std::string w;
    while (in >> w) out.push_back(w);
    return out;
}

// Lines of whitespace-separated words; `grow` adds new words, else they map to <unk>.
Corpus tokenize(const std::vector<std::string>& lines, Words& words, bool grow) {
    Corpus c;
    std::vector<TokenId> ids;
    for (const auto& line : lines) {
        ids.clear();
        for (const auto& w : split(line)) ids.push_back(grow ? words.add(w) : words.find(w));
        c.add_line(ids);
    }
    return c;
}

std::vector<std::string> read_lines(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
    return lines;
}

// An ARPA file: per order, "w1 w2 ..." -> (log10 prob, log10 backoff or 0).
struct Arpa {
    std::vector<std::size_t> header;
    std::vector<std::unordered_map<std::string, std::pair<double, double>>> grams;
};

Arpa parse_arpa(std::istream& in) {
    Arpa a;
    std::string line;
    int order = 0;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        if (line.rfind("ngram ", 0) == 0) {
            a.header.push_back(std::stoull(line.substr(line.find('=') + 1)));
            continue;
        }
        if (line[0] == '\\') {
            if (line == "\\data\\" || line == "\\end\\") continue;
            order = std::stoi(line.substr(1));
            if (a.grams.size() < static_cast<std::size_t>(order)) a.grams.resize(order);
            continue;
        }
        if (order == 0) continue;
        const auto t1 = line.find('\t');
        const auto t2 = line.find('\t', t1 + 1);
        const double prob = std::stod(line.substr(0, t1));
        const std::string words =
            line.substr(t1 + 1, t2 == std::string::npos ? std::string::npos : t2 - t1 - 1);
        const double backoff = t2 == std::string::npos ? 0.0 : std::stod(line.substr(t2 + 1));
        a.grams[order - 1][words] = {prob, backoff};
    }
    return a;
}

// ARPA backoff query on a parsed file (the standard semantics KenLM implements): `ngram` is the
// context words then the word, all known to the file.
double arpa_log10(const Arpa& a, const std::vector<std::string>& ngram) {
    const std::size_t n = std::min(ngram.size(), a.grams.size());
    const auto join = [&](std::size_t from, std::size_t to) {
        std::string s;
        for (std::size_t i = from; i < to; ++i) s += (i > from ? " " : "") + ngram[i];
        return s;
    };
    const std::size_t end = ngram.size();
    for (std::size_t len = n; len >= 1; --len) {
        auto it = a.grams[len - 1].find(join(end - len, end));
        if (it == a.grams[len - 1].end()) continue;
        double p = it->second.first;
        for (std::size_t clen = len; clen + 1 <= n; ++clen) {  // contexts longer than matched
            auto c = a.grams[clen - 1].find(join(end - 1 - clen, end - 1));
            if (c == a.grams[clen - 1].end()) break;
            p += c->second.second;
        }
        return p;
    }
    return -HUGE_VAL;
}

NgramModel fit_model(const Corpus& c, int order,
                     NgramOptions::DiscountFallback f = NgramOptions::DiscountFallback::kError) {
    NgramOptions o;
    o.order = order;
    o.fallback = f;
    NgramModel m(o);
    m.fit(c);
    return m;
}

double sum_over_vocabulary(const NgramModel& m, const std::vector<TokenId>& ctx,
                           std::size_t n_ids) {
    double s = 0.0;
    for (TokenId w = 0; w < n_ids; ++w)
        if (w != Vocabulary::kBos && (w == 0 || m.known(w)))
            s += std::pow(10.0, m.log10_prob(ctx, w));
    return s;
}

// ---- KenLM fixture -----------------------------------------------------------------------

const std::string kFixture = std::string(MADLAB_SHARED_DIR) + "/fixtures/kenlm/";

class NgramKenlm : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!std::filesystem::exists(kFixture + "quijote3k.txt")) return;
        words_ = new Words;
        train_ = new Corpus(tokenize(read_lines(kFixture + "quijote3k.txt"), *words_, true));
        test_ = new Corpus(tokenize(read_lines(kFixture + "quijote3k.test.txt"), *words_, false));
        model_ = new NgramModel(fit_model(*train_, 3));
    }
    static void TearDownTestSuite() {
        delete model_;
        delete test_;
        delete train_;
        delete words_;
    }
    void SetUp() override {
        if (model_ == nullptr) GTEST_SKIP() << "no KenLM fixture at " << kFixture;
    }
    static inline Words* words_ = nullptr;
    static inline Corpus* train_ = nullptr;
    static inline Corpus* test_ = nullptr;
    static inline NgramModel* model_ = nullptr;
};

TEST_F(NgramKenlm, DiscountsAndCountsOfCountsMatchLmplz) {
    // discounts.txt: the full-precision lines "order ngrams n1 n2 n3 n4 Y D1 D2 D3+".
    std::size_t checked = 0;
    for (const auto& line : read_lines(kFixture + "discounts.txt")) {
        const auto f = split(line);
        if (f.size() != 10 || line[0] == '#') continue;
        const int k = std::stoi(f[0]);
        EXPECT_EQ(model_->ngram_count(k), std::stoull(f[1])) << "order " << k;
        for (int j = 0; j < 4; ++j)
            EXPECT_EQ(model_->counts_of_counts()[k - 1][j], std::stoull(f[2 + j]))
                << "order " << k << " n" << j + 1;
        for (int j = 0; j < 3; ++j)
            EXPECT_NEAR(model_->discounts()[k - 1][j], std::stod(f[7 + j]), 1e-6)
                << "order " << k << " D" << j + 1;
        ++checked;
    }
    EXPECT_EQ(checked, 3u);
    EXPECT_EQ(model_->vocabulary_size(), 7598u);
}

TEST_F(NgramKenlm, EveryArpaEntryMatchesLmplz) {
    std::ifstream in(kFixture + "quijote3k.o3.arpa");
    const Arpa ref = parse_arpa(in);
    std::stringstream mine_text;
    model_->write_arpa(mine_text, [&](TokenId id) { return words_->words[id]; });
    const Arpa mine = parse_arpa(mine_text);
    ASSERT_EQ(ref.grams.size(), 3u);
    ASSERT_EQ(mine.grams.size(), 3u);
    EXPECT_EQ(mine.header, ref.header);
    double worst_p = 0.0, worst_b = 0.0;
    for (std::size_t k = 0; k < 3; ++k) {
        ASSERT_EQ(mine.grams[k].size(), ref.grams[k].size()) << "order " << k + 1;
        for (const auto& [gram, pb] : ref.grams[k]) {
            auto it = mine.grams[k].find(gram);
            ASSERT_NE(it, mine.grams[k].end()) << gram;
            EXPECT_NEAR(it->second.first, pb.first, 1e-5) << gram;
            EXPECT_NEAR(it->second.second, pb.second, 1e-5) << gram;
            worst_p = std::max(worst_p, std::fabs(it->second.first - pb.first));
            worst_b = std::max(worst_b, std::fabs(it->second.second - pb.second));
        }
    }
    std::cout << "[ngram] largest |log10 p - lmplz| = " << worst_p
              << ", |log10 backoff - lmplz| = " << worst_b << "\n";
}

TEST_F(NgramKenlm, QueryWordsSentencesAndPerplexityMatchKenlm) {
    // quijote3k.o3.query.txt: per word "word=id length log10p", then "Total: sum OOV: n".
    // query.txt ends with the 4 summary lines of query.summary.txt.
    auto query = read_lines(kFixture + "quijote3k.o3.query.txt");
    ASSERT_EQ(query.size(), test_->lines() + 4);
    query.resize(test_->lines());
    const auto sentences = read_lines(kFixture + "quijote3k.o3.query.sentence.txt");
    ASSERT_EQ(sentences.size(), test_->lines());
    double worst_word = 0.0, worst_total = 0.0;
    for (std::size_t l = 0; l < test_->lines(); ++l) {
        const auto line = test_->line(l);
        std::vector<double> expected;
        std::istringstream fields(query[l]);
        std::string f;
        while (std::getline(fields, f, '\t')) {
            if (f.rfind("Total:", 0) == 0) break;
            expected.push_back(std::stod(f.substr(f.rfind(' ') + 1)));
        }
        ASSERT_EQ(expected.size(), line.size() + 1) << "line " << l;
        std::vector<TokenId> ctx{Vocabulary::kBos};
        for (std::size_t i = 0; i <= line.size(); ++i) {
            const TokenId w = i < line.size() ? line[i] : Vocabulary::kEos;
            const double lp = model_->log10_prob(ctx, w);
            EXPECT_NEAR(lp, expected[i], 1e-5) << "line " << l << " word " << i;
            worst_word = std::max(worst_word, std::fabs(lp - expected[i]));
            ctx.push_back(w);
        }
        const auto s = split(sentences[l]);  // "Total:" sum "OOV:" n
        ASSERT_EQ(s.size(), 4u);
        const double total = model_->sentence_log10(line);
        EXPECT_NEAR(total, std::stod(s[1]), 1e-4) << "line " << l;
        worst_total = std::max(worst_total, std::fabs(total - std::stod(s[1])));
        std::size_t oov = 0;
        for (TokenId w : line) oov += w == Vocabulary::kUnk;
        EXPECT_EQ(oov, std::stoull(s[3])) << "line " << l;
    }
    std::cout << "[ngram] largest |word log10 p - query| = " << worst_word
              << ", |sentence Total - query| = " << worst_total << "\n";

    std::map<std::string, double> summary;
    for (const auto& line : read_lines(kFixture + "quijote3k.o3.query.summary.txt")) {
        const auto tab = line.find('\t');
        summary[line.substr(0, tab)] = std::stod(line.substr(tab + 1));
    }
    const auto ppl = model_->perplexity(*test_);
    EXPECT_EQ(ppl.tokens, static_cast<std::size_t>(summary.at("Tokens:")));
    EXPECT_EQ(ppl.oov, static_cast<std::size_t>(summary.at("OOVs:")));
    EXPECT_NEAR(ppl.perplexity, summary.at("Perplexity including OOVs:"),
                1e-5 * summary.at("Perplexity including OOVs:"));
    EXPECT_NEAR(ppl.perplexity_excluding_oov, summary.at("Perplexity excluding OOVs:"),
                1e-5 * summary.at("Perplexity excluding OOVs:"));
}

TEST_F(NgramKenlm, ProbabilitiesSumToOne) {
    const std::size_t n_ids = words_->words.size();
    std::size_t pick = 0;
    while (train_->line(pick).size() < 3) ++pick;
    const auto line = train_->line(pick);
    const std::vector<std::vector<TokenId>> contexts{{},
                                                     {Vocabulary::kBos},
                                                     {Vocabulary::kBos, line[0]},
                                                     {line[0], line[1]},
                                                     {line[1], line[2]},
                                                     {Vocabulary::kUnk},
                                                     {line[2], Vocabulary::kUnk},
                                                     {Vocabulary::kUnk, line[2]}};
    for (const auto& ctx : contexts)
        EXPECT_NEAR(sum_over_vocabulary(*model_, ctx, n_ids), 1.0, 1e-9);
}

TEST_F(NgramKenlm, ArpaExportReadsBackToTheSameProbabilities) {
    std::stringstream text;
    model_->write_arpa(text, [&](TokenId id) { return words_->words[id]; });
    const Arpa arpa = parse_arpa(text);
    for (std::size_t l = 0; l < 100; ++l) {
        const auto line = test_->line(l);
        std::vector<std::string> ngram{"<s>"};
        std::vector<TokenId> ctx{Vocabulary::kBos};
        for (std::size_t i = 0; i <= line.size(); ++i) {
            const TokenId w = i < line.size() ? line[i] : Vocabulary::kEos;
            ngram.push_back(words_->words[w]);
            const std::vector<std::string> last(
                ngram.end() - std::min<std::size_t>(3, ngram.size()), ngram.end());
            EXPECT_NEAR(arpa_log10(arpa, last), model_->log10_prob(ctx, w), 1e-12);
            ctx.push_back(w);
        }
    }
}

TEST_F(NgramKenlm, OtherOrdersFitAndNormalise) {
    for (int order : {1, 2, 4, 5, 6}) {
        const NgramModel m = fit_model(*train_, order);
        EXPECT_EQ(m.discounts().size(), static_cast<std::size_t>(order));
        const auto line = train_->line(7);
        std::vector<TokenId> ctx{Vocabulary::kBos};
        ctx.insert(ctx.end(), line.begin(), line.begin() + std::min<std::size_t>(5, line.size()));
        EXPECT_NEAR(sum_over_vocabulary(m, ctx, words_->words.size()), 1.0, 1e-9) << order;
        Rng rng(3);
        const Corpus s = m.sample(20, 1.0, rng);
        EXPECT_EQ(s.lines(), 20u);
    }
}

// ---- Hand-made corpus ----------------------------------------------------------------------

// Order 2 on the lines "a b", "a b", "a c", "b c", "c a", "c", "b", "d".
// Bigram raw counts: <s> a 3, a b 2, b </s> 3, a c 1, c </s> 3, <s> b 2, b c 1, <s> c 2,
//   c a 1, a </s> 1, <s> d 1, d </s> 1  ->  n1 = 6, n2 = 3, n3 = 3, n4 = 0;
//   Y = 6 / (6 + 2*3) = 0.5; D1 = 1 - 2*0.5*3/6 = 0.5; D2 = 2 - 3*0.5*3/3 = 0.5;
//   D3+ = 3 - 4*0.5*0/3 = 3.
// Unigram adjusted counts (distinct left words): a {<s>, c} 2, b {<s>, a} 2, c {<s>, a, b} 3,
//   d {<s>} 1, </s> {a, b, c, d} 4, <unk> 0, <s> 0  ->  n1 = 1, n2 = 2, n3 = 1, n4 = 1;
//   Y = 1 / (1 + 2*2) = 0.2; D1 = 1 - 2*0.2*2/1 = 0.2; D2 = 2 - 3*0.2*1/2 = 1.7;
//   D3+ = 3 - 4*0.2*1/1 = 2.2.
// Unigrams: sum of adjusted counts 12; gamma = (0.2*1 + 1.7*2 + 2.2*2)/12 = 2/3; V = 7, so the
//   uniform term is 1/6: p(<unk>) = (2/3)/6 = 1/9; p(b) = (2 - 1.7)/12 + 1/9 = 0.025 + 1/9.
// Context a: a b 2, a c 1, a </s> 1: sum 4, gamma(a) = (0.5*2 + 0.5*1)/4 = 0.375;
//   p(b | a) = (2 - 0.5)/4 + 0.375 p(b) = 0.375 + 0.375 (0.025 + 1/9).
const std::vector<std::string> kTiny{"a b", "a b", "a c", "b c", "c a", "c", "b", "d"};

TEST(NgramHand, DiscountsAndProbabilitiesByHand) {
    Words w;
    const Corpus c = tokenize(kTiny, w, true);
    const NgramModel m = fit_model(c, 2);
    const auto& d = m.discounts();
    ASSERT_EQ(d.size(), 2u);
    EXPECT_NEAR(d[0][0], 0.2, 1e-12);
    EXPECT_NEAR(d[0][1], 1.7, 1e-12);
    EXPECT_NEAR(d[0][2], 2.2, 1e-12);
    EXPECT_NEAR(d[1][0], 0.5, 1e-12);
    EXPECT_NEAR(d[1][1], 0.5, 1e-12);
    EXPECT_NEAR(d[1][2], 3.0, 1e-12);
    EXPECT_EQ(m.counts_of_counts()[0], (std::array<std::uint64_t, 4>{1, 2, 1, 1}));
    EXPECT_EQ(m.counts_of_counts()[1], (std::array<std::uint64_t, 4>{6, 3, 3, 0}));
    EXPECT_EQ(m.vocabulary_size(), 7u);
    const TokenId a = w.find("a"), b = w.find("b");
    const std::vector<TokenId> none, ctx_a{a};
    EXPECT_NEAR(std::pow(10.0, m.log10_prob(none, Vocabulary::kUnk)), 1.0 / 9.0, 1e-12);
    EXPECT_NEAR(std::pow(10.0, m.log10_prob(none, b)), 0.025 + 1.0 / 9.0, 1e-12);
    EXPECT_NEAR(std::pow(10.0, m.log10_prob(ctx_a, b)), 0.375 + 0.375 * (0.025 + 1.0 / 9.0), 1e-12);
    // An unknown id is <unk>, in the word and in the context.
    EXPECT_EQ(m.log10_prob(ctx_a, 999), m.log10_prob(ctx_a, Vocabulary::kUnk));
    const std::vector<TokenId> ctx_unknown{999};
    EXPECT_EQ(m.log10_prob(ctx_unknown, b), m.log10_prob(std::vector<TokenId>{0}, b));
    for (const auto& ctx : {none, ctx_a, std::vector<TokenId>{Vocabulary::kBos}})
        EXPECT_NEAR(sum_over_vocabulary(m, ctx, w.words.size()), 1.0, 1e-12);
}

TEST(NgramHand, BadDiscountWithoutSingletonsAndFallback) {
    std::vector<std::string> lines;
    for (const auto& l : kTiny) lines.insert(lines.end(), {l, l});  // every line twice
    Words w;
    const Corpus c = tokenize(lines, w, true);
    try {
        fit_model(c, 2);
        FAIL() << "expected DataError";
    } catch (const DataError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("order 2"), std::string::npos) << msg;
        EXPECT_NE(msg.find("n1=0"), std::string::npos) << msg;
        EXPECT_NE(msg.find("singletons"), std::string::npos) << msg;
    }
    NgramOptions o;
    o.order = 2;
    o.fallback = NgramOptions::DiscountFallback::kDefault;
    NgramModel m(o);
    const FitInfo info = m.fit(c);
    EXPECT_NE(info.note.find("fallback"), std::string::npos) << info.note;
    EXPECT_EQ(m.discounts()[1], (std::array<double, 3>{0.5, 1.0, 1.5}));
    EXPECT_NEAR(sum_over_vocabulary(m, {w.find("a")}, w.words.size()), 1.0, 1e-12);
    EXPECT_THROW(NgramModel(NgramOptions{.order = 7}), ConfigError);
    EXPECT_THROW(NgramModel(NgramOptions{.order = 0}), ConfigError);
}

// Chi-square of the first and second tokens of sampled lines against the model.
// The 0.999 quantile of chi-square with 5 degrees of freedom is 20.515 (six predictable words:
// <unk>, </s>, a, b, c, d).
void check_sampling(bool reference) {
    Words w;
    const Corpus c = tokenize(kTiny, w, true);
    const NgramModel m = fit_model(c, 2);
    Rng rng(12345);
    const std::size_t n = 40000;
    const Corpus s = reference ? m.sample_reference(n, 1.0, rng, 2) : m.sample(n, 1.0, rng, 2);
    ASSERT_EQ(s.lines(), n);
    const std::vector<TokenId> predictable{0, 2, 3, 4, 5, 6};
    std::map<TokenId, double> first, after_a;
    double n_after_a = 0.0;
    const TokenId a = w.find("a");
    for (std::size_t l = 0; l < n; ++l) {
        const auto line = s.line(l);
        first[line.empty() ? Vocabulary::kEos : line[0]] += 1.0;
        if (!line.empty() && line[0] == a) {
            after_a[line.size() > 1 ? line[1] : Vocabulary::kEos] += 1.0;
            n_after_a += 1.0;
        }
    }
    const auto chi2 = [&](const std::vector<TokenId>& ctx, std::map<TokenId, double>& obs,
                          double total) {
        double x = 0.0;
        for (TokenId t : predictable) {
            const double e = total * std::pow(10.0, m.log10_prob(ctx, t));
            x += (obs[t] - e) * (obs[t] - e) / e;
        }
        return x;
    };
    EXPECT_LT(chi2({Vocabulary::kBos}, first, n), 20.515);
    EXPECT_LT(chi2({a}, after_a, n_after_a), 20.515);
}

TEST(NgramHand, SamplingFrequenciesMatchProbabilitiesFastPath) { check_sampling(false); }
TEST(NgramHand, SamplingFrequenciesMatchProbabilitiesDensePath) { check_sampling(true); }

// Chi-square of the first tokens (context <s>) and of the second tokens after "a" (context
// <s> a) of lines sampled at temperature tau < 1 (the rejection-sampling path) against the
// exact tempered distribution p^(1/tau) computed densely over the predictable words.
// Categories are pooled, rarest first, until every expected count is >= 5; the bound is the
// 0.999 quantile of chi-square with (categories - 1) degrees of freedom.
void check_tempered_sampling(int order, double tau) {
    Words w;
    const Corpus c = tokenize(kTiny, w, true);
    const NgramModel m = fit_model(c, order, NgramOptions::DiscountFallback::kDefault);
    Rng rng(777);
    const std::size_t n = 40000;
    const Corpus s = m.sample(n, tau, rng, 2);
    ASSERT_EQ(s.lines(), n);
    const std::vector<TokenId> predictable{0, 2, 3, 4, 5, 6};
    const TokenId a = w.find("a");
    std::map<TokenId, double> first, after_a;
    double n_after_a = 0.0;
    for (std::size_t l = 0; l < n; ++l) {
        const auto line = s.line(l);
        first[line.empty() ? Vocabulary::kEos : line[0]] += 1.0;
        if (!line.empty() && line[0] == a) {
            after_a[line.size() > 1 ? line[1] : Vocabulary::kEos] += 1.0;
            n_after_a += 1.0;
        }
    }
    const double q999[] = {0.0,    10.828, 13.816, 16.266, 18.467,
                           20.515, 22.458, 24.322, 26.124, 27.877};
    const auto check = [&](const std::vector<TokenId>& ctx, std::map<TokenId, double>& obs,
                           double total) {
        std::vector<std::pair<double, double>> cells;  // (expected, observed)
        double z = 0.0;
        for (TokenId t : predictable) z += std::pow(10.0, m.log10_prob(ctx, t) / tau);
        double seen = 0.0;
        for (TokenId t : predictable) {
            cells.emplace_back(total * std::pow(10.0, m.log10_prob(ctx, t) / tau) / z, obs[t]);
            seen += obs[t];
        }
        EXPECT_EQ(seen, total);  // never <s>, never outside the vocabulary
        std::sort(cells.begin(), cells.end());
        while (cells.size() > 1 && cells[0].first < 5.0) {
            cells[1].first += cells[0].first;
            cells[1].second += cells[0].second;
            cells.erase(cells.begin());
            std::sort(cells.begin(), cells.end());
        }
        ASSERT_GE(cells.size(), 2u);
        double x = 0.0;
        for (const auto& [e, o] : cells) x += (o - e) * (o - e) / e;
        EXPECT_LT(x, q999[cells.size() - 1]) << "order " << order << " tau " << tau;
    };
    check({Vocabulary::kBos}, first, n);
    check({Vocabulary::kBos, a}, after_a, n_after_a);
}

TEST(NgramHand, TemperedSamplingMatchesDenseDistribution) {
    for (int order : {2, 3})
        for (double tau : {0.5, 0.8}) check_tempered_sampling(order, tau);
}

TEST_F(NgramKenlm, TemperedSamplingSpeed) {
    // Not an assertion: tokens/s of the rejection-sampling path against the dense path.
    const auto rate = [&](double tau, bool dense, std::size_t lines) {
        Rng rng(11);
        const auto t0 = std::chrono::steady_clock::now();
        const Corpus s = dense ? model_->sample_reference(lines, tau, rng, 200)
                               : model_->sample(lines, tau, rng, 200);
        const double sec =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return (static_cast<double>(s.tokens.size()) + static_cast<double>(lines)) / sec;
    };
    std::printf(
        "ngram sampling (V = %zu) tokens/s: tau 1 fast %.0f, tau 0.8 rejection %.0f, "
        "tau 0.8 dense %.0f, tau 0.5 rejection %.0f\n",
        model_->vocabulary_size(), rate(1.0, false, 2000), rate(0.8, false, 2000),
        rate(0.8, true, 20), rate(0.5, false, 2000));
}

double first_token_entropy(const Corpus& s) {
    std::map<TokenId, double> f;
    for (std::size_t l = 0; l < s.lines(); ++l)
        f[s.line(l).empty() ? Vocabulary::kEos : s.line(l)[0]] += 1.0;
    double h = 0.0;
    for (const auto& [t, c] : f) h -= c / s.lines() * std::log(c / s.lines());
    return h;
}

TEST(NgramHand, LowTemperatureTopKAndTopPLowerEntropy) {
    Words w;
    const Corpus c = tokenize(kTiny, w, true);
    const NgramModel m = fit_model(c, 2);
    Rng rng(7);
    const double h1 = first_token_entropy(m.sample(5000, 1.0, rng, 3));
    const double h_cold = first_token_entropy(m.sample(5000, 0.5, rng, 3));
    const double h_hot = first_token_entropy(m.sample(5000, 2.0, rng, 3));
    EXPECT_LT(h_cold, h1 - 0.05);
    EXPECT_GT(h_hot, h1 + 0.05);
    // top_k = 1 is greedy: every line starts with the most probable word after <s> (c: the
    // counts <s> a 3, <s> c 2 have discounted terms 3 - D3+ = 0 and 2 - D2 = 1.5).
    const std::vector<TokenId> bos{Vocabulary::kBos};
    TokenId best = 0;
    for (TokenId t = 0; t < 7; ++t)
        if (t != Vocabulary::kBos && m.log10_prob(bos, t) > m.log10_prob(bos, best)) best = t;
    EXPECT_EQ(best, w.find("c"));
    const Corpus greedy = m.sample(200, 1.0, rng, 3, 1);
    for (std::size_t l = 0; l < greedy.lines(); ++l) EXPECT_EQ(greedy.line(l)[0], best);
    EXPECT_LT(first_token_entropy(m.sample(5000, 1.0, rng, 3, 0, 0.6)), h1 - 0.05);
    EXPECT_THROW(m.sample(1, 0.0, rng), ConfigError);
    EXPECT_THROW(m.sample(1, 1.0, rng, 3, -1), ConfigError);
    EXPECT_THROW(m.sample(1, 1.0, rng, 3, 0, 0.0), ConfigError);

    // The options' truncation (config keys model.top_k, model.top_p) is what sample() uses
    // when it is not given one: top_k = 1 in the options is greedy too.
    NgramOptions greedy_options;
    greedy_options.order = 2;
    greedy_options.top_k = 1;
    NgramModel configured(greedy_options);
    configured.fit(c);
    const Corpus configured_lines = configured.sample(200, 1.0, rng, 3);
    for (std::size_t l = 0; l < configured_lines.lines(); ++l)
        EXPECT_EQ(configured_lines.line(l)[0], best);
    greedy_options.top_k = -1;
    EXPECT_THROW(NgramModel{greedy_options}, ConfigError);
    greedy_options.top_k = 0;
    greedy_options.top_p = 1.5;
    EXPECT_THROW(NgramModel{greedy_options}, ConfigError);
}

// Nucleus edge cases on a model with exact ties: after "x", the words c and d have equal counts
// (bigram 1, continuation 1), hence bit-equal probabilities (as have e and y, by backoff). For
// top_p landing at each rank r (the mass of the r most probable words plus half the next one's),
// the nucleus is the first r + 1 words in (probability descending, id ascending) order: inside the
// tie group, the smaller ids. Both the nucleus sampler and the dense path must emit exactly that
// set (each kept word has probability >= 0.05 of 4,000-odd draws: all seen). top_p = 1 is the
// untruncated sampler; a tiny top_p keeps the single most probable word (the smallest id among
// ties).
TEST(NgramHand, NucleusEdgeCasesTiesTinyAndOne) {
    Words w;
    const std::vector<std::string> text{"x a", "x b", "x c", "x d", "y", "x a b", "y e"};
    const Corpus c = tokenize(text, w, true);
    const NgramModel m = fit_model(c, 2, NgramOptions::DiscountFallback::kDefault);
    const TokenId x = w.find("x");
    const std::vector<TokenId> ctx{x};
    std::vector<std::pair<double, TokenId>> ranked;  // (p, id), the dense definition's order
    for (TokenId t = 0; t < w.words.size(); ++t)
        if (t != Vocabulary::kBos) ranked.emplace_back(std::pow(10.0, m.log10_prob(ctx, t)), t);
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
        return a.first > b.first || (a.first == b.first && a.second < b.second);
    });
    // The tie group this test is about: c and d tie (bigram count 1 after x, continuation 1).
    ASSERT_EQ(m.log10_prob(ctx, w.find("c")), m.log10_prob(ctx, w.find("d")));
    // Second words of lines starting with x (contexts <s> then x; <s> x is a bigram).
    const auto second_words = [&](const Corpus& lines) {
        std::set<TokenId> seen;
        for (std::size_t l = 0; l < lines.lines(); ++l) {
            const auto line = lines.line(l);
            if (line.empty() || line[0] != x) continue;
            seen.insert(line.size() > 1 ? line[1] : Vocabulary::kEos);
        }
        return seen;
    };
    double cum = 0.0;
    for (std::size_t r = 0; r + 1 < ranked.size() && r < 6; ++r) {
        const double p = cum + 0.5 * ranked[r].first;
        cum += ranked[r].first;
        std::set<TokenId> expected;
        for (std::size_t i = 0; i <= r; ++i) expected.insert(ranked[i].second);
        // The first word must be x often enough: x is the most probable first word, so any
        // top_p keeps it.
        Rng a(5), b(6);
        EXPECT_EQ(second_words(m.sample(8000, 1.0, a, 2, 0, p)), expected) << "rank " << r;
        EXPECT_EQ(second_words(m.sample_reference(8000, 1.0, b, 2, 0, p)), expected)
            << "rank " << r;
    }
    // top_p = 1: the plain sampler, the same lines for the same seed.
    Rng a(8), b(8);
    EXPECT_EQ(m.sample(200, 1.0, a, 5, 0, 1.0).tokens, m.sample(200, 1.0, b, 5).tokens);
    // Tiny top_p: greedy, the smallest id among the most probable words.
    Rng g(9);
    const Corpus greedy = m.sample(50, 1.0, g, 2, 0, 1e-12);
    for (std::size_t l = 0; l < greedy.lines(); ++l) {
        const auto line = greedy.line(l);
        ASSERT_FALSE(line.empty());
        EXPECT_EQ(line[0], x);
        EXPECT_EQ(line.size() > 1 ? line[1] : Vocabulary::kEos, ranked[0].second);
    }
}

TEST(NgramHand, SamplingIsDeterministicGivenTheSeed) {
    Words w;
    const Corpus c = tokenize(kTiny, w, true);
    const NgramModel m = fit_model(c, 3, NgramOptions::DiscountFallback::kDefault);
    Rng r1(99), r2(99);
    EXPECT_EQ(m.sample(50, 1.0, r1).tokens, m.sample(50, 1.0, r2).tokens);
    EXPECT_EQ(m.sample(50, 0.7, r1, 10, 3, 0.9).tokens, m.sample(50, 0.7, r2, 10, 3, 0.9).tokens);
    EXPECT_EQ(m.sample(50, 0.6, r1).tokens, m.sample(50, 0.6, r2).tokens);  // rejection path
    EXPECT_EQ(m.sample(50, 1.0, r1, 10, 0, 0.8).tokens,
              m.sample(50, 1.0, r2, 10, 0, 0.8).tokens);  // nucleus path
}

TEST(NgramHand, RejectsBadInput) {
    NgramModel m;
    EXPECT_THROW(m.fit(Corpus{}), DataError);
    Corpus c;
    const std::vector<TokenId> bad{3, Vocabulary::kEos, 4};
    c.add_line(bad);
    EXPECT_THROW(m.fit(c), DataError);
    EXPECT_THROW(m.log10_prob({}, 3), Error);
}

// ---- Top-k / top-p: the fast path against the dense O(V) definition ---------------------

struct Setting {
    double tau;
    int k;
    double p;
};

// The top-k / tempered top-p path draws the very words of the dense path (same Rng state, one
// uniform a token, the same kept set and weights, summed and walked in the same order). top_p
// alone at temperature 1 takes the nucleus sampler (rejection: other draws, same distribution;
// NucleusChiSquare* below).
TEST_F(NgramKenlm, TopKTopPSameLinesAsTheDensePath) {
    const std::vector<Setting> settings{{1.0, 50, 1.0},  {1.0, 1, 1.0}, {0.7, 10, 1.0},
                                        {1.3, 5, 0.8},   {0.8, 0, 0.6}, {2.0, 0, 0.3},
                                        {0.5, 40, 0.95}, {1.0, 3, 0.9}};
    for (const Setting& s : settings) {
        Rng a(2026), b(2026);
        const Corpus fast = model_->sample(60, s.tau, a, 30, s.k, s.p);
        const Corpus dense = model_->sample_reference(60, s.tau, b, 30, s.k, s.p);
        EXPECT_EQ(fast.tokens, dense.tokens) << "tau " << s.tau << " k " << s.k << " p " << s.p;
        EXPECT_EQ(fast.offsets, dense.offsets);
        EXPECT_EQ(a.next_u64(), b.next_u64());  // the same number of draws
    }
}

// The dense definition written out here independently, from log10_prob over every id: q =
// p^(1/tau); the top_k largest q (ties: smaller id first); then the smallest prefix of the
// rest, in that order, whose mass reaches top_p of their total; renormalised. `wrong_k` adds
// one to k: the deliberately wrong variant.
std::map<TokenId, double> dense_definition(const NgramModel& m, std::size_t n_ids,
                                           const std::vector<TokenId>& ctx, const Setting& s,
                                           bool wrong_k = false) {
    std::vector<std::pair<double, TokenId>> q;
    for (TokenId w = 0; w < n_ids; ++w)
        if (w != Vocabulary::kBos) q.emplace_back(std::pow(10.0, m.log10_prob(ctx, w) / s.tau), w);
    std::sort(q.begin(), q.end(), [](const auto& a, const auto& b) {
        return a.first > b.first || (a.first == b.first && a.second < b.second);
    });
    const int k = s.k + (wrong_k ? 1 : 0);
    if (s.k > 0 && static_cast<std::size_t>(k) < q.size()) q.resize(k);
    if (s.p < 1.0) {
        double total = 0.0, cum = 0.0;
        for (const auto& x : q) total += x.first;
        std::size_t keep = 0;
        while (keep < q.size() && cum < s.p * total) cum += q[keep++].first;
        q.resize(keep);
    }
    double z = 0.0;
    for (const auto& x : q) z += x.first;
    std::map<TokenId, double> out;
    for (const auto& x : q) out[x.second] = x.first / z;
    return out;
}

// Pearson's chi-square of `observed` (counts of n draws) against `expected` (probabilities);
// cells with expected count < 5 are pooled. A word observed outside the expected support
// makes the statistic infinite. Returns (statistic, degrees of freedom).
std::pair<double, int> chi_square(const std::map<TokenId, double>& expected,
                                  const std::map<TokenId, double>& observed, double n) {
    for (const auto& [w, c] : observed)
        if (expected.count(w) == 0) return {HUGE_VAL, 1};
    std::vector<std::pair<double, double>> cells;  // (expected count, observed)
    double pool_e = 0.0, pool_o = 0.0;
    for (const auto& [w, p] : expected) {
        const auto it = observed.find(w);
        const double o = it == observed.end() ? 0.0 : it->second;
        if (p * n < 5.0) {
            pool_e += p * n;
            pool_o += o;
        } else {
            cells.emplace_back(p * n, o);
        }
    }
    if (pool_e > 0.0) cells.emplace_back(pool_e, pool_o);
    double x = 0.0;
    for (const auto& [e, o] : cells) x += (o - e) * (o - e) / e;
    return {x, static_cast<int>(cells.size()) - 1};
}

// Upper 0.001 point of chi-square with df degrees of freedom (Wilson-Hilferty; within 1% of
// the exact quantile for df >= 3; df <= 2 from the table).
double chi2_q999(int df) {
    if (df <= 0) return 0.0;
    if (df == 1) return 10.828;
    if (df == 2) return 13.816;
    const double z = 3.0902, a = 2.0 / (9.0 * df);
    return df * std::pow(1.0 - a + z * std::sqrt(a), 3.0);
}

// Sampled first words (context <s>, max_len 1) against the dense definition, for several
// settings. Each check is at the 0.999 level with a fixed seed (about 1 in 1000 per check for
// a correct sampler); the wrong variant (k + 1 words) must fail it in every top-k setting: the
// extra word holds several percent of the mass, which 40,000 draws see at chi-square >> 100.
TEST_F(NgramKenlm, TopKTopPChiSquareAgainstTheDenseDefinition) {
    const std::vector<Setting> settings{{1.0, 10, 1.0}, {0.8, 5, 1.0}, {1.5, 20, 0.9},
                                        {1.0, 0, 0.7},  {0.7, 0, 0.9}, {1.0, 30, 0.6},
                                        {1.0, 0, 0.9},  {1.0, 0, 0.3}, {1.0, 0, 0.05}};
    const std::vector<TokenId> bos{Vocabulary::kBos};
    const double n = 40000;
    for (const Setting& s : settings) {
        Rng rng(4242);
        const Corpus lines = model_->sample(static_cast<std::size_t>(n), s.tau, rng, 1, s.k, s.p);
        std::map<TokenId, double> observed;
        for (std::size_t l = 0; l < lines.lines(); ++l)
            observed[lines.line(l).empty() ? Vocabulary::kEos : lines.line(l)[0]] += 1.0;
        const auto [x, df] =
            chi_square(dense_definition(*model_, words_->words.size(), bos, s), observed, n);
        if (df == 0)  // a one-word nucleus: every draw is that word
            EXPECT_EQ(x, 0.0) << "tau " << s.tau << " k " << s.k << " p " << s.p;
        else
            EXPECT_LT(x, chi2_q999(df)) << "tau " << s.tau << " k " << s.k << " p " << s.p;
        if (s.k > 0 && s.p >= 1.0) {
            const auto [xw, dfw] = chi_square(
                dense_definition(*model_, words_->words.size(), bos, s, true), observed, n);
            EXPECT_GT(xw, chi2_q999(dfw)) << "the wrong variant passed: k " << s.k;
        }
    }
}

// Pearson's chi-square test of homogeneity of two samples (counts a of n_a draws, b of n_b):
// sum over cells and samples of (observed - expected)^2 / expected, the expected counts from the
// pooled proportions; cells with an expected count < 5 in either sample are pooled. Returns
// (statistic, degrees of freedom = cells - 1), chi-square distributed under equal
// distributions.
std::pair<double, int> chi_square_two_samples(const std::map<TokenId, double>& a, double n_a,
                                              const std::map<TokenId, double>& b, double n_b) {
    std::map<TokenId, std::pair<double, double>> cells;
    for (const auto& [w, c] : a) cells[w].first += c;
    for (const auto& [w, c] : b) cells[w].second += c;
    const double n = n_a + n_b;
    std::vector<std::pair<double, double>> kept;
    std::pair<double, double> pool{0.0, 0.0};
    for (const auto& [w, c] : cells) {
        const double total = c.first + c.second;
        if (total * std::min(n_a, n_b) / n < 5.0) {
            pool.first += c.first;
            pool.second += c.second;
        } else {
            kept.push_back(c);
        }
    }
    if (pool.first + pool.second > 0.0) kept.push_back(pool);
    double x = 0.0;
    for (const auto& [oa, ob] : kept) {
        const double total = oa + ob;
        const double ea = total * n_a / n, eb = total * n_b / n;
        x += (oa - ea) * (oa - ea) / ea + (ob - eb) * (ob - eb) / eb;
    }
    return {x, static_cast<int>(kept.size()) - 1};
}

std::map<TokenId, double> first_words(const Corpus& lines) {
    std::map<TokenId, double> f;
    for (std::size_t l = 0; l < lines.lines(); ++l)
        f[lines.line(l).empty() ? Vocabulary::kEos : lines.line(l)[0]] += 1.0;
    return f;
}

// Chi-square statistic and degrees of freedom of the second words of `lines` after their most
// frequent first word w (context <s> w: a context of length 2), against the dense definition.
std::pair<double, int> second_word_chi_square(const NgramModel& model, std::size_t n_ids,
                                              const Corpus& lines, const Setting& s) {
    const auto first = first_words(lines);
    const TokenId w = std::max_element(first.begin(), first.end(), [](auto& x, auto& y) {
                          return x.second < y.second;
                      })->first;
    std::map<TokenId, double> observed;
    double n = 0.0;
    for (std::size_t l = 0; l < lines.lines(); ++l) {
        const auto line = lines.line(l);
        if (line.empty() || line[0] != w) continue;
        observed[line.size() > 1 ? line[1] : Vocabulary::kEos] += 1.0;
        n += 1.0;
    }
    return chi_square(dense_definition(model, n_ids, {Vocabulary::kBos, w}, s), observed, n);
}

// The nucleus sampler (top_p alone at temperature 1: rejection from the model's distribution
// against the exact cut, a different sequence of draws) against the dense path itself: first
// words of 40,000 fast and 8,000 dense lines, chi-square test of homogeneity at the 0.999
// level (under the null hypothesis that both draw from one distribution, the statistic is
// chi-square with cells - 1 degrees of freedom; fixed seeds, so the outcome is reproducible and
// a correct sampler fails about one seed in 1000). The support must also be inside the dense
// definition's nucleus (chi_square is infinite otherwise).
TEST_F(NgramKenlm, NucleusChiSquareAgainstTheDensePath) {
    const std::vector<TokenId> bos{Vocabulary::kBos};
    for (double p : {0.9, 0.3}) {
        Rng a(31), b(32);
        const double n_fast = 40000, n_dense = 8000;
        const auto fast =
            first_words(model_->sample(static_cast<std::size_t>(n_fast), 1.0, a, 1, 0, p));
        const auto dense = first_words(
            model_->sample_reference(static_cast<std::size_t>(n_dense), 1.0, b, 1, 0, p));
        const auto [x, df] = chi_square_two_samples(fast, n_fast, dense, n_dense);
        EXPECT_LT(x, chi2_q999(df)) << "top_p " << p;
        const auto [xd, dfd] = chi_square(
            dense_definition(*model_, words_->words.size(), bos, {1.0, 0, p}), fast, n_fast);
        EXPECT_LT(xd, chi2_q999(dfd)) << "top_p " << p;
    }
}

// Second words after the most frequent first word (context <s> w): a context of length 2.
TEST_F(NgramKenlm, NucleusChiSquareAfterAFirstWord) {
    for (double p : {0.9, 0.4}) {
        const Setting s{1.0, 0, p};
        Rng rng(17);
        const Corpus lines = model_->sample(60000, s.tau, rng, 2, s.k, s.p);
        const auto [x, df] = second_word_chi_square(*model_, words_->words.size(), lines, s);
        EXPECT_LT(x, chi2_q999(df)) << "top_p " << p;
    }
}

// Second words after the most frequent first word (context <s> w): a context of length 2.
TEST_F(NgramKenlm, TopKTopPChiSquareAfterAFirstWord) {
    const Setting s{1.0, 25, 0.95};
    Rng rng(99);
    const Corpus lines = model_->sample(60000, s.tau, rng, 2, s.k, s.p);
    const auto [x, df] = second_word_chi_square(*model_, words_->words.size(), lines, s);
    EXPECT_LT(x, chi2_q999(df));
}

}  // namespace
}  // namespace madlab
namespace madlab {
namespace {

// Perplexity bit for bit as before the query cache (interpolated probabilities stored at fit
// time): the log10 sums and perplexities below were printed (%a) by the code that recomputed
// them from the counts at every query (commit b8a0eea), on the held-out and the training text,
// at orders 2, 3 and 4.
TEST_F(NgramKenlm, PerplexityBitForBitAsBeforeTheQueryCache) {
    struct Golden {
        int order;
        double log10_test, ppl_test, ppl_test_no_oov, log10_train, ppl_train;
    };
    const Golden golden[] = {
        {2, -0x1.1ba95bc8062acp+13, 0x1.26f87f02d1864p+9, 0x1.ae785ffc08a74p+7,
         -0x1.002c5380a38e3p+16, 0x1.e764d3f121f7fp+5},
        {3, -0x1.1adbd82ac840cp+13, 0x1.21b145a716319p+9, 0x1.a5be42a1b5d97p+7,
         -0x1.6858feb177ebbp+15, 0x1.20038846adfe7p+4},
        {4, -0x1.1ab992ff6fc28p+13, 0x1.20d2508f6251cp+9, 0x1.a4e0763223c58p+7,
         -0x1.4b9184caa8161p+15, 0x1.c9498d3d52cb9p+3},
    };
    for (const Golden& g : golden) {
        const NgramModel m =
            g.order == 3 ? *model_
                         : fit_model(*train_, g.order, NgramOptions::DiscountFallback::kDefault);
        const auto test = m.perplexity(*test_);
        const auto train = m.perplexity(*train_);
        EXPECT_EQ(test.log10_sum, g.log10_test) << "order " << g.order;
        EXPECT_EQ(test.perplexity, g.ppl_test) << "order " << g.order;
        EXPECT_EQ(test.perplexity_excluding_oov, g.ppl_test_no_oov) << "order " << g.order;
        EXPECT_EQ(train.log10_sum, g.log10_train) << "order " << g.order;
        EXPECT_EQ(train.perplexity, g.ppl_train) << "order " << g.order;
    }
}

}  // namespace
}  // namespace madlab
