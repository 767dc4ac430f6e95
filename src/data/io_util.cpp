#include "io_util.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "madlab/core/error.h"

namespace madlab::detail {

FilePtr open_for_reading(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        throw DataError(
            fmt::format("cannot read data file '{}': it is a directory; give the path "
                        "of a file",
                        path));
    }
    FilePtr file(std::fopen(path.c_str(), "rb"));
    if (!file) {
        const int err = errno;
        throw DataError(fmt::format("cannot read data file '{}': {}; check the path", path,
                                    std::strerror(err)));
    }
    return file;
}

}  // namespace madlab::detail
