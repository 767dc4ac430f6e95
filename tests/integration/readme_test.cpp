// The README cannot go stale: its study file parses (every key in it exists, with valid values)
// and every subcommand its command-line tour names exists.

#include <gtest/gtest.h>
#include <sys/wait.h>

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

using madlab::testing::run_madlab;

// The contents of the README's fenced blocks of one language ("toml", "sh").
std::vector<std::string> fenced_blocks(const std::string& language) {
    return madlab::testing::fenced_blocks(MADLAB_SOURCE_DIR "/README.md", language);
}

TEST(Readme, ItsStudyFileParses) {
    const auto blocks = fenced_blocks("toml");
    ASSERT_FALSE(blocks.empty()) << "the README has no ```toml block";
    for (const auto& block : blocks) {
        const StudyConfig study = parse_study(block, "README.md");
        EXPECT_FALSE(study.settings.empty());
    }
}

TEST(Readme, EverySubcommandOfTheTourExists) {
    std::set<std::string> subcommands;
    for (const auto& block : fenced_blocks("sh")) {
        std::istringstream lines(block);
        for (std::string line; std::getline(lines, line);) {
            std::istringstream words(line);
            std::string program, sub;
            words >> program >> sub;
            if (program == "madlab" && !sub.empty() && sub[0] != '-') subcommands.insert(sub);
        }
    }
    EXPECT_GE(subcommands.size(),
              9u);  // run show export threshold decompose report metrics lm keys
    for (const auto& sub : subcommands) {
        const auto r = run_madlab(sub + " --help");
        EXPECT_EQ(r.exit_code, 0) << "README names `madlab " << sub << "`:\n" << r.output;
    }
}

// The commands of the README's section "Running on a cluster", run as written from a folder
// that has the checkout's examples/: every `madlab` line (and every `mpirun` line when mpirun is
// installed) exits 0, and the merged shards hold every record of the whole study.
TEST(Readme, TheClusterCommandsRun) {
    std::ifstream in(MADLAB_SOURCE_DIR "/README.md");
    std::string line, section;
    bool inside = false;
    while (std::getline(in, line)) {
        if (line.rfind("## ", 0) == 0) inside = line == "## Running on a cluster";
        if (inside) section += line + "\n";
    }
    ASSERT_FALSE(section.empty()) << "the README has no section 'Running on a cluster'";
    std::vector<std::string> commands;
    std::istringstream lines(section);
    bool block = false;
    while (std::getline(lines, line)) {
        if (line == "```sh" || line == "```") {
            block = line == "```sh";
            continue;
        }
        if (block && (line.rfind("madlab ", 0) == 0 || line.rfind("mpirun ", 0) == 0))
            commands.push_back(line);
    }
    ASSERT_GE(commands.size(), 3u);
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / "madlab_readme_cluster";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    std::filesystem::create_directory_symlink(MADLAB_SOURCE_DIR "/examples", dir / "examples");
    const bool have_mpirun = std::system("command -v mpirun > /dev/null 2>&1") == 0;
    bool merged = false;
    for (const std::string& command : commands) {
        if (command.rfind("mpirun ", 0) == 0 && !have_mpirun) continue;
        // `madlab` is the binary under test, also after mpirun's options.
        std::string shell = command;
        const auto at = shell.find("madlab ");
        shell.replace(at, 6, MADLAB_BINARY);
        const std::string full = "cd " + dir.string() +
                                 " && OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 " +
                                 shell + " > output.txt 2>&1";
        const int status = std::system(full.c_str());
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
            << command << "\n"
            << madlab::testing::read_file(dir / "output.txt");
        if (command.find("madlab merge") != std::string::npos) merged = true;
    }
    EXPECT_TRUE(merged) << "the section shows no `madlab merge`";
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace madlab
