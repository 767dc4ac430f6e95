#include "madlab/core/atomic_file.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "madlab/core/error.h"

namespace madlab {

void write_file_atomically(const std::string& path, const std::string& content) {
    write_file_atomically(path, [&](std::ostream& out) {
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
    });
}

void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write) {
    const std::string temporary = fmt::format("{}.tmp.{}", path, static_cast<long>(getpid()));
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out)
        throw Error(
            fmt::format("cannot write '{}': {}; check that the folder exists and is writable", path,
                        std::strerror(errno)));
    try {
        write(out);
    } catch (...) {
        out.close();
        std::remove(temporary.c_str());
        throw;
    }
    out.close();
    if (!out) {
        std::remove(temporary.c_str());
        throw Error(fmt::format("cannot write '{}': the write failed (is the disk full?)", path));
    }
    // The data on disk before the rename, so that a crash never leaves a truncated target.
    const int fd = ::open(temporary.c_str(), O_WRONLY);
    int error = fd < 0 ? errno : 0;
    if (fd >= 0) {
        if (::fsync(fd) != 0) error = errno;
        if (::close(fd) != 0 && error == 0) error = errno;
    }
    if (error != 0) {
        std::remove(temporary.c_str());
        throw Error(fmt::format("cannot write '{}': {}", path, std::strerror(error)));
    }
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
        const int error = errno;
        std::remove(temporary.c_str());
        throw Error(fmt::format("cannot move '{}' into place: {}", path, std::strerror(error)));
    }
}

}  // namespace madlab
