#pragma once
// Output files appear whole or not at all: content goes to a temporary file in the same folder,
// is flushed to disk, and is renamed over the target (rename is atomic on POSIX file systems).

#include <string>

namespace madlab {

// Writes `content` to `path` atomically. Throws Error naming the path if any step fails; the
// target is then untouched and the temporary file removed.
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace madlab
