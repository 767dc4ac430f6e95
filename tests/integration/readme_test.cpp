// The README cannot go stale: its study file parses (every key in it exists, with valid values)
// and every subcommand its command-line tour names exists.

#include <gtest/gtest.h>

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
    std::ifstream in(MADLAB_SOURCE_DIR "/README.md");
    std::vector<std::string> blocks;
    std::string line, block;
    bool inside = false;
    while (std::getline(in, line)) {
        if (!inside && line == "```" + language) {
            inside = true;
            block.clear();
        } else if (inside && line == "```") {
            inside = false;
            blocks.push_back(block);
        } else if (inside) {
            block += line + "\n";
        }
    }
    return blocks;
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

}  // namespace
}  // namespace madlab
