#pragma once
// Shared by the libFuzzer targets of tests/fuzz: the readers take file paths, so each input is
// written to a scratch file of this process first.
//
// Contract of every target: a reader may reject any input with a madlab::Error (DataError,
// ConfigError: the messages users see), and must do nothing else wrong: no other exception, no
// sanitizer report, no crash, no hang, no allocation beyond libFuzzer's -rss_limit_mb.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace madlab::fuzz {

// A file in the temporary folder private to this process, ending in `suffix` (the readers
// choose their format by name: ".jsonl", ".fortunes"...), holding `size` bytes from `data`.
inline std::string write_input(const std::uint8_t* data, std::size_t size,
                               const std::string& suffix) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("madlab-fuzz-" + std::to_string(::getpid()) + suffix);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    out.close();
    return path.string();
}

inline std::string as_string(const std::uint8_t* data, std::size_t size) {
    return std::string(reinterpret_cast<const char*>(data), size);
}

}  // namespace madlab::fuzz
