#pragma once
// Running another program: a shell command in its own process group, with its output in files
// and a time limit that kills the whole group (a command's children included). Used by the
// external model families (models/external.h), whose fit and sample steps are user commands.
//
// Since a command runs in a group of its own, a Ctrl-C at the terminal or a SIGTERM sent to
// madlab does not reach it. Every live command's group is kept in a registry, and
// forward_signal_to_children hands a signal on to all of them (core/stop_signals.h calls it from
// madlab's SIGINT / SIGTERM handler); run_shell then waits for the command to end as usual.

#include <optional>
#include <string>

namespace madlab {

struct ShellResult {
    bool ok = false;         // exited with code 0
    bool timed_out = false;  // killed after the time limit
    // What went wrong, to follow "the command ...": "exited with code 3", "was killed by signal
    // 9", "did not finish within 5 s and was killed (with its process group)", "could not be
    // started (...)"; empty when ok.
    std::string why;
};

// Runs `command` with /bin/sh -c in its own process group, stdin from /dev/null, stdout and
// stderr written to out_path and err_path (truncated first). Kills the whole group after
// timeout_s seconds (0 = no limit). Waits for the command; never throws. While the command
// runs its group is in the registry of live children (forward_signal_to_children); a command
// started after a signal was forwarded gets that signal at once. A group that a forwarded
// signal has not ended within kForwardGraceSeconds is killed with SIGKILL.
// `pid_file`, when not empty: written with "<process group> <host>" once the command has
// started, removed once it has ended, so that a later madlab (a resume after a kill -9) can
// tell that the command still runs (live_command_in).
ShellResult run_shell(const std::string& command, const std::string& out_path,
                      const std::string& err_path, double timeout_s,
                      const std::string& pid_file = {});

// A command that an earlier run_shell left running (a madlab killed with SIGKILL cannot end its
// commands), as its pid_file names it.
struct LiveCommand {
    long group = 0;    // its process group
    std::string host;  // the host it runs on
};

// The command of `pid_file` while its group still lives (or runs on another host, which this
// process cannot check); nullopt when there is no such file (or it is not written whole yet),
// or when its group has ended, in which case the stale file is removed.
std::optional<LiveCommand> live_command_in(const std::string& pid_file);

// How long a command may take to end after a forwarded signal before its group gets SIGKILL.
inline constexpr double kForwardGraceSeconds = 10.0;

// Sends `signal` to the process group of every command run_shell is running now, and to every
// one it starts from now on. Async-signal-safe (it only reads lock-free atomics and calls
// kill), so that a signal handler may call it.
void forward_signal_to_children(int signal);

// The signal forward_signal_to_children forwarded last, 0 if none: run_shell starts no command
// in peace after one. reset_forwarded_signal() clears it (tests, and a new run in the same
// process).
int forwarded_signal();
void reset_forwarded_signal();

// Whether a process of process group `group` lives (a zombie, which no parent has reaped yet,
// does not count). Reads /proc where there is one; elsewhere asks kill(-group, 0).
bool process_group_lives(int group);

// The number of commands running now (in the registry). For tests.
int live_children();

}  // namespace madlab
