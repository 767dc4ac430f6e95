#include "madlab/store/atomic_file.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "madlab/core/error.h"

namespace madlab {

void write_file_atomically(const std::string& path, const std::string& content) {
    const std::string temporary = fmt::format("{}.tmp.{}", path, static_cast<long>(getpid()));
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        throw Error(
            fmt::format("cannot write '{}': {}; check that the folder exists and is writable", path,
                        std::strerror(errno)));
    std::size_t written = 0;
    while (written < content.size()) {
        const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
        if (n < 0) {
            if (errno == EINTR) continue;
            const int error = errno;
            ::close(fd);
            std::remove(temporary.c_str());
            throw Error(fmt::format("cannot write '{}': {}", path, std::strerror(error)));
        }
        written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        const int error = errno;
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
