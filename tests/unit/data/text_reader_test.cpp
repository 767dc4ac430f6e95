#include "madlab/data/text_reader.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "madlab/core/error.h"
#include "madlab/data/text_source.h"
#include "temp_dir.h"

namespace madlab {
namespace {

using test_util::TempDir;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kQuijote = MADLAB_SHARED_DIR "/data/text/es/quijote.txt";
const std::string kNovels = MADLAB_SHARED_DIR "/data/text/es/novelas";
const std::string kKenlmTrain = MADLAB_SHARED_DIR "/fixtures/kenlm/quijote3k.txt";

// The DataError message of read_text_lines(path, options), or "(no error)".
std::string read_error(const std::string& path, const TextOptions& options = {}) {
    try {
        read_text_lines(path, options);
    } catch (const DataError& e) {
        return e.what();
    }
    return "(no error)";
}

// The words of each line of `corpus`, for readable comparisons.
std::vector<std::vector<std::string>> words_of(const Corpus& corpus, const Vocabulary& vocab) {
    std::vector<std::vector<std::string>> out;
    for (std::size_t i = 0; i < corpus.lines(); ++i) {
        std::vector<std::string> line;
        for (TokenId id : corpus.line(i)) line.push_back(vocab.word(id));
        out.push_back(line);
    }
    return out;
}

using Words = std::vector<std::string>;

TEST(TextReader, PlainFileDropsBlankLinesAndTrims) {
    TempDir dir;
    const std::string path =
        dir.write("a.txt", "  hola  mundo \n\n   \t \nsegunda\tlínea aquí\n\ntercera");
    EXPECT_THAT(read_text_lines(path),
                ElementsAre("hola  mundo", "segunda\tlínea aquí", "tercera"));
}

TEST(TextReader, CrlfAndBomAreDropped) {
    TempDir dir;
    const std::string path = dir.write("a.txt", "\xEF\xBB\xBFuno dos\r\n\r\ntres\r\n");
    const std::vector<std::string> lines = read_text_lines(path);
    EXPECT_THAT(lines, ElementsAre("uno dos", "tres"));
    Vocabulary vocab;
    const Corpus c = make_corpus(lines, vocab);
    EXPECT_THAT(words_of(c, vocab), ElementsAre(Words{"uno", "dos"}, Words{"tres"}));
}

TEST(TextReader, MissingPathAndEmptyFileAreErrors) {
    TempDir dir;
    EXPECT_THAT(read_error(dir.file("nope.txt")),
                AllOf(HasSubstr("nope.txt"), HasSubstr("does not exist")));
    const std::string empty = dir.write("empty.txt", "\n  \n\r\n");
    EXPECT_THAT(read_error(empty), AllOf(HasSubstr("no text lines in"), HasSubstr("empty.txt")));
}

TEST(TextReader, FolderReadsTxtFilesRecursivelyInSortedOrder) {
    TempDir dir;
    std::filesystem::create_directories(dir.path() / "b" / "sub");
    std::filesystem::create_directories(dir.path() / "a");
    dir.write("b/sub/z.txt", "bsubz\n");
    dir.write("b/c.txt", "bc\n");
    dir.write("a/y.txt", "ay1\nay2\n");
    dir.write("a.txt", "top\n");
    dir.write("metadata.csv", "not,text\n");
    dir.write("notes.md", "ignored\n");
    EXPECT_THAT(read_text_lines(dir.path().string()),
                ElementsAre("ay1", "ay2", "top", "bc", "bsubz"));
}

TEST(TextReader, FolderWithoutTxtFilesIsAnError) {
    TempDir dir;
    dir.write("x.csv", "1,2\n");
    EXPECT_THAT(read_error(dir.path().string()), HasSubstr("no .txt or .fortunes files in folder"));
}

TEST(FortuneReader, EntriesAreDocumentsWithoutAttributions) {
    TempDir dir;
    // fortune(6) format: "%" lines separate entries; an entry spans lines; the attribution is
    // indented and starts with "--". A "%" inside text is not a separator, "--" without a
    // space is kept, and a trailing entry without a final "%" still counts.
    const std::string path = dir.write("refranes.fortunes",
                                       "A quien madruga,\nDios le ayuda.\n\t\t-- Refrán.\n%\n"
                                       "El 100% de nada --es nada.\n%\n%\n"
                                       "  Último   \n  sin final\n\t-- Anónimo \n");
    EXPECT_THAT(read_text_lines(path),
                ElementsAre("A quien madruga, Dios le ayuda.", "El 100% de nada --es nada.",
                            "Último sin final"));
}

TEST(FortuneReader, FoldersSkipOffensiveFortunesAndIndexFiles) {
    TempDir dir;
    std::filesystem::create_directories(dir.path() / "off");
    dir.write("b.fortunes", "uno\n%\ndos\n%\n");
    dir.write("b.fortunes.dat", std::string("\0\0\0\2binary", 10));
    dir.write("a.txt", "plain line\n");
    dir.write("off/c.fortunes", "ofensivo\n%\n");
    std::filesystem::create_symlink(dir.path() / "b.fortunes", dir.path() / "b.fortunes.u8");
    EXPECT_THAT(read_text_lines(dir.path().string()), ElementsAre("plain line", "uno", "dos"));
}

TEST(FortuneReader, InvalidUtf8NamesTheFortuneFile) {
    TempDir dir;
    const std::string path = dir.write("latin1.fortunes", "bien\n%\nespa\xF1ol\n%\n");
    EXPECT_THAT(read_error(path),
                AllOf(HasSubstr("latin1.fortunes"), HasSubstr("line 3"), HasSubstr("0xF1")));
}

// Debian's fortunes-es, by name: installed by scripts/install-deps.sh. Where it is missing the
// name must say which package to install.
TEST(FortuneReader, FortunesEsByName) {
    if (!std::filesystem::is_directory("/usr/share/games/fortunes/es")) {
        try {
            resolve_text_path("fortunes-es");
            ADD_FAILURE() << "no error without the package";
        } catch (const DataError& e) {
            EXPECT_THAT(e.what(), HasSubstr("apt-get install fortunes-es"));
        }
        return;
    }
    EXPECT_EQ(resolve_text_path("fortunes-es"), "/usr/share/games/fortunes/es");
    EXPECT_EQ(resolve_text_path("other/path.txt"), "other/path.txt");
    const auto lines = read_text_lines(resolve_text_path("fortunes-es"));
    // fortunes-es 1.36 holds about 10,700 entries outside off/ (grep -c '^%$'); a reader that
    // mistook lines for documents would return about twice as many.
    EXPECT_GT(lines.size(), 8000u);
    EXPECT_LT(lines.size(), 14000u);
    for (const auto& line : lines) {
        EXPECT_NE(line, "%");
        EXPECT_FALSE(line.starts_with("-- ")) << line;
    }
}

TEST(TextReader, GutenbergHeaderAndFooterAreStripped) {
    TempDir dir;
    const std::string path = dir.write(
        "g.txt",
        "The Project Gutenberg eBook of X\r\nlicence\r\n*** START OF THE PROJECT GUTENBERG EBOOK X "
        "***\r\n\r\nChapter one\r\nBody text.\r\n*** END OF THE PROJECT GUTENBERG EBOOK X "
        "***\r\nFull licence\r\n");
    EXPECT_THAT(read_text_lines(path), ElementsAre("Chapter one", "Body text."));
    TextOptions keep;
    keep.gutenberg_strip = false;
    EXPECT_EQ(read_text_lines(path, keep).size(), 7u);
}

TEST(TextReader, QuijoteGutenbergStripKeepsOnlyTheNovel) {
    if (!std::filesystem::exists(kQuijote)) GTEST_SKIP() << kQuijote << " not present";
    const std::vector<std::string> lines = read_text_lines(kQuijote);
    // 37,704 physical lines; 31,930 non-empty ones lie between the START (line 22) and END
    // (line 37704) markers (counted with awk).
    ASSERT_EQ(lines.size(), 31930u);
    EXPECT_EQ(lines.front(), "El ingenioso hidalgo don Quijote de la Mancha");
    EXPECT_EQ(lines[1], "por Miguel de Cervantes Saavedra");
    EXPECT_EQ(lines.back(), "Fin");
    for (const std::string& line : lines) {
        ASSERT_THAT(line, Not(HasSubstr("Gutenberg"))) << line;
        ASSERT_THAT(line, Not(HasSubstr("\r")));
    }
    TextOptions keep;
    keep.gutenberg_strip = false;
    EXPECT_EQ(read_text_lines(kQuijote, keep).front(),
              "The Project Gutenberg eBook of Don Quijote");
}

TEST(TextReader, QuijoteTokensMatchKenlmFixtureText) {
    // shared/fixtures/kenlm/quijote3k.txt is the first 3000 non-empty lines of the novel with
    // every 20th set aside first, whitespace-normalised: our tokens must give the same lines.
    if (!std::filesystem::exists(kQuijote) || !std::filesystem::exists(kKenlmTrain)) {
        GTEST_SKIP() << "shared data not present";
    }
    const std::vector<std::string> lines = read_text_lines(kQuijote);
    std::vector<std::string> train;
    for (std::size_t i = 0; i < lines.size() && train.size() < 3000; ++i) {
        if ((i + 1) % 20 != 0) train.push_back(lines[i]);
    }
    const Corpus c = make_corpus(train);
    std::ifstream in(kKenlmTrain);
    std::string expected;
    std::size_t i = 0;
    std::size_t tokens = 0;
    while (std::getline(in, expected)) {
        if (expected.empty()) continue;
        ASSERT_LT(i, c.lines());
        ASSERT_EQ(detokenize(c.line(i), *c.vocabulary, TextOptions::Tokens::kWhitespace), expected)
            << "line " << i + 1;
        tokens += c.line(i).size();
        ++i;
    }
    EXPECT_EQ(i, 3000u);
    // The fixture README: 33,744 tokens (wc -w) and 7,598 types, the `ngram 1=7598` of
    // quijote3k.o3.arpa, which counts <unk>, <s> and </s> as our Vocabulary does.
    EXPECT_EQ(tokens, 33744u);
    EXPECT_EQ(c.vocabulary->size(), 7598u);
}

TEST(TextReader, SplitSentencesKeepsPunctuationAndClosers) {
    EXPECT_THAT(split_sentences("Hola. ¿Qué tal? ¡Bien! Y tú… Nada."),
                ElementsAre("Hola.", "¿Qué tal?", "¡Bien!", "Y tú…", "Nada."));
    EXPECT_THAT(split_sentences("Dijo «ven.» Y fue... ¿Sí?! no 3.14 es pi"),
                ElementsAre("Dijo «ven.»", "Y fue...", "¿Sí?!", "no 3.14 es pi"));
    EXPECT_THAT(split_sentences("  sin punto final  "), ElementsAre("sin punto final"));
    EXPECT_THAT(split_sentences("(Fin.) Otra."), ElementsAre("(Fin.)", "Otra."));
}

TEST(TextReader, SplitSentencesOnOneLineFile) {
    TempDir dir;
    const std::string path = dir.write("one.txt", " Era de noche. Llovía.  ¿Vendría? ¡No!");
    EXPECT_THAT(read_text_lines(path), ElementsAre("Era de noche. Llovía.  ¿Vendría? ¡No!"));
    TextOptions split;
    split.split_sentences = true;
    EXPECT_THAT(read_text_lines(path, split),
                ElementsAre("Era de noche.", "Llovía.", "¿Vendría?", "¡No!"));
}

TEST(Utf8Validation, AcceptsWellFormedText) {
    EXPECT_EQ(find_invalid_utf8(""), std::string_view::npos);
    EXPECT_EQ(find_invalid_utf8("plain ascii text that is longer than eight bytes"),
              std::string_view::npos);
    // ñ (2 bytes), € (3), U+FFFF, 𝄞 U+1D11E (4), U+10FFFF, U+D7FF and U+E000 (around the
    // surrogates).
    EXPECT_EQ(find_invalid_utf8("año \xE2\x82\xAC \xEF\xBF\xBF \xF0\x9D\x84\x9E \xF4\x8F\xBF\xBF "
                                "\xED\x9F\xBF \xEE\x80\x80"),
              std::string_view::npos);
}

TEST(Utf8Validation, RejectsIllFormedSequencesAtTheirFirstByte) {
    EXPECT_EQ(find_invalid_utf8("ab\xF1o"), 2u);                 // Latin-1 ñ
    EXPECT_EQ(find_invalid_utf8("\xC0\xAF"), 0u);                // overlong '/'
    EXPECT_EQ(find_invalid_utf8("x\xC1\xBF"), 1u);               // overlong
    EXPECT_EQ(find_invalid_utf8("x\xE0\x80\xAF"), 1u);           // overlong 3-byte
    EXPECT_EQ(find_invalid_utf8("xy\xF0\x80\x80\xAF"), 2u);      // overlong 4-byte
    EXPECT_EQ(find_invalid_utf8("\xED\xA0\x80"), 0u);            // surrogate U+D800
    EXPECT_EQ(find_invalid_utf8("ok \xED\xBF\xBF"), 3u);         // surrogate U+DFFF
    EXPECT_EQ(find_invalid_utf8("\xF4\x90\x80\x80"), 0u);        // U+110000
    EXPECT_EQ(find_invalid_utf8("\xF5\x80\x80\x80"), 0u);        // lead byte F5
    EXPECT_EQ(find_invalid_utf8("ab\x80"), 2u);                  // stray continuation
    EXPECT_EQ(find_invalid_utf8("abc\xE2\x82"), 3u);             // truncated at the end
    EXPECT_EQ(find_invalid_utf8("abc\xE2\x82x"), 3u);            // truncated before ASCII
    EXPECT_EQ(find_invalid_utf8("12345678901234567\xFF"), 17u);  // after the fast path
}

TEST(Utf8Validation, Latin1ByteErrorNamesFileLineColumnAndByte) {
    TempDir dir;
    // Line 3 is "el a\xF1o": 'ñ' in Latin-1 is the single byte 0xF1 at byte column 5.
    const std::string path = dir.write("latin1.txt", "primera\r\nsegunda\r\nel a\xF1o\r\n");
    const std::string message = read_error(path);
    EXPECT_THAT(message, AllOf(HasSubstr("latin1.txt"), HasSubstr("line 3, column 5"),
                               HasSubstr("0xF1"), HasSubstr("iconv -f latin1 -t utf-8")));
}

TEST(Utf8Validation, OverlongAndSurrogateInFilesAreErrors) {
    TempDir dir;
    const std::string overlong = dir.write("o.txt", "ok\n\xC0\xAF\n");
    EXPECT_THAT(read_error(overlong), AllOf(HasSubstr("line 2, column 1"), HasSubstr("0xC0")));
    // The BOM's 3 bytes count in line 1's byte columns.
    const std::string surrogate = dir.write("s.txt",
                                            "\xEF\xBB\xBF"
                                            "ab\xED\xA0\x80\n");
    EXPECT_THAT(read_error(surrogate), AllOf(HasSubstr("line 1, column 6"), HasSubstr("0xED")));
    // A bad byte in the Gutenberg header is still an error: the whole file is checked.
    const std::string header =
        dir.write("h.txt", "caf\xE9\n*** START OF X ***\nbody\n*** END OF X ***\n");
    EXPECT_THAT(read_error(header), AllOf(HasSubstr("line 1, column 4"), HasSubstr("0xE9")));
}

TEST(JsonlReader, ReadsTheTextField) {
    TempDir dir;
    const std::string path =
        dir.write("d.jsonl",
                  "{\"id\": 1, \"text\": \"hola mundo\"}\n\n{\"text\": \"dos\\nlíneas\", "
                  "\"content\": \"x\"}\r\n"
                  "{\"text\": \"   \"}\n{\"text\": \"caf\\u00e9 \\ud83d\\ude00\"}\n");
    EXPECT_THAT(read_text_lines(path), ElementsAre("hola mundo", "dos líneas", "café 😀"));
    TextOptions content;
    content.jsonl_field = "content";
    const std::string other =
        dir.write("e.jsonl", "{\"content\": \"a b\"}\n{\"content\": \"c\"}\n");
    EXPECT_THAT(read_text_lines(other, content), ElementsAre("a b", "c"));
}

TEST(JsonlReader, BadJsonNamesTheLine) {
    TempDir dir;
    const std::string path =
        dir.write("bad.jsonl", "{\"text\": \"a\"}\n{\"text\": \"b\"}\n{\"text\": \"c\"\n");
    EXPECT_THAT(read_error(path), AllOf(HasSubstr("bad.jsonl"), HasSubstr("at line 3"),
                                        HasSubstr("one JSON object")));
    const std::string array = dir.write("arr.jsonl", "[\"text\"]\n");
    EXPECT_THAT(read_error(array), AllOf(HasSubstr("at line 1"), HasSubstr("not an object")));
}

TEST(JsonlReader, MissingOrNonStringFieldIsAnError) {
    TempDir dir;
    const std::string path = dir.write("m.jsonl", "{\"text\": \"a\"}\n\n{\"body\": \"b\"}\n");
    EXPECT_THAT(read_error(path), AllOf(HasSubstr("JSONL line 3"), HasSubstr("m.jsonl"),
                                        HasSubstr("no field \"text\""), HasSubstr("jsonl_field")));
    const std::string number = dir.write("n.jsonl", "{\"text\": 5}\n");
    EXPECT_THAT(read_error(number), AllOf(HasSubstr("JSONL line 1"), HasSubstr("not a string")));
}

TEST(JsonlReader, InvalidUtf8InJsonlNamesLineAndColumn) {
    TempDir dir;
    const std::string path = dir.write("u.jsonl", "{\"text\": \"a\"}\n{\"text\": \"a\xF1o\"}\n");
    EXPECT_THAT(read_error(path), AllOf(HasSubstr("line 2, column 12"), HasSubstr("0xF1")));
}

TEST(TextCorpus, WhitespaceTokensAndIds) {
    Vocabulary vocab;
    const Corpus c = make_corpus({"el perro  y el\tgato", "el  gato\vcome", "x"}, vocab);
    ASSERT_EQ(c.lines(), 3u);
    EXPECT_THAT(c.offsets, ElementsAre(0u, 5u, 8u, 9u));
    // Ids from 3 in order of first appearance.
    EXPECT_THAT(c.tokens, ElementsAre(3u, 4u, 5u, 3u, 6u, 3u, 6u, 7u, 8u));
    EXPECT_EQ(vocab.size(), 9u);
    EXPECT_EQ(vocab.word(6), "gato");
    EXPECT_EQ(c.vocabulary, nullptr);
}

TEST(TextCorpus, UnicodeSpaceIsNotASeparator) {
    // KenLM splits on ASCII whitespace only: a no-break space (U+00A0) stays inside the word.
    const Corpus c =
        make_corpus({"a\xC2\xA0"
                     "b c"});
    ASSERT_EQ(c.token_count(), 2u);
    EXPECT_EQ(c.vocabulary->word(c.tokens[0]),
              "a\xC2\xA0"
              "b");
}

TEST(TextCorpus, MinTokensDropsShortLines) {
    TextOptions options;
    options.min_tokens = 3;
    const Corpus c = make_corpus({"uno dos tres", "uno dos", "a b c d"}, options);
    ASSERT_EQ(c.lines(), 2u);
    EXPECT_EQ(c.line(0).size(), 3u);
    EXPECT_EQ(c.line(1).size(), 4u);
}

TEST(TextCorpus, CharacterTokensAreCodePoints) {
    TextOptions options;
    options.tokens = TextOptions::Tokens::kCharacter;
    // ñ is 2 bytes, € 3, 𝄞 4; the run of spaces and the tab become one "▁".
    const Corpus c = make_corpus({" añ \t€𝄞 x "}, options);
    const Vocabulary& v = *c.vocabulary;
    EXPECT_THAT(words_of(c, v), ElementsAre(Words{"a", "ñ", "▁", "€", "𝄞", "▁", "x"}));
    EXPECT_EQ(detokenize(c.line(0), v, options.tokens), "añ €𝄞 x");

    // An unknown character written for another program as U+FFFD comes back as one unknown
    // character, where "<unk>" would come back as five known-looking ones.
    const Corpus unknown = encode_with({"añz"}, c.vocabulary, options);
    ASSERT_EQ(unknown.token_count(), 3u);
    EXPECT_EQ(unknown.tokens[2], Vocabulary::kUnk);
    const std::string written = detokenize(unknown.line(0), v, options.tokens, kCharUnkText);
    EXPECT_EQ(written, "añ\xEF\xBF\xBD");
    const Corpus back = encode_with({written}, c.vocabulary, options);
    EXPECT_EQ(back.tokens, unknown.tokens);
    EXPECT_EQ(detokenize(unknown.line(0), v, options.tokens), "añ<unk>");
}

TEST(TextCorpus, EncodeWithMapsUnknownWordsToUnk) {
    const Corpus train = make_corpus({"el perro come", "el gato duerme"});
    const Corpus test = encode_with({"el perro vuela", "nadie sabe", "gato"}, train.vocabulary);
    ASSERT_EQ(test.lines(), 3u);
    EXPECT_EQ(test.vocabulary, train.vocabulary);
    const Vocabulary& v = *train.vocabulary;
    EXPECT_THAT(test.tokens, ElementsAre(*v.find("el"), *v.find("perro"), Vocabulary::kUnk,
                                         Vocabulary::kUnk, Vocabulary::kUnk, *v.find("gato")));
    EXPECT_EQ(v.size(), 3u + 5u);  // unchanged by encode_with
    EXPECT_EQ(detokenize(test.line(0), v, TextOptions::Tokens::kWhitespace), "el perro <unk>");
}

// A model's sampled line in the corpus's ids: unknown words, <s> and </s> become <unk>, the line
// is cut at the maximum length, and an empty line stays a line.
TEST(TextCorpus, SampledLinesUseTheCorpusIds) {
    const Corpus train = make_corpus({"el perro come", "el gato duerme"});
    const Vocabulary& v = *train.vocabulary;
    Corpus out;
    out.vocabulary = train.vocabulary;
    append_sampled_line(out, "el pez </s> come", TextOptions::Tokens::kWhitespace, 10);
    append_sampled_line(out, "", TextOptions::Tokens::kWhitespace, 10);
    append_sampled_line(out, "el gato duerme el gato", TextOptions::Tokens::kWhitespace, 3);
    ASSERT_EQ(out.lines(), 3u);
    EXPECT_THAT(out.line(0),
                ElementsAre(*v.find("el"), Vocabulary::kUnk, Vocabulary::kUnk, *v.find("come")));
    EXPECT_TRUE(out.line(1).empty());
    EXPECT_THAT(out.line(2), ElementsAre(*v.find("el"), *v.find("gato"), *v.find("duerme")));
    EXPECT_EQ(v.size(), 3u + 5u);  // no word added
    Corpus no_vocabulary;
    EXPECT_THROW(append_sampled_line(no_vocabulary, "el", TextOptions::Tokens::kWhitespace, 5),
                 std::invalid_argument);
}

TEST(TextCorpus, VocabularyHeterogeneousLookup) {
    Vocabulary v;
    const std::string word = "palabra";
    const TokenId id = v.add(std::string_view(word).substr(0, 3));  // "pal"
    EXPECT_EQ(v.add("pal"), id);
    EXPECT_EQ(v.find(std::string_view("palx", 3)), id);
    EXPECT_FALSE(v.find("pala").has_value());
    EXPECT_EQ(v.find("<unk>"), Vocabulary::kUnk);
}

TEST(TextReader, SpanishNovelsTiming) {
    if (!std::filesystem::exists(kNovels)) GTEST_SKIP() << kNovels << " not present";
    TextOptions options;
    options.split_sentences = true;
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<std::string> lines = read_text_lines(kNovels, options);
    const auto t1 = std::chrono::steady_clock::now();
    const Corpus c = make_corpus(lines, options);
    const auto t2 = std::chrono::steady_clock::now();
    const auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
    std::printf(
        "[ timing   ] Spanish novels: read+split %.0f ms (%zu lines), tokenise %.0f ms "
        "(%zu tokens, %zu types)\n",
        ms(t1 - t0), lines.size(), ms(t2 - t1), c.token_count(), c.vocabulary->size());
    EXPECT_GT(c.token_count(), 3'000'000u);
}

}  // namespace
}  // namespace madlab
