#include "madlab/core/atomic_file.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <streambuf>

#include "madlab/core/error.h"

namespace madlab {

namespace {

namespace fs = std::filesystem;

// How many names "<path>.tmp.<pid>[.<k>]" a write tries before it gives up.
constexpr int kTemporaryNames = 100;

// A new temporary file for `path`: its descriptor, its name in `temporary`. Throws Error
// naming `path` when none can be created.
int create_temporary(const std::string& path, std::string& temporary) {
    const std::string stem = fmt::format("{}.tmp.{}", path, static_cast<long>(::getpid()));
    for (int k = 0; k < kTemporaryNames; ++k) {
        temporary = k == 0 ? stem : fmt::format("{}.{}", stem, k);
        const int fd =
            ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd >= 0) return fd;
        if (errno != EEXIST)
            throw Error(
                fmt::format("cannot write '{}': {}; check that the folder exists and is writable",
                            path, std::strerror(errno)));
    }
    throw Error(fmt::format(
        "cannot write '{}': {}.tmp.{} to {}.tmp.{}.{} all exist; remove the leftover temporary "
        "files next to it",
        path, path, static_cast<long>(::getpid()), path, static_cast<long>(::getpid()),
        kTemporaryNames - 1));
}

// An output stream buffer over a file descriptor (std::ofstream cannot open with O_EXCL).
class DescriptorBuffer : public std::streambuf {
public:
    explicit DescriptorBuffer(int fd) : fd_(fd), buffer_(1 << 16) {
        setp(buffer_.data(), buffer_.data() + buffer_.size());
    }
    // errno of the first write that failed; 0 when none did.
    int error() const { return error_; }

protected:
    int_type overflow(int_type c) override {
        if (!drain()) return traits_type::eof();
        if (!traits_type::eq_int_type(c, traits_type::eof())) {
            *pptr() = traits_type::to_char_type(c);
            pbump(1);
        }
        return traits_type::not_eof(c);
    }
    int sync() override { return drain() ? 0 : -1; }

private:
    // Writes the buffered bytes; false (and error_ set) when a write fails.
    bool drain() {
        const char* p = pbase();
        while (p < pptr()) {
            const ssize_t n = ::write(fd_, p, static_cast<std::size_t>(pptr() - p));
            if (n < 0) {
                if (errno == EINTR) continue;
                if (error_ == 0) error_ = errno;
                return false;
            }
            p += n;
        }
        setp(buffer_.data(), buffer_.data() + buffer_.size());
        return true;
    }

    int fd_;
    int error_ = 0;
    std::vector<char> buffer_;
};

// Flushes the folder of `path` to disk, so that a rename into it survives a crash. 0 or errno;
// a file system that cannot flush folders (EINVAL, ENOTSUP) counts as done.
int sync_folder_of(const std::string& path) {
    std::string folder = fs::path(path).parent_path().string();
    if (folder.empty()) folder = ".";
    const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno;
    int error = ::fsync(fd) != 0 ? errno : 0;
    if (error == EINVAL || error == ENOTSUP) error = 0;
    ::close(fd);
    return error;
}

// The pid in a temporary's name "<name>.tmp.<pid>" or "<name>.tmp.<pid>.<k>"; nullopt for any
// other name.
std::optional<pid_t> temporary_pid(const std::string& file_name) {
    const std::size_t at = file_name.rfind(".tmp.");
    if (at == std::string::npos || at == 0) return std::nullopt;
    const char* begin = file_name.data() + at + 5;
    const char* end = file_name.data() + file_name.size();
    long pid = 0;
    const auto [rest, ec] = std::from_chars(begin, end, pid);
    if (ec != std::errc() || rest == begin || *begin == '-' || pid <= 0 ||
        pid > std::numeric_limits<pid_t>::max())
        return std::nullopt;
    if (rest != end) {  // ".<k>"
        if (*rest != '.' || rest + 1 == end) return std::nullopt;
        for (const char* p = rest + 1; p < end; ++p)
            if (*p < '0' || *p > '9') return std::nullopt;
    }
    return static_cast<pid_t>(pid);
}

// Whether process `pid` exists on this machine (EPERM: it does, owned by someone else).
bool process_running(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

}  // namespace

void write_file_atomically(const std::string& path, const std::string& content) {
    write_file_atomically(path, [&](std::ostream& out) {
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
    });
}

void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write) {
    std::string temporary;
    const int fd = create_temporary(path, temporary);
    auto discard = [&] {
        ::close(fd);
        ::unlink(temporary.c_str());
    };
    DescriptorBuffer buffer(fd);
    std::ostream out(&buffer);
    try {
        write(out);
    } catch (...) {
        discard();
        throw;
    }
    out.flush();
    if (!out || buffer.error() != 0) {
        const int error = buffer.error();
        discard();
        throw Error(fmt::format("cannot write '{}': the write failed ({}; is the disk full?)", path,
                                error != 0 ? std::strerror(error) : "stream error"));
    }
    // The data on disk before the rename, so that a crash never leaves a truncated target.
    int error = ::fsync(fd) != 0 ? errno : 0;
    if (::close(fd) != 0 && error == 0) error = errno;
    if (error != 0) {
        ::unlink(temporary.c_str());
        throw Error(fmt::format("cannot write '{}': {}", path, std::strerror(error)));
    }
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
        const int rename_error = errno;
        ::unlink(temporary.c_str());
        throw Error(
            fmt::format("cannot move '{}' into place: {}", path, std::strerror(rename_error)));
    }
    if (const int sync_error = sync_folder_of(path); sync_error != 0)
        throw Error(fmt::format("'{}' is written, but its folder could not be flushed to disk: {}",
                                path, std::strerror(sync_error)));
}

std::vector<std::string> remove_stale_temporaries(const std::string& folder) {
    std::vector<std::string> removed;
    std::error_code ec;
    fs::recursive_directory_iterator it(folder, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const fs::path& path = it->path();
        const auto pid = temporary_pid(path.filename().string());
        if (!pid || process_running(*pid)) continue;
        std::error_code type_error;
        const fs::file_type type = it->symlink_status(type_error).type();
        if (type_error || (type != fs::file_type::regular && type != fs::file_type::symlink))
            continue;
        std::error_code remove_error;
        if (fs::remove(path, remove_error)) removed.push_back(path.string());
    }
    return removed;
}

}  // namespace madlab
