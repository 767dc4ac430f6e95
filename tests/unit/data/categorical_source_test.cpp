#include "madlab/data/categorical_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "../test_support.h"
#include "madlab/core/error.h"
#include "temp_dir.h"

using madlab::testing::error_of;

namespace madlab {
namespace {

using ::testing::HasSubstr;

TEST(CategoricalSource, NormalisesItsWeights) {
    const CategoricalSource s({2.0, 1.0, 0.0, 1.0});
    EXPECT_EQ(s.categories(), 4u);
    EXPECT_EQ(s.dim(), 1u);
    EXPECT_EQ(s.probabilities(), (std::vector<double>{0.5, 0.25, 0.0, 0.25}));
    EXPECT_EQ(s.describe(), "categorical");
}

TEST(CategoricalSource, RejectsWeightsThatAreNotADistribution) {
    EXPECT_THAT(error_of([] { CategoricalSource({}); }),
                HasSubstr("source.probabilities is empty"));
    EXPECT_THAT(error_of([] {
                    CategoricalSource({0.5, -0.1});
                }),
                HasSubstr("source.probabilities[1] = -0.1 is not a probability"));
    EXPECT_THAT(error_of([] {
                    CategoricalSource({0.5, std::nan("")});
                }),
                HasSubstr("source.probabilities[1]"));
    EXPECT_THAT(error_of([] {
                    CategoricalSource({0.0, 0.0});
                }),
                HasSubstr("source.probabilities sum to 0"));
    EXPECT_THROW(CategoricalSource({1.0}, "x", {"a", "b"}), Error);
}

// Frequencies of 100000 draws within 4 binomial standard errors of p; a category of
// probability 0 is never drawn; draw_train and draw_test draw the same way from their stream.
TEST(CategoricalSource, DrawsIidCategories) {
    const CategoricalSource s({0.5, 0.3, 0.0, 0.2});
    Rng rng(4);
    const std::size_t n = 100000;
    const Matrix x = s.draw_train(n, rng);
    ASSERT_EQ(x.rows(), static_cast<Eigen::Index>(n));
    ASSERT_EQ(x.cols(), 1);
    std::vector<double> counts(4, 0.0);
    for (Eigen::Index i = 0; i < x.rows(); ++i) counts[static_cast<std::size_t>(x(i, 0))] += 1;
    for (std::size_t k = 0; k < 4; ++k) {
        const double p = s.probabilities()[k];
        EXPECT_NEAR(counts[k] / n, p, 4.0 * std::sqrt(p * (1 - p) / n)) << "category " << k;
    }
    EXPECT_EQ(counts[2], 0.0);
    Rng a(8), b(8);
    EXPECT_EQ(s.draw_test(50, a), s.draw_train(50, b));
}

TEST(CategoricalSource, MeanNllIsExact) {
    const CategoricalSource s({0.5, 0.25, 0.0, 0.25});
    Matrix x(3, 1);
    x << 0, 1, 1;
    EXPECT_DOUBLE_EQ(*s.mean_nll(x), (std::log(2.0) + 2 * std::log(4.0)) / 3);
    x(2, 0) = 2;  // probability 0: no finite value
    EXPECT_FALSE(s.mean_nll(x).has_value());
    x(2, 0) = 1.5;
    EXPECT_THAT(error_of([&] { s.mean_nll(x); }), HasSubstr("1.5 is not a category index"));
    x(2, 0) = 4;
    EXPECT_THROW(s.mean_nll(x), DataError);
}

// p_i = (i + 1)^-beta / H: K = 4, beta = 1 gives (1, 1/2, 1/3, 1/4) / (25/12).
TEST(ZipfSource, IsNormalisedZipf) {
    const CategoricalSource z = make_zipf_source(4, 1.0);
    const std::vector<double> expected = {12.0 / 25, 6.0 / 25, 4.0 / 25, 3.0 / 25};
    ASSERT_EQ(z.categories(), 4u);
    for (std::size_t i = 0; i < 4; ++i) EXPECT_NEAR(z.probabilities()[i], expected[i], 1e-15);
    EXPECT_EQ(z.describe(), "zipf (K = 4, beta = 1)");
    // A large K still sums to 1 (to rounding), in decreasing order; beta = 0 is uniform.
    const CategoricalSource big = make_zipf_source(100000, 1.3);
    double sum = 0.0;
    for (std::size_t i = 0; i < big.categories(); ++i) {
        sum += big.probabilities()[i];
        if (i > 0) {
            ASSERT_LT(big.probabilities()[i], big.probabilities()[i - 1]);
        }
    }
    EXPECT_NEAR(sum, 1.0, 1e-12);
    const CategoricalSource uniform = make_zipf_source(5, 0.0);
    for (double p : uniform.probabilities()) EXPECT_DOUBLE_EQ(p, 0.2);
}

TEST(ZipfSource, RejectsBadParameters) {
    EXPECT_THAT(error_of([] { make_zipf_source(0, 1.0); }), HasSubstr("source.categories"));
    EXPECT_THAT(error_of([] { make_zipf_source(3, -1.0); }),
                HasSubstr("source.zipf_exponent = -1 is not valid"));
    EXPECT_THROW(make_zipf_source(3, std::nan("")), ConfigError);
}

// "a" 4 times, "b" and "c" twice (a tie: byte order puts b first), "d" once: the K = 3 most
// frequent are a, b, c with p = (4, 2, 2) / 8.
TEST(WordsSource, RanksWordsByFrequency) {
    test_util::TempDir dir;
    const std::string path = dir.write("words.txt", "c a b\na a d\n\nb a c\n");
    const CategoricalSource w = make_words_source(path, 3);
    EXPECT_EQ(w.labels(), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(w.probabilities(), (std::vector<double>{0.5, 0.25, 0.25}));
    EXPECT_THAT(w.describe(), HasSubstr("(K = 3)"));
    const CategoricalSource all = make_words_source(path, 4);
    EXPECT_EQ(all.labels().back(), "d");
    EXPECT_DOUBLE_EQ(all.probabilities().back(), 1.0 / 9);
    // Characters instead of words: the 6 spaces inside lines (kSpaceToken), then "a" 4 times.
    TextOptions chars;
    chars.tokens = TextOptions::Tokens::kCharacter;
    EXPECT_EQ(make_words_source(path, 2, chars).labels(),
              (std::vector<std::string>{std::string(kSpaceToken), "a"}));
}

TEST(WordsSource, SaysWhenTheTextHasTooFewWords) {
    test_util::TempDir dir;
    const std::string path = dir.write("words.txt", "a b a\n");
    EXPECT_THAT(error_of([&] { make_words_source(path, 5); }),
                HasSubstr("source.categories = 5 but '" + path +
                          "' has only 2 distinct words; set source.categories to at most 2"));
    EXPECT_THROW(make_words_source(dir.file("missing.txt"), 5), DataError);
}

}  // namespace
}  // namespace madlab
