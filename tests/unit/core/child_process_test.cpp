#include "madlab/core/child_process.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace madlab {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

class ShellTest : public ::testing::Test {
protected:
    void SetUp() override {
        // One folder per test and process: ctest runs the tests of this file in parallel.
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = fs::temp_directory_path() / ("madlab-child-process-" + std::string(info->name()) +
                                            "-" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string out() const { return (dir_ / "out").string(); }
    std::string err() const { return (dir_ / "err").string(); }
    fs::path dir_;
};

TEST_F(ShellTest, OutputGoesToTheFilesAndStdinIsEmpty) {
    const ShellResult r = run_shell("echo hello; echo oops >&2; cat", out(), err(), 0);
    EXPECT_TRUE(r.ok);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.why, "");
    EXPECT_EQ(read_all(out()), "hello\n");  // cat read /dev/null: nothing more
    EXPECT_EQ(read_all(err()), "oops\n");
}

TEST_F(ShellTest, ExitCodesAndSignalsAreSaid) {
    const ShellResult code = run_shell("exit 3", out(), err(), 0);
    EXPECT_FALSE(code.ok);
    EXPECT_EQ(code.why, "exited with code 3");
    const ShellResult signal = run_shell("kill -9 $$", out(), err(), 0);
    EXPECT_FALSE(signal.ok);
    EXPECT_EQ(signal.why, "was killed by signal 9");
}

// The time limit kills the whole process group: the command's own child (a sleep in the
// background that the shell waits for) dies with it, so the call returns near the limit, not
// after the child's 30 s.
TEST_F(ShellTest, TheTimeLimitKillsTheWholeGroup) {
    const auto start = std::chrono::steady_clock::now();
    const ShellResult r = run_shell("sleep 30 & wait", out(), err(), 0.3);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_FALSE(r.ok);
    EXPECT_TRUE(r.timed_out);
    EXPECT_EQ(r.why, "did not finish within 0.3 s and was killed (with its process group)");
    EXPECT_LT(seconds, 20.0);  // far below the child's 30 s whatever the machine's load
}

TEST_F(ShellTest, AnOutputFileThatCannotBeOpenedFailsWithoutThrowing) {
    const ShellResult r = run_shell("true", (dir_ / "missing" / "out").string(), err(), 0);
    EXPECT_FALSE(r.ok);
    EXPECT_FALSE(r.why.empty());
}

}  // namespace
}  // namespace madlab
