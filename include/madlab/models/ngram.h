#pragma once
// N-gram language model: interpolated modified Kneser-Ney exactly as KenLM's lmplz (Chen &
// Goodman 1998, "An Empirical Study of Smoothing Techniques for Language Modeling", eq. 26;
// Heafield, Pouzyrevsky, Clark & Koehn 2013, "Scalable Modified Kneser-Ney Language Model
// Estimation"), order 1..6. SCIENCE.md section 6 "Text".
//
// Estimation (as lmplz, kenlm commit 4cb443e, lm/builder/adjust_counts.cc,
// initial_probabilities.cc, interpolate.cc):
//  - every training line is <s> w_1 .. w_n </s>; the highest order keeps raw counts;
//  - an n-gram of lower order gets the adjusted count a = number of distinct left extensions
//    (continuation count), except n-grams that start with <s>, which keep raw counts;
//  - counts-of-counts n_1..n_4 per order over the adjusted counts; Y = n_1/(n_1 + 2 n_2),
//    D_k = k - (k+1) Y n_{k+1}/n_k (k = 1, 2, 3 = "3+"). n_k = 0 (k <= 3) or D_k outside
//    [0, k] is lmplz's BadDiscountException: DataError, or with DiscountFallback::kDefault
//    the discounts 0.5 1 1.5 for that order (lmplz --discount_fallback), told in FitInfo.note;
//  - p(w | c) = (a(c w) - D(a(c w))) / sum_x a(c x) + gamma(c) p(w | c'), c' = c without its
//    first word, gamma(c) = (D_1 N_1(c.) + D_2 N_2(c.) + D_3 N_3+(c.)) / sum_x a(c x);
//  - the unigrams interpolate with the uniform distribution 1/(V - 1) over the vocabulary V
//    (the training words, <unk>, <s>, </s>) without <s>: <unk> (adjusted count 0) gets
//    gamma(empty)/(V - 1); <s> is never predicted (its ARPA log10 probability is 0, as the
//    fixture's lmplz writes it, and sample() never draws it).
// Values are computed in double (lmplz uses float: differences are about 1e-7 relative).
//
// Querying (log10_prob) is KenLM's ARPA backoff: the longest n-gram (context suffix, word) in
// the model gives its interpolated probability, plus the log10 backoffs gamma of the longer
// context suffixes that are in the model. Words the model has not seen (any TokenId not in the
// training text) are <unk>, in the word and in the context, as in KenLM's query.
//
// Sampling (sample): token by token until </s> (or max_len words), from the exact model
// distribution p(w | last order-1 tokens).
//  - temperature == 1, top_k == 0, top_p >= 1: the recursive backoff decomposition. p(w | c) =
//    alpha(c w) + gamma(c) p(w | c') with sum_w alpha(c w) + gamma(c) = 1, so draw u: with
//    probability 1 - gamma(c) pick an explicit successor of c (binary search in the cumulative
//    alphas), else recurse to c'; at the empty context, gamma(empty) goes to the uniform
//    distribution over V - 1 words. Cost O(order * log(successors)) a token.
//  - 0 < temperature < 1, top_k == 0, top_p >= 1: exact rejection sampling (von Neumann 1951,
//    "Various techniques used in connection with random digits") of the tempered target
//    q(w) proportional to p(w | c)^(1/temperature). Propose w from p(. | c) with the fast path
//    above and accept it with probability (p(w | c) / M(c))^(1/temperature - 1), where M(c) >=
//    max_w p(w | c); the accepted w has density proportional to p (p/M)^(1/temperature - 1),
//    i.e. to p^(1/temperature), for any valid bound. M is precomputed per context at fit time:
//    M(c) = max_s alpha(c s) + gamma(c) M(c') over c's explicit successors s (M(c) = M(c') when
//    c has none), M(empty) = the exact maximum of the interpolated unigram probabilities; it is
//    <= 1 and valid since p(w | c) = alpha(c w) + gamma(c) p(w | c'). p(w | c) of the proposal
//    is log10_prob's value. After 256 rejections in a row the token is drawn from the dense
//    path, which is still exact (each trial's acceptance, given it happens, yields q). Cost
//    O(order * log(successors)) a proposal, 1 / acceptance rate proposals a token.
//  - otherwise the exact dense path, O(order * V + V log V) a token: the full distribution p over
//    the V - 1 predictable words is built, then (in this order, as Hugging Face's generate)
//    temperature: p^(1/temperature) renormalised (SCIENCE.md lambda = temperature); top_k > 0:
//    only the top_k most probable words are kept; top_p < 1: only the smallest set of most
//    probable words whose probability reaches top_p is kept (nucleus sampling, Holtzman et al.
//    2020); then renormalised and drawn.
//
// Storage: one open-addressing hash table per order from the n-gram (its TokenIds) to an entry;
// the entries of order k are sorted by their context (the (k-1)-gram prefix), so that the
// successors of a context are one contiguous range. Thread-safety: const methods may be called
// concurrently.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "madlab/core/rng.h"
#include "madlab/data/corpus.h"
#include "madlab/models/generative_model.h"

namespace madlab {

struct NgramOptions {
    int order = 3;  // 1..6, else ConfigError
    // What to do when a discount cannot be estimated (lmplz's BadDiscountException).
    enum class DiscountFallback { kError, kDefault };
    DiscountFallback fallback = DiscountFallback::kError;
    // lmplz --discount_fallback's default discounts D1 D2 D3+.
    std::array<double, 3> fallback_discounts{0.5, 1.0, 1.5};
};

namespace ngram_detail {
// Open-addressing hash table from k TokenIds to an entry index 0..size()-1 (insertion order,
// until permute()). Linear probing, load <= 1/2; each slot holds the entry index + 1 (0 =
// empty) and 32 bits of the hash to skip most key comparisons.
class GramTable {
public:
    static constexpr std::uint32_t kNone = 0xffffffffu;
    explicit GramTable(int k = 1) : k_(k) {}
    int order() const { return k_; }
    std::size_t size() const { return keys_.size() / static_cast<std::size_t>(k_); }
    const TokenId* key(std::size_t i) const { return keys_.data() + i * k_; }
    // The entry of `key` (k ids), or kNone.
    std::uint32_t find(const TokenId* key) const;
    // The entry of `key`, added (with the next index) if new; *added says which.
    std::uint32_t insert(const TokenId* key, bool* added);
    void reserve(std::size_t n);
    // Renumbers the entries: entry i becomes new_index[i] (a permutation of 0..size()-1).
    void permute(const std::vector<std::uint32_t>& new_index);
    std::size_t memory_bytes() const {
        return keys_.capacity() * sizeof(TokenId) + slots_.capacity() * sizeof(std::uint64_t);
    }

private:
    void grow();
    int k_;
    std::vector<TokenId> keys_;
    std::vector<std::uint64_t> slots_;
    std::size_t mask_ = 0;
};
}  // namespace ngram_detail

class NgramModel {
public:
    // Throws ConfigError unless 1 <= order <= 6 and the fallback discounts are in (0, k).
    explicit NgramModel(NgramOptions options = {});

    // Estimates the model from the lines of `train` (replacing any earlier fit). Throws
    // DataError when the text has no lines, a line holds <s> or </s>, or a discount cannot be
    // estimated and fallback is kError (the message names the order and its counts-of-counts).
    // FitInfo.note lists the orders that used the fallback discounts.
    FitInfo fit(const Corpus& train);

    bool fitted() const { return fitted_; }
    int order() const { return options_.order; }
    // V: distinct training words plus <unk>, <s>, </s>.
    std::size_t vocabulary_size() const { return orders_.empty() ? 0 : orders_[0].count.size(); }
    // Number of n-grams of order k (1..order()), as the ARPA header.
    std::size_t ngram_count(int k) const { return orders_.at(k - 1).count.size(); }
    // D1, D2, D3+ per order (index k-1), as lmplz prints them.
    const std::vector<std::array<double, 3>>& discounts() const { return discounts_; }
    // n_1..n_4 of the adjusted counts per order (index k-1).
    const std::vector<std::array<std::uint64_t, 4>>& counts_of_counts() const {
        return counts_of_counts_;
    }

    // log10 p(word | context) as KenLM's query; only the last order()-1 context ids matter.
    // Put <s> (Vocabulary::kBos) first for a sentence start. Requires a fitted model.
    double log10_prob(std::span<const TokenId> context, TokenId word) const;
    // Sum of log10 p over the words of `line` and </s>, given <s> (query's "Total").
    double sentence_log10(std::span<const TokenId> line) const;
    // True if `word` is in the model's vocabulary (else it is scored as <unk>).
    bool known(TokenId word) const;

    struct Perplexity {
        double perplexity = 0.0;                // 10^(-log10_sum / tokens)
        double perplexity_excluding_oov = 0.0;  // without the OOV words' own terms
        std::size_t tokens = 0;                 // words + one </s> per line (not <s>)
        std::size_t oov = 0;                    // words not in the model (and <unk> itself)
        double log10_sum = 0.0;
    };
    // KenLM query's corpus summary over the lines of `text`.
    Perplexity perplexity(const Corpus& text) const;

    // ARPA export (as lmplz: every order's n-grams "log10p \t words [\t log10 backoff]", the
    // backoff on all but the highest order). `word_of(id)` gives the spelling of a TokenId.
    void write_arpa(std::ostream& out, const std::function<std::string(TokenId)>& word_of) const;
    void write_arpa(std::ostream& out, const Vocabulary& vocabulary) const {
        write_arpa(out, [&](TokenId id) { return vocabulary.word(id); });
    }

    // n_lines sampled lines, each drawn token by token from <s> until </s> or max_len words
    // (then cut). See the header comment for temperature, top_k and top_p. The Corpus shares
    // the training corpus's vocabulary pointer. Throws ConfigError unless temperature > 0,
    // top_k >= 0, 0 < top_p <= 1; Error if not fitted. A drawn <unk> is emitted as kUnk.
    Corpus sample(std::size_t n_lines, double temperature, Rng& rng, std::size_t max_len = 200,
                  int top_k = 0, double top_p = 1.0) const;

    // Bytes held by the fitted tables (for reports).
    std::size_t memory_bytes() const;

private:
    struct Order {
        ngram_detail::GramTable table;
        std::vector<std::uint32_t> count;        // adjusted count (raw for the highest order)
        std::vector<double> log10_prob;          // interpolated log10 p(last word | prefix)
        std::vector<double> log10_backoff;       // log10 gamma(this n-gram as a context); 0 if none
        std::vector<double> cum_alpha;           // cumulative discounted terms among siblings
        std::vector<std::uint32_t> child_begin;  // orders < N: successors [cb[i], cb[i+1])
        std::vector<double> max_bound;  // orders < N: M(this n-gram as a context), see sample()
    };

    std::uint32_t word_index(TokenId id) const;  // unigram entry, the <unk> entry if unknown
    // Maps ids the model has not seen to kUnk.
    TokenId canonical(TokenId id) const;
    // Entry indices of the context suffixes of length 1..L that exist (ctx[i] for length i+1).
    std::size_t find_contexts(std::span<const TokenId> context,
                              std::array<std::uint32_t, 6>& entries) const;
    std::uint32_t draw_fast(std::span<const TokenId> context, Rng& rng) const;
    // draw_fast given find_contexts' result.
    std::uint32_t draw_fast(const std::array<std::uint32_t, 6>& entries, std::size_t m,
                            Rng& rng) const;
    // Rejection sampling of p^(1/temperature), 0 < temperature < 1 (see the header comment).
    std::uint32_t draw_tempered(std::span<const TokenId> context, double temperature, Rng& rng,
                                std::vector<double>& work,
                                std::vector<std::uint32_t>& order_work) const;
    std::uint32_t draw_dense(std::span<const TokenId> context, double temperature, int top_k,
                             double top_p, Rng& rng, std::vector<double>& work,
                             std::vector<std::uint32_t>& order_work) const;

    NgramOptions options_;
    bool fitted_ = false;
    std::vector<Order> orders_;
    std::vector<std::uint32_t> word_index_;  // TokenId -> unigram entry (kNone if unseen)
    std::uint32_t unk_entry_ = 0, bos_entry_ = 0, eos_entry_ = 0;
    double root_gamma_ = 1.0;  // gamma of the empty context
    double root_max_ = 1.0;    // M(empty context): max_w of the interpolated unigram p(w)
    double uniform_ = 0.0;     // 1 / (V - 1)
    std::vector<std::array<double, 3>> discounts_;
    std::vector<std::array<std::uint64_t, 4>> counts_of_counts_;
    std::shared_ptr<const Vocabulary> vocabulary_;
};

}  // namespace madlab
