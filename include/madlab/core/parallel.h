#pragma once
// Runs independent tasks on a fixed number of threads.

#include <cstddef>
#include <functional>

namespace madlab {

// Number of threads to use for a `threads` setting: 0 means all hardware threads.
int resolve_threads(int threads);

// Calls task(i) for every i in [0, n), on min(threads, n) threads (0 = all cores). Tasks are
// handed out in index order from a shared counter, so the caller must make each task's result
// independent of which thread runs it. If tasks throw, the remaining tasks are skipped and the
// exception of the lowest-numbered failing task is rethrown after every thread has joined.
void parallel_for(std::size_t n, int threads, const std::function<void(std::size_t)>& task);

}  // namespace madlab
