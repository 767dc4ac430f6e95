#include "madlab/data/text_source.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "madlab/core/error.h"
#include "madlab/core/rng.h"
#include "temp_dir.h"

namespace madlab {
namespace text_source_test {

using test_util::TempDir;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kQuijote = MADLAB_SHARED_DIR "/data/text/es/quijote.txt";

// n lines "w<i> común", each with a word of its own, so that a line is known by its first id.
std::vector<std::string> numbered_lines(std::size_t n) {
    std::vector<std::string> lines;
    for (std::size_t i = 1; i <= n; ++i) lines.push_back(fmt::format("w{} común", i));
    return lines;
}

// The text of every line of `c`.
std::vector<std::string> texts(const Corpus& c) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < c.lines(); ++i) {
        out.push_back(detokenize(c.line(i), *c.vocabulary, TextOptions::Tokens::kWhitespace));
    }
    return out;
}

TEST(TextSource, HoldsOutEveryKthLine) {
    TextSourceOptions options;
    options.held_out_every = 4;
    const TextSource source(numbered_lines(10), "ten", options);
    EXPECT_EQ(source.lines(), 10u);
    EXPECT_EQ(source.train_lines(), 8u);
    EXPECT_EQ(source.test_lines(), 2u);
    EXPECT_THAT(texts(source.test_set()), ElementsAre("w4 común", "w8 común"));
    EXPECT_THAT(texts(source.train_set()),
                ElementsAre("w1 común", "w2 común", "w3 común", "w5 común", "w6 común", "w7 común",
                            "w9 común", "w10 común"));
    EXPECT_EQ(source.train_tokens(), 16u);
    EXPECT_EQ(source.test_tokens(), 4u);
    // The vocabulary holds every word, held-out ones included, in order of first appearance.
    EXPECT_EQ(source.vocabulary().size(), 3u + 11u);
    EXPECT_EQ(source.vocabulary().word(3), "w1");
    EXPECT_EQ(source.vocabulary().word(4), "común");
    EXPECT_EQ(source.test_set().vocabulary, source.vocabulary_ptr());
    EXPECT_EQ(source.describe(),
              "text 'ten': 10 lines (8 train, 2 held out: every 4th line), 20 whitespace tokens, "
              "11 word types");
}

TEST(TextSource, DefaultHoldsOutEveryTwentiethLine) {
    const TextSource source(numbered_lines(45), "x");
    EXPECT_THAT(texts(source.test_set()), ElementsAre("w20 común", "w40 común"));
    EXPECT_EQ(source.train_lines(), 43u);
}

TEST(TextSource, RandomSplitIsDeterministicAndDisjoint) {
    TextSourceOptions options;
    options.test_fraction = 0.1;
    options.split_seed = 7;
    const TextSource a(numbered_lines(95), "a", options);
    const TextSource b(numbered_lines(95), "b", options);
    EXPECT_EQ(a.test_lines(), 10u);  // ceil(0.1 * 95)
    EXPECT_EQ(a.train_lines(), 85u);
    EXPECT_EQ(texts(a.test_set()), texts(b.test_set()));

    std::vector<std::string> all = texts(a.train_set());
    const std::vector<std::string> test = texts(a.test_set());
    all.insert(all.end(), test.begin(), test.end());
    EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 95u);

    options.split_seed = 8;
    const TextSource c(numbered_lines(95), "c", options);
    EXPECT_NE(texts(a.test_set()), texts(c.test_set()));

    options.test_fraction = 0.001;  // rounds up to one line
    EXPECT_EQ(TextSource(numbered_lines(95), "d", options).test_lines(), 1u);
}

TEST(TextSource, DrawTrainGivesDistinctTrainingLines) {
    TextSourceOptions options;
    options.held_out_every = 5;
    const TextSource source(numbered_lines(100), "hundred", options);
    const std::vector<std::string> test = texts(source.test_set());
    const std::set<std::string> held(test.begin(), test.end());

    Rng rng = Rng::stream({1, hash_tag("draw")});
    const Corpus drawn = source.draw_train(80, rng);
    ASSERT_EQ(drawn.lines(), 80u);
    const std::vector<std::string> lines = texts(drawn);
    EXPECT_EQ(std::set<std::string>(lines.begin(), lines.end()).size(), 80u);
    for (const std::string& line : lines) EXPECT_FALSE(held.count(line)) << line;

    Rng same = Rng::stream({1, hash_tag("draw")});
    EXPECT_EQ(source.draw_train(80, same).tokens, drawn.tokens);

    Rng other = Rng::stream({2, hash_tag("draw")});
    const Corpus small = source.draw_test(3, other);
    ASSERT_EQ(small.lines(), 3u);
    for (const std::string& line : texts(small)) EXPECT_TRUE(held.count(line)) << line;
}

TEST(TextSource, TooFewLinesIsAnErrorWithNumbers) {
    TextSourceOptions options;
    options.held_out_every = 10;
    const TextSource source(numbered_lines(30), "thirty", options);
    Rng rng(1);
    try {
        source.draw_train(28, rng);
        FAIL() << "expected DataError";
    } catch (const DataError& e) {
        EXPECT_THAT(std::string(e.what()),
                    AllOf(HasSubstr("thirty"), HasSubstr("cannot draw 28 distinct training"),
                          HasSubstr("it has 27"), HasSubstr("ask for 1 to 27")));
    }
    EXPECT_THROW(source.draw_test(4, rng), DataError);
    EXPECT_THROW(source.draw_train(0, rng), DataError);
}

TEST(TextSource, BadOptionsAreConfigErrors) {
    TextSourceOptions options;
    options.held_out_every = 1;
    EXPECT_THROW(TextSource(numbered_lines(5), "x", options), ConfigError);
    options.held_out_every = 20;
    options.test_fraction = 1.0;
    EXPECT_THROW(TextSource(numbered_lines(5), "x", options), ConfigError);
    options.test_fraction = -0.1;
    EXPECT_THROW(TextSource(numbered_lines(5), "x", options), ConfigError);
}

TEST(TextSource, NoTrainingLineLeftIsADataError) {
    TextSourceOptions options;
    options.test_fraction = 0.5;
    EXPECT_THROW(TextSource({"solo una"}, "one", options), DataError);
    options.text.min_tokens = 5;
    options.test_fraction = 0.0;
    EXPECT_THROW(TextSource(numbered_lines(5), "short", options), DataError);
}

TEST(TextSource, NothingHeldOut) {
    TextSourceOptions options;
    options.held_out_every = 0;
    const TextSource source(numbered_lines(5), "five", options);
    EXPECT_EQ(source.test_lines(), 0u);
    EXPECT_EQ(source.test_set().lines(), 0u);
    Rng rng(3);
    EXPECT_THROW(source.draw_test(1, rng), DataError);
}

TEST(TextSource, LoadsQuijote) {
    if (!std::filesystem::exists(kQuijote)) GTEST_SKIP() << kQuijote << " not present";
    const TextSource source = load_text_source(kQuijote);
    // 31,930 lines between the Gutenberg markers; every 20th held out.
    EXPECT_EQ(source.lines(), 31930u);
    EXPECT_EQ(source.test_lines(), 1596u);
    EXPECT_EQ(source.train_lines(), 30334u);
    EXPECT_EQ(texts(source.train_set()).front(), "El ingenioso hidalgo don Quijote de la Mancha");
    EXPECT_THAT(source.describe(), HasSubstr("31930 lines (30334 train, 1596 held out"));
}

TEST(TextSource, LoadFromFolder) {
    TempDir dir;
    dir.write("b.txt", "tres cuatro\n");
    dir.write("a.txt", "uno dos\n");
    TextSourceOptions options;
    options.held_out_every = 2;
    options.text.tokens = TextOptions::Tokens::kCharacter;
    const TextSource source = load_text_source(dir.path().string(), options);
    EXPECT_EQ(source.train_lines(), 1u);
    const Corpus test = source.test_set();
    EXPECT_EQ(detokenize(test.line(0), source.vocabulary(), TextOptions::Tokens::kCharacter),
              "tres cuatro");
    EXPECT_THAT(source.describe(), HasSubstr("character tokens"));
}

}  // namespace text_source_test
}  // namespace madlab
