#pragma once
// This process's place in an MPI run: whether an MPI launcher started it, MPI's start and end
// (one MpiContext, in main), its rank, the number of ranks and how many share its node.
// A process that no launcher started never initialises MPI: a plain `madlab run` pays nothing.

#include <exception>
#include <string>

namespace madlab {

// Whether an MPI launcher (mpirun, mpiexec, srun) started this process: its environment has
// OMPI_COMM_WORLD_SIZE (Open MPI's mpirun), PMIX_RANK (PMIx: Open MPI, srun --mpi=pmix) or
// PMI_RANK (PMI: MPICH, srun --mpi=pmi2).
bool launched_by_mpi_launcher();

struct MpiWorld {
    bool active = false;  // MPI is initialised in this process
    int rank = 0;
    int size = 1;
    int local_size = 1;  // ranks on this node (MPI_COMM_TYPE_SHARED), this one included
};

// The world of this process's MpiContext; inactive, rank 0 of 1, when there is none.
const MpiWorld& mpi_world();

// Rank > 0 of a run of several ranks: runs chains for rank 0 and writes nothing.
bool is_mpi_worker();

// The chain threads of this rank for a thread setting `requested` (RunOptions::threads as
// resolved from the command line and the study, >= 0): `requested` when > 0; for 0 (all cores)
// the node's cores divided by the ranks on the node, at least 1.
int threads_per_rank(int requested);

// Starts MPI (MPI_Init_thread, MPI_THREAD_FUNNELED: only the main thread of a rank calls MPI)
// when a launcher started the process, and calls MPI_Finalize when destroyed. Construct one, in
// main, before anything else; errors of MPI calls are returned, not fatal, so that a rank can
// say what happened when another one dies.
class MpiContext {
public:
    MpiContext(int& argc, char**& argv);
    ~MpiContext();
    MpiContext(const MpiContext&) = delete;
    MpiContext& operator=(const MpiContext&) = delete;

    // Empty when the process can go on; otherwise why it cannot (a launcher started a madlab
    // built without MPI, or MPI failed to start): print it and exit 1.
    const std::string& error() const { return error_; }

private:
    std::string error_;
    bool initialized_ = false;
};

// Marks the run as broken (a rank died, a signal stopped it): MpiContext then skips
// MPI_Finalize, which would wait for ranks that are gone, and the process just exits.
void mark_mpi_peers_lost();

// Thrown to end the process with `code` and no message of its own: a worker rank ending with
// rank 0's exit code (rank 0 prints why), or rank 0 after it printed why the run stopped.
class RankExit : public std::exception {
public:
    explicit RankExit(int code) : code_(code) {}
    int code() const { return code_; }
    const char* what() const noexcept override { return "madlab rank exit"; }

private:
    int code_;
};

}  // namespace madlab
