#pragma once
// A progress bar with an ETA on stderr, drawn only when stderr is a terminal.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>

namespace madlab {

class Progress {
public:
    // total: the number of units of work (e.g. generations over all chains). The bar is drawn
    // only if `enabled` and stderr is a terminal.
    Progress(std::size_t total, std::string label, bool enabled = true);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    // Records `units` finished units; thread-safe. Redraws at most ten times a second.
    void advance(std::size_t units = 1);
    // Draws the final state and ends the line.
    void finish();

private:
    void draw(bool final);

    std::size_t total_;
    std::size_t done_ = 0;
    std::string label_;
    bool active_;
    bool finished_ = false;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_;
    std::mutex mutex_;
};

}  // namespace madlab
