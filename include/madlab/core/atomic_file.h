#pragma once
// Output files appear whole or not at all: content goes to a temporary file in the same folder,
// is flushed to disk, and is renamed over the target (rename is atomic on POSIX file systems).

#include <functional>
#include <ostream>
#include <string>

namespace madlab {

// Writes `content` to `path` atomically. Throws Error naming the path if any step fails; the
// target is then untouched and the temporary file removed.
void write_file_atomically(const std::string& path, const std::string& content);

// The same for content too large to hold in memory (an ARPA file): `write` streams it to the
// temporary file. An exception from `write` is passed on after the temporary file is removed.
void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write);

}  // namespace madlab
