#include "madlab/core/parallel.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace madlab {

int resolve_threads(int threads) {
    if (threads > 0) return threads;
    const unsigned hw = std::thread::hardware_concurrency();
    return hw == 0 ? 1 : static_cast<int>(hw);
}

void parallel_for(std::size_t n, int threads, const std::function<void(std::size_t)>& task) {
    if (n == 0) return;
    const std::size_t workers = std::min<std::size_t>(resolve_threads(threads), n);
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex error_mutex;
    std::size_t error_index = n;
    std::exception_ptr error;

    auto work = [&] {
        for (;;) {
            if (failed.load()) return;
            const std::size_t i = next.fetch_add(1);
            if (i >= n) return;
            try {
                task(i);
            } catch (...) {
                std::lock_guard<std::mutex> lock(error_mutex);
                if (i < error_index) {
                    error_index = i;
                    error = std::current_exception();
                }
                failed.store(true);
            }
        }
    };
    if (workers == 1) {
        work();
    } else {
        std::vector<std::thread> pool;
        pool.reserve(workers - 1);
        for (std::size_t w = 0; w + 1 < workers; ++w) {
            // A thread the system cannot start (too many threads) is not needed: the tasks go to
            // the threads that did start, and no result depends on how many those are.
            try {
                pool.emplace_back(work);
            } catch (const std::system_error&) {
                break;
            }
        }
        work();
        for (auto& t : pool) t.join();
    }
    if (error) std::rethrow_exception(error);
}

}  // namespace madlab
