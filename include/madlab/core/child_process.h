#pragma once
// Running another program: a shell command in its own process group, with its output in files
// and a time limit that kills the whole group (a command's children included). Used by the
// external model families (models/external.h), whose fit and sample steps are user commands.

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
// timeout_s seconds (0 = no limit). Waits for the command; never throws.
ShellResult run_shell(const std::string& command, const std::string& out_path,
                      const std::string& err_path, double timeout_s);

}  // namespace madlab
