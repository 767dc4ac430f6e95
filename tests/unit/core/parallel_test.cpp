#include "madlab/core/parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

namespace madlab {
namespace {

TEST(ParallelFor, RunsEveryIndexExactlyOnce) {
    for (int threads : {1, 2, 4, 0}) {
        std::vector<std::atomic<int>> hits(1000);
        parallel_for(hits.size(), threads, [&](std::size_t i) { hits[i]++; });
        for (auto& h : hits) EXPECT_EQ(h.load(), 1);
    }
}

TEST(ParallelFor, RethrowsTheLowestFailingTask) {
    EXPECT_THROW(parallel_for(10, 1,
                              [](std::size_t i) {
                                  if (i == 3) throw std::runtime_error("task 3");
                              }),
                 std::runtime_error);
    try {
        parallel_for(4, 2, [](std::size_t i) { throw std::runtime_error(std::to_string(i)); });
        FAIL() << "expected an exception";
    } catch (const std::runtime_error& e) {
        // With 2 workers the lowest index that ran is 0 or 1; never a later one.
        EXPECT_TRUE(std::string(e.what()) == "0" || std::string(e.what()) == "1");
    }
}

TEST(ParallelFor, ZeroTasksIsANoOp) {
    parallel_for(0, 4, [](std::size_t) { FAIL(); });
}

TEST(ResolveThreads, ZeroMeansAllCores) {
    EXPECT_GE(resolve_threads(0), 1);
    EXPECT_EQ(resolve_threads(3), 3);
}

}  // namespace
}  // namespace madlab
