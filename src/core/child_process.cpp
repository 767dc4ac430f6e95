#include "madlab/core/child_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

extern char** environ;

namespace madlab {

ShellResult run_shell(const std::string& command, const std::string& out_path,
                      const std::string& err_path, double timeout_s) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    std::string sh = "/bin/sh", dash_c = "-c", cmd = command;
    char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, "/bin/sh", &actions, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) return {false, false, fmt::format("could not be started ({})", std::strerror(rc))};

    const auto start = std::chrono::steady_clock::now();
    auto pause = std::chrono::milliseconds(2);
    int status = 0;
    for (;;) {
        const pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) break;
        if (r < 0 && errno != EINTR)
            return {false, false,
                    fmt::format("could not be waited for ({})", std::strerror(errno))};
        const double elapsed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (timeout_s > 0 && elapsed > timeout_s) {
            kill(-pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            return {false, true,
                    fmt::format("did not finish within {} s and was killed (with its process "
                                "group)",
                                timeout_s)};
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
    if (WIFEXITED(status)) {
        if (WEXITSTATUS(status) == 0) return {true, false, ""};
        return {false, false, fmt::format("exited with code {}", WEXITSTATUS(status))};
    }
    if (WIFSIGNALED(status))
        return {false, false, fmt::format("was killed by signal {}", WTERMSIG(status))};
    return {false, false, "ended abnormally"};
}

}  // namespace madlab
