#include "madlab/cluster/mpi_context.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

#ifdef MADLAB_HAVE_MPI
#include <mpi.h>
#endif

namespace madlab {

namespace {

MpiWorld g_world;
bool g_peers_lost = false;

}  // namespace

bool launched_by_mpi_launcher() {
    return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMIX_RANK") != nullptr ||
           std::getenv("PMI_RANK") != nullptr;
}

const MpiWorld& mpi_world() { return g_world; }

bool is_mpi_worker() { return g_world.size > 1 && g_world.rank > 0; }

int threads_per_rank(int requested) {
    if (requested > 0) return requested;
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    return std::max(1, cores / std::max(1, g_world.local_size));
}

void mark_mpi_peers_lost() { g_peers_lost = true; }

#ifdef MADLAB_HAVE_MPI

MpiContext::MpiContext(int& argc, char**& argv) {
    if (!launched_by_mpi_launcher()) return;
    // Open MPI's shared-memory transport reads a large message straight from the sender's
    // memory (CMA); when the sender has just died, the reader aborts with "Read -1, expected N,
    // errno = 3" before it can say anything, and rank 0 must be able to report a dead rank.
    // Copying through shared memory costs nothing measurable for the messages of a study. An
    // explicit setting of the user's wins.
    setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 0);
    int provided = 0;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        error_ = "MPI_Init_thread failed; run madlab without mpirun/srun, or check the MPI setup";
        return;
    }
    initialized_ = true;
    if (provided < MPI_THREAD_FUNNELED) {
        error_ = "the MPI library does not support threads (MPI_THREAD_FUNNELED)";
        return;
    }
    // A failed call returns its error (a rank died): the caller says what happened and how to
    // continue, instead of MPI aborting every rank with its own message.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &g_world.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_world.size);
    MPI_Comm node;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) ==
        MPI_SUCCESS) {
        MPI_Comm_size(node, &g_world.local_size);
        MPI_Comm_free(&node);
    }
    g_world.active = true;
}

MpiContext::~MpiContext() {
    if (initialized_ && !g_peers_lost) MPI_Finalize();
    g_world = MpiWorld{};
}

#else  // built without MPI

MpiContext::MpiContext(int& /*argc*/, char**& /*argv*/) {
    if (!launched_by_mpi_launcher()) return;
    // One rank of an MPI job of one rank can run as a plain process.
    const char* size = std::getenv("OMPI_COMM_WORLD_SIZE");
    if (size == nullptr) size = std::getenv("PMI_SIZE");
    if (size != nullptr && std::string(size) == "1") return;
    error_ =
        "this madlab was built without MPI, so it cannot run under mpirun or srun: install "
        "libopenmpi-dev and configure with -DMADLAB_MPI=ON, or run madlab without a launcher";
}

MpiContext::~MpiContext() = default;

#endif

}  // namespace madlab
