#pragma once
// Runs a study's chains across the ranks of an MPI run (`mpirun -np N madlab run STUDY.toml`,
// or `srun madlab run ...` under Slurm); docs/cluster.md is the user's side.
//
// Rank 0 owns the database and every output file (SQLite's locking is not safe on network file
// systems, so there is one writer). It checks the inputs and registers (or, resuming, finds) the
// study as a single process does, then broadcasts the resolved config, the output folder and the
// thread setting (MpiCoordinator::start), or, when it failed before that, only its exit code
// (abort), with which every worker then exits silently. Every rank runs chains on its own
// threads. A worker keeps up to threads + 1 chains in hand, asking rank 0 for the next while it
// runs the current ones; rank 0 answers with a chain and its committed checkpoint (a resumed
// chain continues where it was) or "no more", and commits every generation a worker sends back
// through its GenerationWriter, exactly as its own chains' (doubles as raw bits,
// cluster/chain_messages.h), so the records equal a single process's.
//
// Only the main thread of a rank calls MPI (MPI_THREAD_FUNNELED); it polls with MPI_Iprobe and
// MPI_Test and sleeps 200 us between rounds instead of spinning in a blocking call, which would
// take a core from the chains.
//
// When a rank dies, mpirun sends the others SIGCONT, one second later SIGTERM, then SIGKILL
// (Open MPI's odls_base_sigkill_timeout; in practice the SIGKILL follows the SIGTERM within
// milliseconds). On the first of these (SIGCONT under mpirun, SIGTERM or SIGINT under any
// launcher) rank 0 prints at once what happened, how many generations are committed and the
// --resume command, marks the study failed, stops its chains after their current generation and
// lets its writer commit what it holds; a commit that SIGKILL interrupts is rolled back by
// SQLite, and what was committed stays.

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "madlab/cluster/chain_messages.h"
#include "madlab/study/chain_dispatcher.h"

namespace madlab {

class MpiMailbox;  // src/cluster/mpi_executor.cpp

// Rank 0's side of an MPI run.
class MpiCoordinator : public ChainDispatcher {
public:
    // The coordinator of rank 0 of a run of several ranks; null anywhere else (no MPI, one rank,
    // a worker rank).
    static std::unique_ptr<MpiCoordinator> create();
    // When start was called but the chains did not run to their end (rank 0 failed), stops the
    // workers (kStop, kBye with exit code 1). Before start it does nothing: the workers wait for
    // the study until the program's main ends them with abort_mpi_run(its exit code).
    ~MpiCoordinator() override;

    // Broadcasts the study to run (setup.exit_code 0). `setup.threads`: the thread setting
    // (>= 0); every rank resolves it with threads_per_rank.
    void start(const StudySetup& setup);
    // Points `run` at this coordinator: dispatcher, rank 0's threads and its stop flag (set by a
    // failure on any rank and by SIGTERM / SIGINT).
    void configure(RunOptions& run);

    void run_chains(const ChainRun& run) override;

private:
    MpiCoordinator();
    void broadcast(const StudySetup& setup);
    void release_workers() noexcept;

    std::unique_ptr<MpiMailbox> mailbox_;
    StudySetup setup_;
    bool broadcast_done_ = false;
    bool released_ = false;
    std::vector<bool> worker_done_;  // by rank; [0] unused
    std::atomic<bool> stop_{false};
};

// On rank 0 of a run of several ranks whose study was never broadcast (rank 0 failed before
// MpiCoordinator::start: reading STUDY.toml, checking the inputs, creating the folder): the
// workers, waiting for it, exit with `exit_code` (1 if 0 is given) and no message. Does nothing
// on other ranks, without MPI, or once the study was broadcast. main calls it after `run`.
void abort_mpi_run(int exit_code);

// A worker rank's `madlab run` or `madlab run --resume`: receives rank 0's setup, runs the
// chains rank 0 hands out until there are no more, and returns the exit code rank 0 gives it
// (0, or the code of rank 0's failure). Writes nothing and prints nothing: a worker's failure
// goes to rank 0, which reports it.
int run_mpi_worker();

}  // namespace madlab
