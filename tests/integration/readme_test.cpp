// The README cannot go stale: every study file in it parses, and every `madlab` (and `mpirun`)
// line of its shell blocks runs, in the README's order, from a folder laid out as the checkout
// (`examples/` and `../shared` beside it), with the study files saved under the names their
// first lines give. The lines that are not madlab's (the quick start and test scripts, which
// are CI itself; `cmake --install`, tested by tests/install; pip, tested by python/tests) are
// listed below with what tests them.
//
// Reduced size: every `madlab run`, `threshold` and `decompose` of a study file gets
// `--set study.seeds=2` appended (a later --set wins), so that the tour takes seconds; what the
// lines do, the files they write and how they fit together is what the README says.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "madlab/study/study_config.h"

namespace madlab {
namespace {

namespace fs = std::filesystem;
using madlab::testing::MarkdownBlock;
using madlab::testing::read_file;

std::vector<MarkdownBlock> readme_blocks() {
    return madlab::testing::markdown_blocks(MADLAB_SOURCE_DIR "/README.md");
}

// The sections whose commands this test runs, each in a folder of its own.
const std::vector<std::string> kRunSections = {"The command line", "A study file", "Examples",
                                               "Running on a cluster"};

// Shell lines of the README that are not run here, and what tests them instead.
bool tested_elsewhere(const std::string& line) {
    return line == "bash scripts/quickstart.sh"     // CI's fresh machine runs its build steps
           || line == "bash scripts/test.sh"        // is CI
           || line.starts_with("cmake --install ")  // tests/install
           || line.starts_with("/usr/bin/python3 -m pip install ");  // python/tests (pip)
}

// The command lines (`madlab ...`, `mpirun ...`) of a shell block, comments and blank lines left
// out.
std::vector<std::string> command_lines(const std::string& block) {
    std::vector<std::string> out;
    std::istringstream lines(block);
    for (std::string line; std::getline(lines, line);) {
        const auto first = line.find_first_not_of(' ');
        if (first == std::string::npos || line[first] == '#') continue;
        out.push_back(line);
    }
    return out;
}

// The file name a study file block gives on its first line (`# NAME.toml`), or "".
std::string study_file_name(const std::string& block) {
    const std::string first = block.substr(0, block.find('\n'));
    if (!first.starts_with("# ") || !first.ends_with(".toml")) return "";
    return first.substr(2);
}

bool have_neural() {
#ifdef MADLAB_HAVE_NEURAL
    return true;
#else
    return false;
#endif
}

TEST(Readme, ItsStudyFilesParse) {
    int parsed = 0;
    for (const auto& block : readme_blocks()) {
        if (block.language != "toml") continue;
        EXPECT_NE(study_file_name(block.text), "")
            << "a study file of the README names no file on its first line (# NAME.toml):\n"
            << block.text;
        if (!have_neural() && block.text.find("family = \"flow\"") != std::string::npos) continue;
        const StudyConfig study = parse_study(block.text, "README.md");
        EXPECT_FALSE(study.settings.empty());
        ++parsed;
    }
    EXPECT_GE(parsed, have_neural() ? 2 : 1);
}

// Every command line of the README is in a section run below or is tested elsewhere.
TEST(Readme, EveryCommandLineIsTested) {
    int commands = 0;
    for (const auto& block : readme_blocks()) {
        if (block.language != "sh") continue;
        const bool run = std::find(kRunSections.begin(), kRunSections.end(), block.section) !=
                         kRunSections.end();
        for (const auto& line : command_lines(block.text)) {
            const bool madlab = line.starts_with("madlab ") || line.starts_with("mpirun ");
            EXPECT_TRUE((run && madlab) || tested_elsewhere(line))
                << "section '" << block.section << "': `" << line
                << "` is neither run by this test nor listed as tested elsewhere";
            commands += madlab;
        }
    }
    EXPECT_GE(commands, 25);
}

// Runs a section's study files and commands in order from `dir/checkout`; returns the folder.
fs::path run_section(const std::string& section) {
    std::string folder = section;
    for (char& c : folder)
        if (c == ' ') c = '_';
    const fs::path root = fs::temp_directory_path() / ("madlab_readme_" + folder);
    fs::remove_all(root);
    fs::create_directories(root / "checkout");
    fs::create_directory_symlink(MADLAB_SHARED_DIR, root / "shared");
    fs::create_directory_symlink(MADLAB_SOURCE_DIR "/examples", root / "checkout" / "examples");
    const fs::path cwd = root / "checkout";
    const bool have_mpirun = std::system("command -v mpirun > /dev/null 2>&1") == 0;
    int ran = 0;
    for (const auto& block : readme_blocks()) {
        if (block.section != section) continue;
        if (block.language == "toml") {
            std::ofstream(cwd / study_file_name(block.text)) << block.text;
            continue;
        }
        if (block.language != "sh") continue;
        for (const std::string& line : command_lines(block.text)) {
            if (tested_elsewhere(line)) continue;
            if (line.starts_with("mpirun ") && !have_mpirun) continue;
            if (line.find(" flow.toml") != std::string::npos && !have_neural()) continue;
            // `madlab` is the binary under test, also after mpirun's options.
            std::string command = line.substr(0, line.find("  #"));
            const auto at = command.find("madlab ");
            command.replace(at, 6, MADLAB_BINARY);
            const std::string sub = command.substr(at + std::string(MADLAB_BINARY).size() + 1);
            const bool study_run = (sub.starts_with("run") || sub.starts_with("threshold ") ||
                                    sub.starts_with("decompose ")) &&
                                   sub.find("--resume") == std::string::npos;
            if (study_run) command += " --set study.seeds=2";
            const std::string full = "cd '" + cwd.string() +
                                     "' && OMPI_ALLOW_RUN_AS_ROOT=1 "
                                     "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 " +
                                     command + " > output.txt 2>&1";
            const int status = std::system(full.c_str());
            EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
                << line << "\n"
                << read_file(cwd / "output.txt");
            ++ran;
        }
    }
    EXPECT_GT(ran, 0) << "the README has no commands in section '" << section << "'";
    return cwd;
}

TEST(Readme, TheTourRuns) {
    const fs::path cwd = run_section("The command line");
    // What the tour's lines say they write.
    EXPECT_TRUE(fs::exists(cwd / "madlab-results" / "mad-grid25" / "report.html"));
    EXPECT_TRUE(fs::exists(cwd / "madlab-results" / "sampling-bias" / "records.csv"));
    EXPECT_NE(read_file(cwd / "kazdan-n20" / "config.toml").find("n = 20"), std::string::npos);
    EXPECT_TRUE(read_file(cwd / "kazdan.csv").starts_with("study,setting,label,seed,"));
    EXPECT_TRUE(fs::exists(cwd / "kazdan" / "compare.html"));
    EXPECT_NE(read_file(cwd / "lab.compare.html").find("sampling-bias"), std::string::npos);
    EXPECT_TRUE(fs::exists(cwd / "kazdan-figures"));
    EXPECT_TRUE(read_file(cwd / "quijote.arpa").starts_with("\\data\\\n"));
    EXPECT_TRUE(fs::exists(cwd / "madlab-results" / "threshold-fresh-data-threshold"));
    EXPECT_TRUE(fs::exists(cwd / "madlab-results" / "decompose-grid25-decompose"));
    fs::remove_all(cwd.parent_path());
}

TEST(Readme, ItsStudyFilesRun) {
    const fs::path cwd = run_section("A study file");
    EXPECT_NE(read_file(cwd / "madlab-results" / "faithful" / "records.csv").find("20% fresh"),
              std::string::npos);
    fs::remove_all(cwd.parent_path());
    if (have_neural()) {
        const fs::path neural = run_section("Examples");
        EXPECT_TRUE(fs::exists(neural / "madlab-results" / "flow-fine-tuned" / "report.html"));
        fs::remove_all(neural.parent_path());
    }
}

// The merged shards hold every record of the whole study.
TEST(Readme, TheClusterCommandsRun) {
    const fs::path cwd = run_section("Running on a cluster");
    const std::string merged = read_file(cwd / "kazdan" / "records.csv");
    // 3 settings x 2 seeds x 100 generations x 4 values.
    EXPECT_GE(std::count(merged.begin(), merged.end(), '\n'), 3 * 2 * 100 * 4);
    if (fs::exists(cwd / "kazdan-mpi" / "records.csv"))  // mpirun is installed
        EXPECT_EQ(merged, read_file(cwd / "kazdan-mpi" / "records.csv"))
            << "the merged shards differ from the MPI run";
    fs::remove_all(cwd.parent_path());
}

}  // namespace
}  // namespace madlab
