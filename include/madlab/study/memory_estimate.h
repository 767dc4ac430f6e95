#pragma once
// The peak memory of a study, estimated from its config before anything is built, so that a
// study that cannot fit is refused with the key to change (exit 2) instead of failing with
// std::bad_alloc halfway through (schedule.n = 1e12, source.dim = 100000).
//
// The estimate adds, per setting, what every chain holds at once (its training set, which under
// accumulate grows to every generation's rows; the model's samples for the metrics; the held-out
// set; the model and the metrics' working memory) times the chains that run at once (threads),
// what the settings share (a Gaussian source's d x d covariance and its factors), and the
// records the report reads back (generations 0 and last; the others stream to the database and
// never come back into memory together). It is an upper estimate of the terms that grow with the
// config's sizes, not an account of every allocation: a few hundred MB of code, tables and
// buffers come on top, and data read from files is bounded by the files (check_study_inputs
// checks those sizes once the files are read).

#include <string>
#include <vector>

#include "madlab/study/study_config.h"

namespace madlab {

struct MemoryTerm {
    std::string key;      // the config key that scales it ("schedule.n", "source.dim")
    std::string setting;  // the setting it belongs to ("" for the whole study)
    std::string what;     // what it holds, for the message
    double bytes = 0.0;
};

struct MemoryEstimate {
    double bytes = 0.0;             // the peak
    std::vector<MemoryTerm> terms;  // what it is made of, largest first (per-chain terms
                                    // already multiplied by the chains that run at once)
};

// The estimate for `study` run on `threads` threads (0 = every core, -1 = study.threads).
MemoryEstimate estimate_memory(const StudyConfig& study, int threads = -1);

// The memory the process can use: MemAvailable of /proc/meminfo, else the physical memory.
double available_memory_bytes();

// "1.5 GB", "80 TB": bytes in decimal units, two or three significant digits.
std::string format_bytes(double bytes);

// Throws ConfigError when the estimate exceeds `available` bytes, naming the largest term's key,
// setting and size, the estimate and how to lower it.
void check_memory(const StudyConfig& study, int threads, double available);

}  // namespace madlab
