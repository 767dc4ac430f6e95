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
// top_k >= V - 1 keeps every word (no truncation).
//
// Querying (log10_prob) is KenLM's ARPA backoff: the longest n-gram (context suffix, word) in
// the model gives its interpolated probability, plus the log10 backoffs gamma of the longer
// context suffixes that are in the model. The probabilities and log10 backoffs are cached at fit
// time, so a query is one binary search per context length tried, longest first, and the next
// contexts follow the suffix links of the n-gram found; perplexity() scores 8 lines interleaved
// (their cache misses overlap) and sums the terms in text order. Words the model has not seen (any
// TokenId not in the training text) are <unk>, in the word and in the context, as in KenLM's query.
//
// Sampling (sample): token by token until </s> (or max_len words), from the exact model
// distribution p(w | last order-1 tokens).
//  - temperature == 1, top_k == 0, top_p >= 1: the recursive backoff decomposition. p(w | c) =
//    alpha(c w) + gamma(c) p(w | c') with sum_w alpha(c w) + gamma(c) = 1, so draw u: with
//    probability 1 - gamma(c) pick an explicit successor of c (see below), else recurse to c'; at
//    the empty context, gamma(empty) goes to the uniform distribution over V - 1 words. Cost
//    O(order * log(successors)) a token.
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
//    In both, an explicit successor s of c is drawn proportionally to a(c s) - D(a(c s)) by
//    proposing s proportionally to its count a (exact integers) and accepting it with
//    probability (a - D(a)) / a.
//  - top_p < 1 alone (top_k == 0) at temperature 1: the exact nucleus sampler. The nucleus N of
//    context c is found without enumerating it: the vocabulary splits into the successors of
//    the longest context, those of the next shorter one that are not successors of the longer,
//    ..., the words no context has, and within each part p(w | c) is the part's own
//    interpolated probability times the gammas of the longer contexts, so each part is a list
//    sorted per context once per model (about 24 bytes an n-gram with prefix sums) and the
//    mass of the words above any probability is a few binary searches. The cut value p* (the
//    smallest probability with mass(> p*) < top_p) is found by binary searches over the
//    parts' positions, each probe an exact probability; the words tied at p* are taken by
//    TokenId, smaller first, until the mass reaches top_p (the tie rule below). The cut is
//    cached per context for the sample() call. The token is then drawn by rejection: propose w
//    from p(. | c) with the fast path, accept it if w is in N; the accepted w has probability
//    p(w | c) / p(N), the dense path's distribution, and p(N) >= top_p, so about 1 / top_p
//    proposals a token (a one-word nucleus is returned without a draw; after 256 rejections in
//    a row the dense path draws). The lines differ from sample_reference()'s for the same seed
//    (other draws); the distribution is the same (chi-square tested). The model's total mass is
//    taken as 1 and the sums are in another order than the dense path's, so the two cuts can
//    differ only where the cumulative mass is within rounding (about 1e-15) of top_p.
//  - top_k > 0, or top_p < 1 at another temperature: the exact top-k / top-p sampler. The
//    words are enumerated in decreasing p(w | c) without scanning the vocabulary: p(w | c) =
//    alpha(c w) + gamma(c) p(w | c') for the successors of c, gamma(c) p(w | c') for the other
//    words, so the order at context c merges the successors of c (sorted by probability once
//    per model, on the first top-k / top-p sample(): about 2 s for the novels at order 3, and
//    24 bytes an n-gram with the nucleus sampler's lists) with
//    the order at c' minus c's successors, down to the unigrams sorted by probability.
//    Candidates are taken until top_k words / a mass of top_p are in, plus every word tied
//    with the last one (within 1e-9 relative), then chosen, weighted and drawn exactly as on
//    the dense path below (same weights, same order, one uniform a token), so sample() and
//    sample_reference() return the same lines for the same Rng state. Tie rule (both paths):
//    equal weights are ranked by TokenId, smaller first. top_p without top_k needs the total
//    weight Z: 1 at temperature 1 (the model is normalised; the dense path sums it, which can
//    differ in the last bits), else sum_w p^(1/temperature) by the same decomposition per
//    context. Cost O(order * candidates * log(successors)) a token; a nucleus of more than a
//    quarter of the vocabulary goes to the dense path.
//  - otherwise (temperature > 1 alone), and always in sample_reference(): the exact dense path,
//    O(order * V + V log V) a token: the full distribution p over the V - 1 predictable words
//    is built, then (in this order, as Hugging Face's generate) temperature: p^(1/temperature)
//    renormalised (SCIENCE.md lambda = temperature); top_k > 0: only the top_k most probable
//    words are kept; top_p < 1: only the smallest set of most probable words whose probability
//    reaches top_p is kept (nucleus sampling, Holtzman et al. 2020); then renormalised and
//    drawn.
//
// Storage (about 20 bytes an n-gram plus 24 a context, against lmplz's sorted streams): the
// n-grams of each order in lexicographic order of their TokenIds, so that the successors of a
// context are one contiguous range, sorted by word. Per n-gram of order >= 2: its last word
// (unigram entry) and its count summed over the preceding successors of its context (count =
// difference, context total = last); per context: the start of its successors, gamma (double)
// and the sampling bound M (float, rounded up); cached at fit time (about 12 bytes an n-gram
// and 8 a context more): the interpolated probability of each n-gram of order >= 2 (computed
// from the counts in the same double operations as lmplz's interpolation), the suffix link of
// each n-gram of order >= 3, and log10 gamma per context. Lookups are binary searches among a
// context's successors; perplexity() and sample() carry the context entries from one word to the
// next. Estimation
// counts by sorting: the windows of the padded text are radix-sorted positions, the lower
// orders' adjusted counts come from sorting the suffixes of the order above. Thread-safety:
// const methods may be called concurrently.

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
    // Truncation of the sampler, used by sample() without explicit top_k / top_p (config keys
    // model.top_k and model.top_p): 0 and 1 sample from the whole distribution.
    int top_k = 0;
    double top_p = 1.0;
};

// The truncation and draw of the dense sampler (see the header comment), shared with the gpt
// family: draws an index with probability proportional to `weights` (>= 0, the temperature
// already applied, at least one > 0) after keeping, if top_k > 0, the top_k largest weights
// and then, if top_p < 1, the smallest set of largest weights whose sum reaches top_p of the
// total; equal weights are ranked by index, smaller first. One uniform of `rng`. `weights` is
// left truncated; `scratch` is working space.
std::uint32_t draw_truncated(std::vector<double>& weights, int top_k, double top_p, Rng& rng,
                             std::vector<std::uint32_t>& scratch);

class NgramModel {
public:
    // Throws ConfigError unless 1 <= order <= 6, the fallback discounts are in (0, k), top_k >= 0
    // and 0 < top_p <= 1.
    explicit NgramModel(NgramOptions options = {});

    // Estimates the model from the lines of `train` (replacing any earlier fit). Throws
    // DataError when the text has no lines, a line holds <s> or </s>, or a discount cannot be
    // estimated and fallback is kError (the message names the order and its counts-of-counts).
    // FitInfo.note lists the orders that used the fallback discounts.
    FitInfo fit(const Corpus& train);

    bool fitted() const { return fitted_; }
    int order() const { return options_.order; }
    // V: distinct training words plus <unk>, <s>, </s>.
    std::size_t vocabulary_size() const { return orders_.empty() ? 0 : orders_[0].word.size(); }
    // Number of n-grams of order k (1..order()), as the ARPA header.
    std::size_t ngram_count(int k) const { return orders_.at(k - 1).word.size(); }
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
    Corpus sample(std::size_t n_lines, double temperature, Rng& rng, std::size_t max_len, int top_k,
                  double top_p = 1.0) const;
    // The same with the top_k and top_p of the options (the model's configured truncation).
    Corpus sample(std::size_t n_lines, double temperature, Rng& rng,
                  std::size_t max_len = 200) const {
        return sample(n_lines, temperature, rng, max_len, options_.top_k, options_.top_p);
    }
    // The same distribution through the O(V) dense path for every token: the reference that
    // the fast samplers are tested against (same arguments, same errors). With top_k > 0, or
    // top_p < 1 at a temperature other than 1, it returns exactly the lines sample() returns
    // for the same Rng state.
    Corpus sample_reference(std::size_t n_lines, double temperature, Rng& rng,
                            std::size_t max_len = 200, int top_k = 0, double top_p = 1.0) const;

    // Bytes held by the fitted tables (for reports).
    std::size_t memory_bytes() const;

private:
    // The n-grams of one order, in lexicographic order of their TokenIds (see "Storage").
    struct Order {
        // Order 1: the TokenId of each entry. Orders >= 2: the unigram entry of the last word.
        std::vector<std::uint32_t> word;
        // Order 1: the adjusted count. Orders >= 2: the adjusted counts (raw for the highest
        // order) summed over the entries of the same context up to this one; the count is the
        // difference with the previous entry of the context, the context's total the last one.
        std::vector<std::uint32_t> cum;
        std::vector<std::uint32_t> child_begin;  // orders < N: successors [cb[i], cb[i+1])
        std::vector<double> gamma;               // orders < N: gamma(this n-gram as a context)
        std::vector<double> log10_gamma;         // orders < N: log10 of gamma (query backoffs)
        std::vector<float> max_bound;  // orders < N: M(this n-gram as a context), rounded up
        // Orders >= 2: the interpolated probability p(w | context) of each n-gram, computed at
        // fit time (interpolate_levels) in the operations a query used to repeat.
        std::vector<double> prob;
        // Orders >= 3: the entry of order k - 1 that is the suffix of each n-gram.
        std::vector<std::uint32_t> suffix;
    };
    // The context suffixes found for a query, longest last: entry[len - 1] is the context of
    // length len (an entry of order len), for len = 1..m.
    struct Contexts {
        std::array<std::uint32_t, 6> entry{};
        std::size_t m = 0;
    };
    struct TopCache;  // lazily built tables of the top-k / top-p sampler (ngram.cpp)
    struct TopState;  // per-sample() scratch of the top-k / top-p sampler (ngram.cpp)
    class TopStream;  // draw_top's words by decreasing probability (ngram.cpp)

    // fit()'s stages, in this order; ngram.cpp states the contract of each.
    struct PaddedText;    // the training lines as <s> w_1 .. w_n </s>
    struct SortedNgrams;  // the n-grams of every order and their counts, before orders_
    static PaddedText pad_text(const Corpus& train);
    static SortedNgrams count_ngrams(const PaddedText& text, int order);
    static void adjust_counts(const PaddedText& text, SortedNgrams& ngrams);
    void build_unigrams(const PaddedText& text, const SortedNgrams& ngrams);
    void tally_counts_of_counts(const SortedNgrams& ngrams);
    void group_by_context(const PaddedText& text, SortedNgrams& ngrams);
    std::string estimate_discounts();
    void interpolate_unigrams();
    void context_backoffs(const SortedNgrams& ngrams);
    void interpolate_levels();

    std::uint32_t word_index(TokenId id) const;  // unigram entry, the <unk> entry if unknown
    // Maps ids the model has not seen to kUnk.
    TokenId canonical(TokenId id) const;
    // The successor of context entry `ctx` (order k) with last word `w` (unigram entry): its
    // entry in order k + 1, or 0xffffffff.
    std::uint32_t child(int k, std::uint32_t ctx, std::uint32_t w) const;
    // alpha of entry i of order k >= 2 (the discounted term), given its context's range end.
    double alpha(int k, std::uint32_t i, std::uint32_t begin, std::uint32_t end) const;
    Contexts find_contexts(std::span<const TokenId> context) const;
    // log10 p(w | contexts) as log10_prob; *next (if not null) receives the contexts after w.
    double score(const Contexts& c, std::uint32_t w, Contexts* next) const;
    std::uint32_t draw_fast(const Contexts& c, Rng& rng) const;
    // Rejection sampling of p^(1/temperature), 0 < temperature < 1 (see the header comment).
    std::uint32_t draw_tempered(const Contexts& c, double temperature, Rng& rng,
                                std::vector<double>& work,
                                std::vector<std::uint32_t>& order_work) const;
    std::uint32_t draw_dense(const Contexts& c, double temperature, int top_k, double top_p,
                             Rng& rng, std::vector<double>& work,
                             std::vector<std::uint32_t>& order_work) const;
    std::uint32_t draw_top(const Contexts& c, double temperature, int top_k, double top_p, Rng& rng,
                           TopState& state) const;
    const TopCache& top_cache() const;
    // The nucleus sampler (top_p < 1 alone at temperature 1; see the header comment): the cut
    // of context c's nucleus, p(w | c) exactly as draw_dense computes it, and the draw.
    struct NucleusCut;
    NucleusCut nucleus_cut(const Contexts& c, double top_p) const;
    double dense_value(const Contexts& c, std::uint32_t w) const;
    std::uint32_t draw_nucleus(const Contexts& c, double top_p, Rng& rng, TopState& state) const;
    Corpus sample_impl(std::size_t n_lines, double temperature, Rng& rng, std::size_t max_len,
                       int top_k, double top_p, bool reference) const;

    NgramOptions options_;
    bool fitted_ = false;
    std::vector<Order> orders_;
    std::vector<std::uint32_t> word_index_;  // TokenId -> unigram entry (kNone if unseen)
    std::vector<double> uni_prob_;           // interpolated unigram p (0 for <s>)
    std::vector<double> uni_log10_;          // min(0, log10 p), 0 for <s> (as lmplz)
    std::vector<double> uni_cum_alpha_;      // cumulative discounted unigram terms
    std::uint32_t unk_entry_ = 0, bos_entry_ = 0, eos_entry_ = 0;
    double root_gamma_ = 1.0;  // gamma of the empty context
    double root_max_ = 1.0;    // M(empty context): max_w of the interpolated unigram p(w)
    double uniform_ = 0.0;     // 1 / (V - 1)
    std::vector<std::array<double, 3>> discounts_;
    std::vector<std::array<std::uint64_t, 4>> counts_of_counts_;
    std::shared_ptr<const Vocabulary> vocabulary_;
    // Built on the first top-k / top-p sample() and shared by copies of the model (immutable
    // once built); fit() replaces it.
    std::shared_ptr<TopCache> top_cache_;
};

}  // namespace madlab
