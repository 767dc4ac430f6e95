#pragma once
// Where run_study runs its chains. Without a dispatcher (RunOptions::dispatcher) run_study runs
// every chain on its own threads; a dispatcher may share them with other processes
// (cluster/mpi_executor.h runs them across MPI ranks). The records do not depend on where a
// chain ran: a chain's results depend only on its setting and seed.

#include <cstddef>
#include <functional>
#include <vector>

#include "madlab/core/progress.h"
#include "madlab/store/generation_writer.h"
#include "madlab/store/results_db.h"
#include "madlab/study/study_runner.h"

namespace madlab {

// What run_study hands a dispatcher: the chains to run and where their generations go.
struct ChainRun {
    const StudyConfig& study;
    // Chain i is setting i / study.seeds, seed index i % study.seeds (seed first_seed + that).
    std::size_t chains = 0;
    // The chains to run, a subset of 0 .. chains - 1 in increasing order (all of them, or
    // RunOptions::shard's).
    const std::vector<std::size_t>& order;
    int threads = 1;  // this process's threads for chains (resolved, >= 1)
    // Runs chain i on the calling thread to its last generation: resumes from the database's
    // checkpoint, commits every generation through `writer` and advances `progress`. Throws what
    // the chain throws (Interrupted once RunOptions::stop is set).
    const std::function<void(std::size_t)>& run_here;
    ResultsDb& db;
    const StudyIds& ids;  // chain i's id is ids.chain_ids[i / seeds][i % seeds]
    GenerationWriter& writer;
    Progress& progress;  // study.generations + 1 units per chain
};

class ChainDispatcher {
public:
    virtual ~ChainDispatcher() = default;
    // Runs every chain of `run.order` exactly once to its last generation, here (run.run_here) or
    // elsewhere; the generations of chains run elsewhere are pushed to run.writer (with their
    // chain ids) and counted on run.progress. Returns when every chain is done; throws the
    // first failure once every thread it started has stopped.
    virtual void run_chains(const ChainRun& run) = 0;
};

}  // namespace madlab
