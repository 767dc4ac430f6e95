#pragma once
// Helpers for the end-to-end tests: run the madlab binary and read the files it writes.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

namespace madlab::testing {

struct CliResult {
    int exit_code;
    std::string output;  // stdout, and stderr unless left out
};

// Runs `madlab ARGUMENTS` through the shell and waits for it; in the working folder `cwd`
// when one is given (for what madlab writes under madlab-results/).
inline CliResult run_madlab(const std::string& arguments, bool with_stderr = true,
                            const std::filesystem::path& cwd = {}) {
    const std::string command = (cwd.empty() ? "" : "cd '" + cwd.string() + "' && ") +
                                std::string(MADLAB_BINARY) + " " + arguments +
                                (with_stderr ? " 2>&1" : " 2>/dev/null");
    FILE* pipe = popen(command.c_str(), "r");
    std::string output;
    std::array<char, 4096> buffer;
    std::size_t n;
    while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), n);
    const int status = pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Expects `r` to have exited with `exit_code`, its output holding every one of `parts`.
inline void expect_output(const CliResult& r, int exit_code,
                          std::initializer_list<std::string> parts) {
    EXPECT_EQ(r.exit_code, exit_code) << r.output;
    for (const std::string& part : parts)
        EXPECT_NE(r.output.find(part), std::string::npos) << "no '" << part << "' in:\n"
                                                          << r.output;
}

// A test with its own empty temporary folder dir_, removed afterwards.
class TempDirTest : public ::testing::Test {
protected:
    void SetUp() override {
        static std::atomic<int> counter{0};
        dir_ = std::filesystem::temp_directory_path() /
               ("madlab_" +
                std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" +
                std::to_string(::getpid()) + "_" + std::to_string(counter.fetch_add(1)));
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }

    std::filesystem::path dir_;
};

// An external-model study interrupted and resumed (docs/external.md, "Files, audit and
// resume"), in `dir`: `make_study(fit, sample)` writes the study for these commands and returns
// its path. The fit command logs its generation before running `fit`; sampling fails from
// generation `fail_at` on while a stop file exists. Expects the first run to fail there, the
// resumed one to finish having fitted each generation 0..last exactly once (finished fits are
// reused), and its records to equal those of an uninterrupted run.
inline void expect_resume_matches_uninterrupted_run(
    const std::filesystem::path& dir,
    const std::function<std::string(const std::string&, const std::string&)>& make_study,
    const std::string& fit, const std::string& sample, int fail_at, int last) {
    const std::string log = (dir / "fits.log").string();
    const std::string stop = (dir / "stop").string();
    const std::string out = (dir / "out").string();
    std::ofstream(stop) << "x";
    const std::string path =
        make_study("echo {generation} >> " + log + " && " + fit,
                   "if [ {generation} -ge " + std::to_string(fail_at) + " ] && [ -e " + stop +
                       " ]; then echo stopped >&2; exit 5; fi; " + sample);
    const auto first = run_madlab("run " + path + " -q --out " + out);
    ASSERT_EQ(first.exit_code, 1) << first.output;
    EXPECT_NE(first.output.find("stopped"), std::string::npos) << first.output;
    std::filesystem::remove(stop);
    const auto resumed = run_madlab("run --resume " + out + " -q");
    ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
    std::string fitted;
    for (int g = 0; g <= last; ++g) fitted += std::to_string(g) + "\n";
    EXPECT_EQ(read_file(log), fitted);
    const auto whole = run_madlab("run " + path + " -q --no-db --out " + (dir / "whole").string());
    ASSERT_EQ(whole.exit_code, 0) << whole.output;
    EXPECT_EQ(read_file(out + "/records.csv"), read_file(dir / "whole" / "records.csv"));
}

// A fenced block of a Markdown file: the `## ` section it is in, its language ("sh", "toml",
// "sql"; empty for a bare fence) and its text.
struct MarkdownBlock {
    std::string section;
    std::string language;
    std::string text;
};

// Every fenced block of a Markdown file, in order.
inline std::vector<MarkdownBlock> markdown_blocks(const std::filesystem::path& markdown) {
    std::ifstream in(markdown);
    std::vector<MarkdownBlock> blocks;
    std::string line, section;
    bool inside = false;
    while (std::getline(in, line)) {
        if (!inside && line.rfind("## ", 0) == 0) {
            section = line.substr(3);
        } else if (!inside && line.rfind("```", 0) == 0) {
            inside = true;
            blocks.push_back({section, line.substr(3), ""});
        } else if (inside && line == "```") {
            inside = false;
        } else if (inside) {
            blocks.back().text += line + "\n";
        }
    }
    return blocks;
}

// The texts of the fenced blocks of one language ("toml", "sh", "sql") in a Markdown file, in
// order.
inline std::vector<std::string> fenced_blocks(const std::filesystem::path& markdown,
                                              const std::string& language) {
    std::vector<std::string> texts;
    for (auto& block : markdown_blocks(markdown))
        if (block.language == language) texts.push_back(std::move(block.text));
    return texts;
}

}  // namespace madlab::testing
