// Bad input, table-driven (issue 16): each case writes its files into a scratch folder, runs one
// madlab command, and checks the exit code (2 for a bad command line, config or input file; 1
// for anything else), words the message must hold, and that no output was left behind.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "cli_runner.h"

namespace madlab {
namespace {

using testing::run_madlab;
using testing::TempDirTest;

namespace fs = std::filesystem;

struct BadInput {
    std::string name;
    // Files to write first (path relative to the scratch folder, bytes).
    std::vector<std::pair<std::string, std::string>> files;
    // The command line after `madlab`; {dir} is the scratch folder.
    std::string arguments;
    int exit_code;
    std::vector<std::string> words;   // each must appear in the output
    std::vector<std::string> absent;  // paths (relative) that must not exist afterwards
    // A madlab command line run first, its exit code not checked (a study into a database).
    std::string before;
};

// A small Gaussian study; `extra` is appended to its [schedule] table, `source` replaces the
// source table's body.
std::string study(const std::string& schedule_extra = "", const std::string& source = "",
                  const std::string& model = "family = \"gaussian\"") {
    return "[study]\nname = \"bad\"\nseeds = 1\ngenerations = 1\n\n[source]\n" +
           (source.empty() ? std::string("kind = \"gaussian\"\ndim = 2\n") : source) +
           "\n[model]\n" + model + "\n\n[schedule]\nn = 50\n" + schedule_extra +
           "\n[metrics]\nlist = [\"frechet\"]\nn_eval = 50\n";
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    for (std::size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

// A .npy v1.0 file of shape (2, 1) float64 whose data holds 6 values: the header claims fewer
// rows than the file holds.
std::string npy_with_extra_rows() {
    std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1), }";
    while ((10 + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
    std::string file = "\x93NUMPY";
    file += '\x01';
    file += '\x00';
    file += static_cast<char>(header.size() & 0xff);
    file += static_cast<char>(header.size() >> 8);
    file += header;
    for (int i = 0; i < 6; ++i) {
        const double v = i;
        file.append(reinterpret_cast<const char*>(&v), sizeof v);
    }
    return file;
}

const std::string kCsv = "1,2\n3,4\n5,6\n7,8\n";

std::vector<BadInput> cases() {
    const std::string utf16_csv(
        "\xFF\xFE"
        "1\0,\0"
        "2\0\n\0",
        10);
    return {
        // ---- sizes that cannot fit: refused before anything is written, naming the key
        {"HugeScheduleN",
         {{"s.toml", replace_all(study(), "n = 50\n", "n = 1000000000000\n")}},
         "run {dir}/s.toml --out {dir}/out",
         2,
         {"schedule.n", "memory"},
         {"out"}},
        {"HugeNEval",
         {{"s.toml", replace_all(study(), "n_eval = 50", "n_eval = 1000000000000")}},
         "run {dir}/s.toml --out {dir}/out",
         2,
         {"metrics.n_eval", "memory"},
         {"out"}},
        {"HugeNSynthetic",
         {{"s.toml", study("n_synthetic = 1000000000000\n")}},
         "run {dir}/s.toml --out {dir}/out",
         2,
         {"schedule.n_synthetic", "memory"},
         {"out"}},
        {"HugeDim",
         {{"s.toml", study("", "kind = \"gaussian\"\ndim = 100000\n")}},
         "run {dir}/s.toml --out {dir}/out",
         2,
         {"source.dim", "memory"},
         {"out"}},
        {"HugeKidSubsets",
         {{"r.csv", kCsv}, {"f.csv", kCsv}},
         "metrics {dir}/r.csv {dir}/f.csv --metrics kid --kid-subsets 1000000000",
         2,
         {"--kid-subsets", "10000"},
         {}},
        {"MoreComponentsThanPoints",
         {{"s.toml", study("", "", "family = \"gmm\"\ncomponents = 100000")}},
         "run {dir}/s.toml --out {dir}/out",
         2,
         {"s.toml line", "model.components", "at most 50"},
         {"out"}},

        // ---- output paths: a missing folder or a folder is a bad command line (exit 2)
        {"DbInMissingFolder",
         {{"s.toml", study()}},
         "run {dir}/s.toml --out {dir}/out --db {dir}/no/such/r.sqlite",
         2,
         {"--db", "does not exist", "mkdir -p"},
         {"out"}},
        {"DbIsAFolder",
         {{"s.toml", study()}},
         "run {dir}/s.toml --out {dir}/out --db {dir}",
         2,
         {"--db", "is a folder"},
         {"out"}},
        {"MetricsOutInMissingFolder",
         {{"r.csv", kCsv}, {"f.csv", kCsv}},
         "metrics {dir}/r.csv {dir}/f.csv --metrics frechet --out {dir}/no/m.json",
         2,
         {"--out", "does not exist"},
         {}},
        {"LmArpaInMissingFolder",
         {{"t.txt", "a b c\nb c d\n"}},
         "lm {dir}/t.txt --order 1 --arpa {dir}/no/m.arpa",
         2,
         {"--arpa", "does not exist"},
         {}},

        // ---- the command line itself
        {"UnknownSubcommand",
         {},
         "frobnicate",
         2,
         {"'frobnicate' is not a madlab command", "run, merge"},
         {}},
        {"MisspeltSubcommand", {}, "rnu", 2, {"did you mean 'run'?"}, {}},
        {"MisspeltOption",
         {{"s.toml", study()}},
         "run {dir}/s.toml --trheads 2",
         2,
         {"did you mean '--threads'?"},
         {}},
        {"ThreadsNotANumber",
         {{"s.toml", study()}},
         "run {dir}/s.toml --threads abc",
         2,
         {"--threads", "must be a whole number >= 0, not 'abc'"},
         {}},

        // ---- where the config is at fault
        {"MissingSourcePath",
         {{"s.toml", study("", "kind = \"csv\"\n")}},
         "run {dir}/s.toml --out {dir}/out",
         2,
         {"s.toml [source]", "source.path"},
         {"out"}},
        {"MissingExternalFit",
         {{"s.toml", study("", "", "family = \"external\"")}},
         "run {dir}/s.toml --out {dir}/out",
         2,
         {"s.toml [model]", "model.fit is required"},
         {"out"}},
        {"CovarianceNotPositiveSemiDefinite",
         {{"s.toml", study("", "kind = \"gaussian\"\ndim = 2\ncovariance = [[1, 2], [2, 1]]\n")}},
         "run {dir}/s.toml --out {dir}/out",
         2,
         {"s.toml line 9", "source.covariance is not positive semi-definite"},
         {"out"}},

        // ---- bytes of data files shown escaped, never cutting the message short
        {"NulByteInCsv",
         {{"d.csv", std::string("1,2\n3,4\0x\n5,6\n", 14)},
          {"s.toml", study("", "kind = \"csv\"\npath = \"{dir}/d.csv\"\n")}},
         "run {dir}/s.toml --out {dir}/out",
         2,
         {"'4\\x00x' is not a number", "fix the cell"},
         {"out"}},
        {"Utf16Csv",
         {{"d.csv", utf16_csv}, {"s.toml", study("", "kind = \"csv\"\npath = \"{dir}/d.csv\"\n")}},
         "run {dir}/s.toml --out {dir}/out",
         2,
         {"UTF-16LE", "iconv"},
         {"out"}},
        {"Utf16Corpus", {{"t.txt", utf16_csv}}, "lm {dir}/t.txt", 2, {"UTF-16LE", "iconv"}, {}},
        // A failing model command is not bad input (exit 1); its stderr (here an escape
        // sequence that would turn the terminal red) is shown escaped.
        {"ExternalStderrEscaped",
         {{"s.toml", study("", "",
                           "family = \"external\"\n"
                           "fit = \"printf '\\\\033[31mred\\\\000x' >&2; exit 3\"\n"
                           "sample = \"touch {samples}\"")}},
         "run {dir}/s.toml --out {dir}/out --quiet",
         1,
         {"\\x1B[31mred", "exited with code 3"},
         {}},
        // ---- `madlab report` of a results database
        {"ReportOfAFileThatIsNoDatabase",
         {{"notes.txt", "not a database\n"}},
         "report {dir}/notes.txt",
         2,
         {"notes.txt", "not a SQLite file", "output folder of `madlab run`"},
         {"notes.compare.html", "notes.report.html"}},
        {"ReportOfADatabaseAndFolders",
         {{"lab.sqlite", "SQLite format 3"}},
         "report {dir} {dir}/lab.sqlite",
         2,
         {"lab.sqlite", "not both"},
         {}},
        {"ReportStudyOfFolders",
         {},
         "report {dir} --study x",
         2,
         {"--study", "results database"},
         {}},
        {"ReportOfADatabaseWithoutFinishedStudies",
         {{"s.toml",
           study("", "", "family = \"external\"\nfit = \"exit 3\"\nsample = \"touch {samples}\"")}},
         "report {dir}/lab.sqlite",
         2,
         {"lab.sqlite", "holds no finished study", "'bad' (id 1) is failed", "--db"},
         {"lab.compare.html", "lab.report.html"},
         "run {dir}/s.toml --db {dir}/lab.sqlite --out {dir}/out --quiet --no-report"},
        {"ReportOfAnUnknownStudy",
         {{"s.toml", study()}},
         "report {dir}/lab.sqlite --study nope",
         2,
         {"--study: no study 'nope'", "lab.sqlite", "'bad' (id 1)"},
         {"lab.compare.html", "lab.report.html"},
         "run {dir}/s.toml --db {dir}/lab.sqlite --out {dir}/out --quiet --no-report"},
        {"NpyHeaderClaimsFewerRows",
         {{"d.npy", npy_with_extra_rows()}},
         "metrics {dir}/d.npy {dir}/d.npy",
         2,
         {"holds 48 bytes of data", "accounts for 16 bytes", "numpy.save"},
         {}},
    };
}

// gtest names a failing case by this (its parameter), not by its bytes.
void PrintTo(const BadInput& input, std::ostream* out) { *out << input.name; }

class BadInputCli : public TempDirTest, public ::testing::WithParamInterface<BadInput> {};

TEST_P(BadInputCli, ExitsWithTheContractCodeAndAMessageThatSaysWhatToDo) {
    const BadInput& input = GetParam();
    for (const auto& [path, bytes] : input.files) {
        // A study names its data files by absolute path ({dir}).
        const std::string content =
            path.ends_with(".toml") ? replace_all(bytes, "{dir}", dir_.string()) : bytes;
        std::ofstream out(dir_ / path, std::ios::binary);
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
    }
    if (!input.before.empty()) run_madlab(replace_all(input.before, "{dir}", dir_.string()));
    const auto r = run_madlab(replace_all(input.arguments, "{dir}", dir_.string()));
    testing::expect_output(r, input.exit_code, {});
    for (const std::string& word : input.words)
        EXPECT_NE(r.output.find(word), std::string::npos) << "no '" << word << "' in:\n"
                                                          << r.output;
    // Bytes a terminal would act on never reach it raw.
    EXPECT_EQ(r.output.find('\x1B'), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find('\0'), std::string::npos) << r.output;
    // One message, not a wall of text (a 309-digit range, a dump of the file).
    EXPECT_LT(r.output.size(), 1200u) << r.output;
    for (const std::string& path : input.absent)
        EXPECT_FALSE(fs::exists(dir_ / path)) << path << " was written";
}

// A results database whose bytes were overwritten, or whose end was lost: `show` and `export`
// name the file, say what is wrong and what to do, and exit 2.
TEST_F(TempDirTest, DamagedDatabaseIsNamedWithWhatToDo) {
    {
        std::ofstream out(dir_ / "s.toml");
        out << study();
    }
    const std::string folder = (dir_ / "run").string();
    ASSERT_EQ(
        run_madlab("run " + (dir_ / "s.toml").string() + " --out " + folder + " --quiet").exit_code,
        0);
    const fs::path db = dir_ / "run" / "results.sqlite";
    const auto size = fs::file_size(db);
    ASSERT_GT(size, 8192u);

    // Overwrite pages 2 and 3 (the schema's tables) with garbage: SQLite calls it malformed.
    fs::copy_file(db, dir_ / "overwritten.sqlite");
    {
        std::fstream f(dir_ / "overwritten.sqlite",
                       std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(4096);
        const std::string garbage(8192, '\x5A');
        f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
    }
    for (const char* command : {"show", "export"}) {
        const auto r =
            run_madlab(std::string(command) + " " + (dir_ / "overwritten.sqlite").string());
        testing::expect_output(
            r, 2, {"overwritten.sqlite", "it is damaged", "Restore it from a backup", "--out"});
    }

    // Keep the first 1000 bytes: the header survives, the pages are gone.
    {
        std::ifstream in(db, std::ios::binary);
        std::string head(1000, '\0');
        in.read(head.data(), 1000);
        std::ofstream out(dir_ / "truncated.sqlite", std::ios::binary);
        out.write(head.data(), 1000);
    }
    testing::expect_output(
        run_madlab("show " + (dir_ / "truncated.sqlite").string()), 2,
        {"truncated.sqlite", "it is truncated: 1000 bytes", "Restore it from a backup"});
}

INSTANTIATE_TEST_SUITE_P(Table, BadInputCli, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace madlab
