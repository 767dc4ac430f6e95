#include "madlab/core/progress.h"

#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>

namespace madlab {

Progress::Progress(std::size_t total, std::string label, bool enabled)
    : total_(total),
      label_(std::move(label)),
      active_(enabled && isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() {
    if (!finished_) finish();
}

void Progress::advance(std::size_t units) {
    if (!active_) return;
    std::lock_guard<std::mutex> lock(mutex_);
    done_ += units;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_draw_ > std::chrono::milliseconds(100)) {
        last_draw_ = now;
        draw(false);
    }
}

void Progress::finish() {
    if (!active_ || finished_) return;
    std::lock_guard<std::mutex> lock(mutex_);
    finished_ = true;
    draw(true);
    std::fputc('\n', stderr);
}

void Progress::draw(bool final) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double fraction = total_ == 0 ? 1.0 : static_cast<double>(done_) / total_;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    std::string bar(filled, '#');
    bar.resize(kWidth, '.');
    std::string eta = "--";
    if (final) {
        eta = fmt::format("done in {:.1f}s", elapsed);
    } else if (done_ > 0) {
        eta = fmt::format("ETA {:.0f}s", elapsed * (1.0 - fraction) / fraction);
    }
    fmt::print(stderr, "\r{} [{}] {}/{} {}   ", label_, bar, done_, total_, eta);
    std::fflush(stderr);
}

}  // namespace madlab
