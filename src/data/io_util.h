#pragma once
// File helpers shared by the readers of src/data (not a public header).

#include <cstdio>
#include <memory>
#include <string>

namespace madlab::detail {

struct FileCloser {
    void operator()(std::FILE* f) const {
        if (f) std::fclose(f);
    }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

// Opens `path` for binary reading. Throws DataError naming the path and the reason (no such
// file, permission denied, is a directory).
FilePtr open_for_reading(const std::string& path);

}  // namespace madlab::detail
