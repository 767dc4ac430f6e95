#include "madlab/core/child_process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

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

// A forwarded signal reaches every running command's group (a command's own child too), and
// run_shell waits for the command to end; a command started afterwards gets the signal at once.
TEST_F(ShellTest, AForwardedSignalEndsEveryRunningCommand) {
    reset_forwarded_signal();
    ShellResult first, second;
    const std::string pid_file = (dir_ / "step.pid").string();
    std::thread a([&] { first = run_shell("sleep 30 & wait", out(), err(), 0, pid_file); });
    std::thread b([&] { second = run_shell("sleep 30", out() + "2", err() + "2", 0); });
    const auto start = std::chrono::steady_clock::now();
    while ((live_children() < 2 || !live_command_in(pid_file)) &&
           std::chrono::steady_clock::now() - start < std::chrono::seconds(10))
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const int running = live_children();
    const auto live = live_command_in(pid_file);  // written once the command started
    const bool group_lived = live && process_group_lives(static_cast<int>(live->group));
    forward_signal_to_children(SIGTERM);
    a.join();
    b.join();
    EXPECT_EQ(running, 2);
    ASSERT_TRUE(live.has_value());
    EXPECT_TRUE(group_lived);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(seconds, 20.0);  // not the 30 s of the sleeps
    EXPECT_EQ(first.why, "was killed by signal 15");
    EXPECT_EQ(second.why, "was killed by signal 15");
    EXPECT_EQ(live_children(), 0);
    EXPECT_FALSE(fs::exists(pid_file));  // removed once the command ended
    EXPECT_FALSE(process_group_lives(static_cast<int>(live->group)));
    const ShellResult late = run_shell("sleep 30", out(), err(), 0);
    EXPECT_EQ(late.why, "was killed by signal 15");
    reset_forwarded_signal();
    EXPECT_TRUE(run_shell("true", out(), err(), 0).ok);
}

// A pid file whose group has ended is stale: removed, and no command is said to run.
TEST_F(ShellTest, AStalePidFileIsRemoved) {
    const std::string pid_file = (dir_ / "fit.pid").string();
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    // A process group that no longer exists: a child that has ended.
    const pid_t child = fork();
    if (child == 0) _exit(0);
    waitpid(child, nullptr, 0);
    std::ofstream(pid_file) << child << ' ' << host << '\n';
    EXPECT_FALSE(live_command_in(pid_file).has_value());
    EXPECT_FALSE(fs::exists(pid_file));
    // One of this test's own group is alive.
    std::ofstream(pid_file) << getpgrp() << ' ' << host << '\n';
    const auto live = live_command_in(pid_file);
    ASSERT_TRUE(live.has_value());
    EXPECT_EQ(live->group, static_cast<long>(getpgrp()));
    EXPECT_EQ(live->host, host);
}

}  // namespace
}  // namespace madlab
