#include "madlab/core/child_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace madlab {

namespace {

// The registry of live children: the process group of every command run_shell runs now, one
// per slot (0 = free). Lock-free atomics, so that a signal handler may read it.
constexpr std::size_t kChildSlots = 256;
std::array<std::atomic<pid_t>, kChildSlots> g_child_groups{};
std::atomic<int> g_forwarded_signal{0};
static_assert(std::atomic<pid_t>::is_always_lock_free && std::atomic<int>::is_always_lock_free);

// Puts `group` in a free slot and returns its index; kChildSlots when every slot is taken (the
// command then runs unregistered: a forwarded signal misses it).
std::size_t register_child(pid_t group) {
    for (std::size_t i = 0; i < kChildSlots; ++i) {
        pid_t free = 0;
        if (g_child_groups[i].compare_exchange_strong(free, group)) return i;
    }
    return kChildSlots;
}

void unregister_child(std::size_t slot) {
    if (slot < kChildSlots) g_child_groups[slot].store(0);
}

}  // namespace

void forward_signal_to_children(int signal) {
    g_forwarded_signal.store(signal);
    for (auto& slot : g_child_groups)
        if (const pid_t group = slot.load(); group > 0) ::kill(-group, signal);
}

int forwarded_signal() { return g_forwarded_signal.load(); }

void reset_forwarded_signal() { g_forwarded_signal.store(0); }

int live_children() {
    int n = 0;
    for (const auto& slot : g_child_groups) n += slot.load() > 0 ? 1 : 0;
    return n;
}

namespace {

std::string host_name() {
    char name[256] = {};
    if (::gethostname(name, sizeof(name) - 1) != 0) return "?";
    return name;
}

}  // namespace

bool process_group_lives(int group) {
    std::error_code ec;
    if (!std::filesystem::exists("/proc/self/stat", ec))
        return ::kill(-group, 0) == 0 || errno == EPERM;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream in(entry.path() / "stat");
        std::string stat;
        std::getline(in, stat);
        // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
        const auto close = stat.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream rest(stat.substr(close + 1));
        char state = 0;
        long parent = 0, process_group = 0;
        if (rest >> state >> parent >> process_group && process_group == group && state != 'Z')
            return true;
    }
    return false;
}

std::optional<LiveCommand> live_command_in(const std::string& pid_file) {
    std::ifstream in(pid_file);
    if (!in) return std::nullopt;
    LiveCommand command;
    in >> command.group >> command.host;
    if (command.group > 0 && !command.host.empty() && command.host != host_name()) return command;
    // Not (yet) a whole line: being written by a run_shell that has just started the command.
    if (command.group <= 0 || command.host.empty()) return std::nullopt;
    if (process_group_lives(static_cast<int>(command.group))) return command;
    std::error_code ec;
    std::filesystem::remove(pid_file, ec);
    return std::nullopt;
}

ShellResult run_shell(const std::string& command, const std::string& out_path,
                      const std::string& err_path, double timeout_s, const std::string& pid_file) {
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
    // Registered first, then the forwarded signal read: a signal that came before the group was
    // in the registry is sent here (the handler stores the signal before it reads the slots).
    const std::size_t slot = register_child(pid);
    if (const int signal = forwarded_signal()) ::kill(-pid, signal);
    if (!pid_file.empty()) std::ofstream(pid_file) << pid << ' ' << host_name() << '\n';
    // Removes pid_file once the command has ended, on every return below.
    struct PidFileRemover {
        const std::string& path;
        ~PidFileRemover() {
            std::error_code ec;
            if (!path.empty()) std::filesystem::remove(path, ec);
        }
    } remove_pid_file{pid_file};

    const auto start = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point forwarded_at{};
    auto pause = std::chrono::milliseconds(2);
    int status = 0;
    for (;;) {
        const pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) break;
        if (r < 0 && errno != EINTR) {
            unregister_child(slot);
            return {false, false,
                    fmt::format("could not be waited for ({})", std::strerror(errno))};
        }
        const auto now = std::chrono::steady_clock::now();
        const double elapsed = std::chrono::duration<double>(now - start).count();
        if (forwarded_signal() != 0) {
            if (forwarded_at == std::chrono::steady_clock::time_point{}) forwarded_at = now;
            if (std::chrono::duration<double>(now - forwarded_at).count() > kForwardGraceSeconds)
                kill(-pid, SIGKILL);  // it ignored the signal
        }
        if (timeout_s > 0 && elapsed > timeout_s) {
            kill(-pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            unregister_child(slot);
            return {false, true,
                    fmt::format("did not finish within {} s and was killed (with its process "
                                "group)",
                                timeout_s)};
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
    unregister_child(slot);
    // The command's own children that outlive it after a forwarded signal go too.
    if (forwarded_signal() != 0) kill(-pid, SIGKILL);
    if (WIFEXITED(status)) {
        if (WEXITSTATUS(status) == 0) return {true, false, ""};
        return {false, false, fmt::format("exited with code {}", WEXITSTATUS(status))};
    }
    if (WIFSIGNALED(status))
        return {false, false, fmt::format("was killed by signal {}", WTERMSIG(status))};
    return {false, false, "ended abnormally"};
}

}  // namespace madlab
