#pragma once
// Helpers for the end-to-end tests: run the madlab binary and read the files it writes.

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace madlab::testing {

struct CliResult {
    int exit_code;
    std::string output;  // stdout, and stderr unless left out
};

// Runs `madlab ARGUMENTS` through the shell and waits for it.
inline CliResult run_madlab(const std::string& arguments, bool with_stderr = true) {
    const std::string command =
        std::string(MADLAB_BINARY) + " " + arguments + (with_stderr ? " 2>&1" : " 2>/dev/null");
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

}  // namespace madlab::testing
