#include "madlab/report/figures.h"

#include <fmt/core.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "madlab/core/error.h"
#include "madlab/core/safe_file_name.h"

namespace madlab {

namespace {

namespace fs = std::filesystem;

// The first executable `name` on PATH, or "".
std::string find_on_path(const std::string& name) {
    const char* path = std::getenv("PATH");
    if (path == nullptr) return "";
    std::string dirs = path;
    std::size_t begin = 0;
    while (begin <= dirs.size()) {
        const std::size_t end = std::min(dirs.find(':', begin), dirs.size());
        const fs::path candidate = fs::path(dirs.substr(begin, end - begin)) / name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
        begin = end + 1;
    }
    return "";
}

// Runs `argv` and waits; returns its exit code (-1 when it could not run or was killed).
int run_program(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A file in the system's temporary folder, removed with this object.
class TemporaryFile {
public:
    explicit TemporaryFile(const std::string& content) {
        std::string name = (fs::temp_directory_path() / "madlab-figures-XXXXXX").string();
        const int fd = ::mkstemp(name.data());
        if (fd < 0)
            throw Error(fmt::format("cannot create a temporary file in {}: {}",
                                    fs::temp_directory_path().string(), std::strerror(errno)));
        path_ = name;
        std::size_t done = 0;
        while (done < content.size()) {
            const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                ::close(fd);
                std::remove(path_.c_str());
                throw Error(fmt::format("cannot write {}: {}", path_, std::strerror(errno)));
            }
            done += static_cast<std::size_t>(n);
        }
        ::close(fd);
    }
    ~TemporaryFile() { std::remove(path_.c_str()); }
    TemporaryFile(const TemporaryFile&) = delete;
    TemporaryFile& operator=(const TemporaryFile&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

}  // namespace

std::string report_scripts_dir() {
    if (const char* dir = std::getenv("MADLAB_REPORT_DIR"); dir != nullptr && *dir != '\0')
        return dir;
    return MADLAB_REPORT_SOURCE_DIR;
}

std::vector<std::string> write_figures(const StudyFolder& folder, const std::string& fig_dir,
                                       const ReportOptions& options,
                                       const FigureOptions& figure_options) {
    const fs::path scripts = report_scripts_dir();
    const fs::path script = scripts / "figures.mjs";
    if (!fs::exists(script))
        throw Error(
            fmt::format("--figures needs {}; set MADLAB_REPORT_DIR to the report/ "
                        "folder of madlab's source tree",
                        script.string()));
    if (!fs::exists(scripts / "node_modules" / "vega-lite"))
        throw Error(
            fmt::format("--figures needs the npm packages of {}: run `bash "
                        "scripts/install-deps.sh` (or `npm ci` in that folder)",
                        scripts.string()));
    const std::string node = find_on_path("node");
    if (node.empty())
        throw Error(
            "--figures needs node (Debian: apt-get install nodejs npm, or bash "
            "scripts/install-deps.sh)");

    std::error_code ec;
    fs::create_directories(fig_dir, ec);
    if (ec) throw Error(fmt::format("cannot create figure folder '{}': {}", fig_dir, ec.message()));
    nlohmann::json list = nlohmann::json::array();
    std::vector<std::string> ids;
    // A printed sample grid needs fewer points than the page's zoomable one, and they make most
    // of node's time and memory (every cell repeats the real points).
    ReportOptions figure_report = options;
    figure_report.max_points = std::min(options.max_points, figure_options.max_sample_points);
    for (const auto& v : figure_views(folder, figure_report)) {
        // figures.mjs names the files <id>.svg and <id>.png: a safe file name, since ids carry
        // metric names read from summary.json, a file that may come from anyone ("metric-/../x").
        const std::string file = safe_file_name(v.id);
        list.push_back({{"id", file}, {"title", v.title}, {"spec", v.spec}});
        ids.push_back(file);
    }
    // The specs go to a temporary file that is removed when the script is done: they are
    // input, not a figure (megabytes of sample points).
    const TemporaryFile specs(list.dump() + "\n");

    std::vector<std::string> argv = {node, script.string(), specs.path(), fig_dir,
                                     fmt::format("--scale={}", figure_options.png_scale)};
    if (!figure_options.png) argv.push_back("--svg-only");
    const int code = run_program(argv);
    if (code == 3)
        throw Error(
            "the SVG figures are written, but PNG needs Debian's chromium (apt-get install "
            "chromium, or set MADLAB_CHROMIUM to a chromium binary)");
    if (code != 0)
        throw Error(fmt::format("`node {}` failed (exit code {}); its message is above",
                                script.string(), code));
    return ids;
}

}  // namespace madlab
