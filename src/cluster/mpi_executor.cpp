#include "madlab/cluster/mpi_executor.h"

#include <fmt/core.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "madlab/cluster/mpi_context.h"
#include "madlab/core/child_process.h"
#include "madlab/core/error.h"
#include "madlab/store/results_db.h"
#include "madlab/study/study_config.h"

#ifdef MADLAB_HAVE_MPI
#include <mpi.h>
#endif

namespace madlab {

#ifdef MADLAB_HAVE_MPI

namespace {

constexpr int kTagToCoordinator = 71;
constexpr int kTagToWorker = 72;
constexpr auto kPollPause = std::chrono::microseconds(200);
constexpr auto kGenerationsPause = std::chrono::milliseconds(5);  // a worker's sends of them

// A failed MPI call: most likely another rank died.
class MpiFailure : public Error {
public:
    using Error::Error;
};

void check(int rc, const char* call) {
    if (rc == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(rc, text, &length);
    throw MpiFailure(fmt::format("{} failed: {}", call, std::string(text, length)));
}

std::string processor_name() {
    char name[MPI_MAX_PROCESSOR_NAME];
    int length = 0;
    if (MPI_Get_processor_name(name, &length) != MPI_SUCCESS) return "?";
    return std::string(name, length);
}

// Waits for a nonblocking operation without spinning a core.
void wait_polling(MPI_Request& request, const char* call) {
    for (;;) {
        int done = 0;
        check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), call);
        if (done) return;
        std::this_thread::sleep_for(kPollPause);
    }
}

// The setup from rank 0 to all: its length (an i64), then its bytes, each by MPI_Ibcast.
void broadcast_bytes(std::string& bytes) {
    std::int64_t length = static_cast<std::int64_t>(bytes.size());
    MPI_Request request;
    check(MPI_Ibcast(&length, 1, MPI_INT64_T, 0, MPI_COMM_WORLD, &request), "MPI_Ibcast");
    wait_polling(request, "MPI_Ibcast");
    if (length > INT32_MAX)
        throw Error(
            fmt::format("the study's config is {} bytes, more than MPI sends at once", length));
    bytes.resize(static_cast<std::size_t>(length));
    check(MPI_Ibcast(bytes.data(), static_cast<int>(length), MPI_BYTE, 0, MPI_COMM_WORLD, &request),
          "MPI_Ibcast");
    wait_polling(request, "MPI_Ibcast");
}

}  // namespace

// Sends and receives byte messages without blocking: sends are started with MPI_Isend and keep
// their bytes until MPI_Test says they are done; receives probe, then wait for the whole message
// polling MPI_Test, since a sender that dies halfway never completes it and a blocking receive
// would then hang past mpirun's SIGTERM.
class MpiMailbox {
public:
    // `give_up`: asked while a receive waits; when it returns true the receive throws
    // MpiFailure.
    explicit MpiMailbox(std::function<bool()> give_up = [] { return false; })
        : give_up_(std::move(give_up)) {}

    void send(int to, int tag, std::string bytes) {
        if (bytes.size() > static_cast<std::size_t>(INT32_MAX))
            throw Error(
                fmt::format("a message of {} bytes (a chain's checkpoint and samples) is "
                            "more than MPI sends at once (2 GiB)",
                            bytes.size()));
        pending_.push_back({MPI_REQUEST_NULL, std::move(bytes)});
        Pending& p = pending_.back();
        check(MPI_Isend(p.bytes.data(), static_cast<int>(p.bytes.size()), MPI_BYTE, to, tag,
                        MPI_COMM_WORLD, &p.request),
              "MPI_Isend");
    }

    // The next message with `tag` from any rank, if one has arrived: (source, bytes).
    std::optional<std::pair<int, std::string>> receive(int tag) {
        int arrived = 0;
        MPI_Status status;
        check(MPI_Iprobe(MPI_ANY_SOURCE, tag, MPI_COMM_WORLD, &arrived, &status), "MPI_Iprobe");
        if (!arrived) return std::nullopt;
        int count = 0;
        check(MPI_Get_count(&status, MPI_BYTE, &count), "MPI_Get_count");
        std::string bytes(static_cast<std::size_t>(count), '\0');
        MPI_Request request;
        check(MPI_Irecv(bytes.data(), count, MPI_BYTE, status.MPI_SOURCE, tag, MPI_COMM_WORLD,
                        &request),
              "MPI_Irecv");
        for (;;) {
            int done = 0;
            check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test");
            if (done) break;
            if (give_up_()) throw MpiFailure("a message was cut off");
            std::this_thread::sleep_for(kPollPause);
        }
        return std::pair(status.MPI_SOURCE, std::move(bytes));
    }

    // Completes the sends that can be; true when none is left.
    bool progress() {
        for (auto it = pending_.begin(); it != pending_.end();) {
            int done = 0;
            check(MPI_Test(&it->request, &done, MPI_STATUS_IGNORE), "MPI_Test");
            it = done ? pending_.erase(it) : std::next(it);
        }
        return pending_.empty();
    }

private:
    struct Pending {
        MPI_Request request;
        std::string bytes;
    };
    std::function<bool()> give_up_;
    std::list<Pending> pending_;  // a list: MPI holds pointers into the bytes
};

namespace {

// The signal that stopped rank 0's run, 0 while none did. Set by the handler, read by the main
// thread's polling loop.
volatile std::sig_atomic_t g_stop_signal = 0;

// SIGINT and SIGTERM also go on to the external commands that run on this rank (each in a
// process group of its own, core/child_process.h), which would otherwise outlive the run.
extern "C" void on_stop_signal(int signal) {
    g_stop_signal = signal;
    if (signal == SIGINT || signal == SIGTERM) forward_signal_to_children(signal);
}

// The signals that stop rank 0's run, caught while it runs chains (the previous handlers come
// back after): SIGTERM (Slurm on scancel or at the time limit; mpirun) and SIGINT; and, when Open
// MPI's mpirun started the rank, SIGCONT. When a rank dies, mpirun sends the others SIGCONT, one
// second later SIGTERM and then SIGKILL, and measured with Open MPI 4.1 the SIGKILL comes within
// 15 ms of the SIGTERM once the other ranks are gone (its one-second wait is cut short), too
// soon for rank 0 to say anything. SIGCONT is the one warning with time to spare, and mpirun
// sends it to a running rank for nothing else (it forwards no job control by default). Under
// srun it is not caught: Slurm's suspend and resume send SIGSTOP and SIGCONT.
class StopSignals {
public:
    StopSignals() {
        g_stop_signal = 0;
        struct sigaction action {};
        action.sa_handler = on_stop_signal;
        sigemptyset(&action.sa_mask);
        sigaction(SIGTERM, &action, &old_term_);
        sigaction(SIGINT, &action, &old_int_);
        if (std::getenv("OMPI_MCA_orte_hnp_uri") != nullptr) {
            sigaction(SIGCONT, &action, &old_cont_);
            cont_ = true;
        }
    }
    ~StopSignals() {
        sigaction(SIGTERM, &old_term_, nullptr);
        sigaction(SIGINT, &old_int_, nullptr);
        if (cont_) sigaction(SIGCONT, &old_cont_, nullptr);
    }

private:
    struct sigaction old_term_ {};
    struct sigaction old_int_ {};
    struct sigaction old_cont_ {};
    bool cont_ = false;
};

// Why a signal stopped the run, for rank 0's message.
std::string signal_reason(int signal) {
    if (signal == SIGCONT)
        return "mpirun is ending the job with signal SIGCONT, most likely because another rank "
               "died or the job was interrupted";
    const char* name = signal == SIGTERM ? "SIGTERM" : signal == SIGINT ? "SIGINT" : "a signal";
    return fmt::format("signal {}: another rank died, or the job was cancelled or ran out of time",
                       name);
}

// A failure message of a worker as the same kind of error on rank 0.
std::exception_ptr failure_from(int rank, const ToCoordinator& m) {
    const std::string text = fmt::format("rank {}: {}", rank, m.error);
    switch (m.error_kind) {
        case ToCoordinator::ErrorKind::kConfig:
            return std::make_exception_ptr(ConfigError(text));
        case ToCoordinator::ErrorKind::kData:
            return std::make_exception_ptr(DataError(text));
        default:
            return std::make_exception_ptr(Error(text));
    }
}

ToCoordinator failure_message(std::exception_ptr error) {
    ToCoordinator m;
    m.kind = ToCoordinator::Kind::kFailure;
    try {
        std::rethrow_exception(error);
    } catch (const ConfigError& e) {
        m.error_kind = ToCoordinator::ErrorKind::kConfig;
        m.error = e.what();
    } catch (const DataError& e) {
        m.error_kind = ToCoordinator::ErrorKind::kData;
        m.error = e.what();
    } catch (const std::exception& e) {
        m.error = e.what();
    } catch (...) {
        m.error = "unknown error";
    }
    m.error = fmt::format("({}) {}", processor_name(), m.error);
    return m;
}

ToWorker to_worker(ToWorker::Kind kind, int exit_code = 0) {
    ToWorker m;
    m.kind = kind;
    m.exit_code = exit_code;
    return m;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Rank 0

std::unique_ptr<MpiCoordinator> MpiCoordinator::create() {
    const MpiWorld& world = mpi_world();
    if (!world.active || world.size < 2 || world.rank != 0) return nullptr;
    return std::unique_ptr<MpiCoordinator>(new MpiCoordinator());
}

MpiCoordinator::MpiCoordinator()
    : mailbox_(std::make_unique<MpiMailbox>([] { return g_stop_signal != 0; })),
      worker_done_(mpi_world().size, false) {}

MpiCoordinator::~MpiCoordinator() {
    if (broadcast_done_ && !released_) release_workers();
}

namespace {
bool g_setup_broadcast = false;  // the one broadcast of this process (rank 0) happened
}  // namespace

void abort_mpi_run(int exit_code) {
    const MpiWorld& world = mpi_world();
    if (!world.active || world.size < 2 || world.rank != 0 || g_setup_broadcast) return;
    g_setup_broadcast = true;
    StudySetup setup;
    setup.exit_code = exit_code == 0 ? 1 : exit_code;
    try {
        std::string bytes = encode(setup);
        broadcast_bytes(bytes);
    } catch (const std::exception&) {
        // The workers are gone already.
    }
}

void MpiCoordinator::broadcast(const StudySetup& setup) {
    broadcast_done_ = true;  // once, whether or not it succeeds
    g_setup_broadcast = true;
    std::string bytes = encode(setup);
    broadcast_bytes(bytes);
}

void MpiCoordinator::start(const StudySetup& setup) {
    setup_ = setup;
    broadcast(setup);
}

void MpiCoordinator::configure(RunOptions& run) {
    run.threads = threads_per_rank(setup_.threads);
    run.dispatcher = this;
    run.stop = &stop_;
}

void MpiCoordinator::release_workers() noexcept {
    released_ = true;
    try {
        const int size = static_cast<int>(worker_done_.size());
        for (int w = 1; w < size; ++w)
            if (!worker_done_[w])
                mailbox_->send(w, kTagToWorker, encode(to_worker(ToWorker::Kind::kStop)));
        for (;;) {
            bool all_done = true;
            for (int w = 1; w < size; ++w) all_done = all_done && worker_done_[w];
            while (auto message = mailbox_->receive(kTagToCoordinator)) {
                const auto [rank, bytes] = std::move(*message);
                if (decode_to_coordinator(bytes).kind != ToCoordinator::Kind::kDone) continue;
                worker_done_[rank] = true;
                mailbox_->send(rank, kTagToWorker, encode(to_worker(ToWorker::Kind::kBye, 1)));
            }
            if (mailbox_->progress() && all_done) return;
            std::this_thread::sleep_for(kPollPause);
        }
    } catch (const std::exception&) {
        // A rank died meanwhile: mpirun ends the others.
    }
}

void MpiCoordinator::run_chains(const ChainRun& run) {
    const std::size_t seeds = static_cast<std::size_t>(run.study.seeds);
    const auto id_of = [&](std::size_t chain) {
        return run.ids.chain_ids[chain / seeds][chain % seeds];
    };
    const std::size_t units_per_chain = static_cast<std::size_t>(run.study.generations + 1);

    // Handing out chains, shared by rank 0's threads and the main thread (for the workers).
    std::mutex mutex;
    std::size_t next = 0;
    std::exception_ptr first_error;
    const auto take = [&]() -> std::optional<std::size_t> {
        std::lock_guard lock(mutex);
        if (first_error || stop_ || next >= run.order.size()) return std::nullopt;
        return run.order[next++];
    };
    const auto fail = [&](std::exception_ptr error) {
        std::lock_guard lock(mutex);
        if (!first_error) first_error = error;
        stop_ = true;
    };

    StopSignals signals;
    std::atomic<int> running{run.threads};
    std::vector<std::thread> threads;
    for (int t = 0; t < run.threads; ++t)
        threads.emplace_back([&] {
            while (const auto chain = take()) {
                try {
                    run.run_here(*chain);
                } catch (...) {
                    fail(std::current_exception());
                    break;
                }
            }
            --running;
        });
    const auto join = [&] {
        for (auto& thread : threads) thread.join();
        threads.clear();
    };

    // The workers' chains: in hand (assigned, not reported done) and generations counted.
    const int size = static_cast<int>(worker_done_.size());
    std::vector<std::set<std::size_t>> in_hand(size);
    std::vector<bool> no_more_sent(size, false);
    std::map<std::size_t, std::size_t> counted;  // progress units counted per remote chain
    bool stop_sent = false;

    const auto handle = [&](int rank, const ToCoordinator& m) {
        using Kind = ToCoordinator::Kind;
        switch (m.kind) {
            case Kind::kRequest:
                if (const auto chain = take()) {
                    ToWorker assign;
                    assign.chain = *chain;
                    assign.checkpoint = run.db.checkpoint(id_of(*chain));
                    mailbox_->send(rank, kTagToWorker, encode(assign));
                    in_hand[rank].insert(*chain);
                } else if (!no_more_sent[rank] && !stop_sent) {
                    mailbox_->send(rank, kTagToWorker, encode(to_worker(ToWorker::Kind::kNoMore)));
                    no_more_sent[rank] = true;
                }
                break;
            case Kind::kGenerations: {
                std::vector<GenerationCommit> commits;
                for (GenerationCommit commit : m.generations) {
                    const auto chain = static_cast<std::size_t>(commit.chain_id);
                    if (chain >= run.chains)
                        throw Error(
                            fmt::format("rank {} sent a generation of chain {}; the "
                                        "study has {}",
                                        rank, chain, run.chains));
                    std::size_t& units = counted[chain];
                    const auto upto = static_cast<std::size_t>(commit.generation + 1);
                    if (upto > units) run.progress.advance(upto - std::exchange(units, upto));
                    commit.chain_id = id_of(chain);
                    commits.push_back(std::move(commit));
                }
                // Together: a worker sends a chain's checkpoint with its last generation of
                // the message only.
                run.writer.push_all(std::move(commits));
                break;
            }
            case Kind::kChainDone: {
                in_hand[rank].erase(m.chain);
                std::size_t& units = counted[m.chain];
                if (units < units_per_chain)
                    run.progress.advance(units_per_chain - std::exchange(units, units_per_chain));
                break;
            }
            case Kind::kFailure:
                fail(failure_from(rank, m));
                break;
            case Kind::kDone:
                worker_done_[rank] = true;
                mailbox_->send(rank, kTagToWorker,
                               encode(to_worker(ToWorker::Kind::kBye, stop_ ? 1 : 0)));
                if (!in_hand[rank].empty() && !stop_)
                    fail(std::make_exception_ptr(Error(fmt::format(
                        "rank {} stopped with {} chains unfinished", rank, in_hand[rank].size()))));
                break;
        }
    };

    // Another rank died (mpirun's SIGTERM) or the job was stopped: say so at once (SIGKILL
    // follows within a second), then stop the chains here after their current generation.
    const auto lost = [&](const std::string& reason) {
        mark_mpi_peers_lost();
        stop_ = true;
        const auto committed = committed_generations(run.db, run.ids.study_id);
        fmt::print(stderr,
                   "madlab: the MPI run stopped ({}); {} committed so far {} in {}; finish the "
                   "run with `madlab run --resume {}` (with or without mpirun)\n",
                   reason,
                   committed ? fmt::format("the {} generations", *committed)
                             : std::string("the generations"),
                   committed && *committed == 1 ? "is" : "are", run.db.path(), setup_.work_dir);
        std::fflush(stderr);
        // mpirun's SIGKILL may come soon (StopSignals says when): mark the study before
        // waiting for this rank's chains.
        try {
            run.db.set_study_status(run.ids.study_id, "failed");
        } catch (const std::exception&) {
        }
        join();
        released_ = true;
        throw RankExit(1);
    };

    try {
        for (;;) {
            if (const int signal = g_stop_signal) lost(signal_reason(signal));
            while (auto message = mailbox_->receive(kTagToCoordinator)) {
                try {
                    handle(message->first, decode_to_coordinator(message->second));
                } catch (const MpiFailure&) {
                    throw;
                } catch (...) {
                    fail(std::current_exception());  // e.g. the database failed
                }
            }
            if (stop_ && !stop_sent) {
                for (int w = 1; w < size; ++w)
                    if (!worker_done_[w])
                        mailbox_->send(w, kTagToWorker, encode(to_worker(ToWorker::Kind::kStop)));
                stop_sent = true;
            }
            const bool sent = mailbox_->progress();
            bool all_done = running == 0;
            for (int w = 1; w < size; ++w) all_done = all_done && worker_done_[w];
            if (all_done && sent) break;
            std::this_thread::sleep_for(kPollPause);
        }
    } catch (const MpiFailure& e) {
        if (const int signal = g_stop_signal) lost(signal_reason(signal));
        lost(fmt::format("{}; most likely another rank died", e.what()));
    } catch (...) {
        stop_ = true;
        join();
        throw;
    }
    join();
    released_ = true;
    if (first_error) std::rethrow_exception(first_error);
}

// ---------------------------------------------------------------------------------------------
// Worker ranks

namespace {

// The database as a worker sees it: the checkpoints rank 0 sent with the chains, and commits
// that go to rank 0 (handed to `forward`, which sends them) instead of a file. A chain's id here
// is its index in the study + 1. Only what run_study calls is supported.
class ForwardingDb : public ResultsDb {
public:
    explicit ForwardingDb(std::function<void(const std::vector<GenerationCommit>&)> forward)
        : forward_(std::move(forward)) {}

    void set_checkpoint(std::size_t chain, std::optional<std::string> state) {
        std::lock_guard lock(mutex_);
        checkpoints_[chain + 1] = std::move(state);
    }

    std::string path() const override { return "(rank 0's database)"; }
    std::int64_t add_study(const StudyRow&) override { return unsupported("add_study"); }
    void set_study_status(std::int64_t, const std::string&) override {}
    std::int64_t add_setting(const SettingRow&) override { return unsupported("add_setting"); }
    std::int64_t add_chain(std::int64_t, std::uint64_t) override {
        return unsupported("add_chain");
    }
    void commit_generation(const GenerationCommit& commit) override {
        commit_generations({commit});
    }
    void commit_generations(const std::vector<GenerationCommit>& commits) override {
        forward_(commits);
    }
    std::vector<StudyRow> studies() const override { return {}; }
    std::optional<StudyRow> study(std::int64_t) const override { return std::nullopt; }
    std::vector<SettingRow> settings(std::int64_t) const override { return {}; }
    std::vector<ChainRow> chains(std::int64_t) const override { return {}; }
    std::optional<std::string> checkpoint(std::int64_t chain_id) const override {
        std::lock_guard lock(mutex_);
        const auto it = checkpoints_.find(chain_id);
        return it == checkpoints_.end() ? std::nullopt : it->second;
    }
    std::vector<Record> records(const RecordFilter&) const override { return {}; }
    void visit_records(const RecordFilter&,
                       const std::function<void(const Record&)>&) const override {}
    std::vector<Record> generation_records(std::int64_t, int) const override { return {}; }
    std::vector<int> record_generations(std::int64_t) const override { return {}; }
    std::vector<RecordRow> record_rows(const RecordFilter&) const override { return {}; }
    std::vector<std::string> metrics(std::int64_t) const override { return {}; }
    std::vector<SampleRow> samples(std::int64_t) const override { return {}; }

private:
    [[noreturn]] static std::int64_t unsupported(const char* what) {
        throw Error(fmt::format("a worker rank has no database of its own ({})", what));
    }

    std::function<void(const std::vector<GenerationCommit>&)> forward_;
    mutable std::mutex mutex_;
    std::map<std::int64_t, std::optional<std::string>> checkpoints_;
};

class Worker : public ChainDispatcher {
public:
    Worker() : db_([this](const std::vector<GenerationCommit>& commits) { forward(commits); }) {}

    int run(const StudySetup& setup) {
        try {
            const StudyConfig study = parse_study(setup.config_toml, setup.where);
            StudyIds ids;
            ids.study_id = 1;
            for (std::size_t s = 0; s < study.settings.size(); ++s) {
                std::vector<std::int64_t> chains;
                for (int k = 0; k < study.seeds; ++k)
                    chains.push_back(static_cast<std::int64_t>(s * study.seeds + k + 1));
                ids.chain_ids.push_back(std::move(chains));
            }
            RunOptions options;
            options.threads = threads_per_rank(setup.threads);
            options.progress = false;
            options.work_dir = setup.work_dir;
            options.stop = &stop_;
            options.dispatcher = this;
            run_study(study, options, &db_, &ids);
        } catch (const Interrupted&) {
            // Rank 0 said stop, or this rank's failure was sent already.
        } catch (...) {
            report_failure(std::current_exception());
        }
        return finish();
    }

    void run_chains(const ChainRun& run) override {
        std::atomic<int> running{run.threads};
        std::vector<std::thread> threads;
        for (int t = 0; t < run.threads; ++t)
            threads.emplace_back([&] {
                while (const auto chain = next_chain()) {
                    try {
                        run.run_here(*chain);
                    } catch (const Interrupted&) {
                        break;
                    } catch (...) {
                        std::lock_guard lock(mutex_);
                        if (!chain_error_) chain_error_ = std::current_exception();
                        stop_ = true;
                        closed_ = true;
                        wake_.notify_all();
                        break;
                    }
                    ToCoordinator done;
                    done.kind = ToCoordinator::Kind::kChainDone;
                    done.chain = *chain;
                    post(encode(done));
                    std::lock_guard lock(mutex_);
                    --in_hand_;
                }
                --running;
            });
        // Chains in hand: one per thread and one in reserve, so that a thread that finishes
        // finds its next chain here while the request for another travels.
        const int wanted = run.threads + 1;
        bool requested = false;
        bool failure_sent = false;
        try {
            for (;;) {
                while (auto message = mailbox_.receive(kTagToWorker)) {
                    const ToWorker m = decode_to_worker(message->second);
                    std::lock_guard lock(mutex_);
                    switch (m.kind) {
                        case ToWorker::Kind::kAssign:
                            db_.set_checkpoint(m.chain, m.checkpoint);
                            queue_.push_back(m.chain);
                            ++in_hand_;
                            requested = false;
                            wake_.notify_one();
                            break;
                        case ToWorker::Kind::kNoMore:
                            closed_ = true;
                            requested = false;
                            wake_.notify_all();
                            break;
                        case ToWorker::Kind::kStop:
                            stopped_by_rank0_ = true;
                            stop_ = true;
                            closed_ = true;
                            queue_.clear();
                            wake_.notify_all();
                            break;
                        case ToWorker::Kind::kBye:
                            bye_ = m.exit_code;
                            break;
                    }
                }
                {
                    std::lock_guard lock(mutex_);
                    if (chain_error_ && !failure_sent) {
                        outbox_.push_back(encode(failure_message(chain_error_)));
                        failure_sent = true;
                    }
                    if (!closed_ && !requested && in_hand_ < wanted) {
                        ToCoordinator request;
                        request.kind = ToCoordinator::Kind::kRequest;
                        outbox_.push_back(encode(request));
                        requested = true;
                    }
                }
                send_outbox();
                if (running == 0) break;
                std::this_thread::sleep_for(kPollPause);
            }
        } catch (...) {
            {
                std::lock_guard lock(mutex_);
                stop_ = true;
                closed_ = true;
                wake_.notify_all();
            }
            for (auto& thread : threads) thread.join();
            throw;
        }
        for (auto& thread : threads) thread.join();
        failure_reported_ = failure_sent;
        if (chain_error_) std::rethrow_exception(chain_error_);
    }

private:
    // The next chain to run here; nullopt once rank 0 has no more (or said stop).
    std::optional<std::size_t> next_chain() {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return !queue_.empty() || closed_; });
        if (queue_.empty() || stop_) return std::nullopt;
        const std::size_t chain = queue_.front();
        queue_.pop_front();
        return chain;
    }

    void post(std::string bytes) {
        std::lock_guard lock(mutex_);
        outbox_.push_back(std::move(bytes));
    }

    // Finished generations wait here (chain_id = index + 1) and go to rank 0 together, every
    // few milliseconds: a chain's checkpoint travels with its last generation of each message
    // only (rank 0 commits a message's generations in one transaction), which divides the bytes
    // sent by the generations per message when checkpoints are large.
    void forward(const std::vector<GenerationCommit>& commits) {
        std::lock_guard lock(mutex_);
        generations_.insert(generations_.end(), commits.begin(), commits.end());
    }

    // Sends the messages waiting; the generations only every kGenerationsPause or when `all`.
    void send_outbox(bool all = false) {
        ToCoordinator batch;
        batch.kind = ToCoordinator::Kind::kGenerations;
        std::deque<std::string> out;
        const auto now = std::chrono::steady_clock::now();
        {
            std::lock_guard lock(mutex_);
            out.swap(outbox_);
            if (all || now - last_generations_ >= kGenerationsPause) {
                batch.generations.swap(generations_);
                last_generations_ = now;
            }
        }
        if (!batch.generations.empty()) {
            // chain id -> its last commit here that carries a checkpoint (chains checkpoint
            // at most once a second: the last commit may have none)
            std::map<std::int64_t, std::size_t> last;
            for (std::size_t i = 0; i < batch.generations.size(); ++i)
                if (!batch.generations[i].checkpoint.empty())
                    last[batch.generations[i].chain_id] = i;
            for (std::size_t i = 0; i < batch.generations.size(); ++i) {
                GenerationCommit& c = batch.generations[i];
                if (const auto it = last.find(c.chain_id); it == last.end() || it->second != i)
                    std::string().swap(c.checkpoint);
                c.chain_id -= 1;
            }
            mailbox_.send(0, kTagToCoordinator, encode(batch));
        }
        for (auto& bytes : out) mailbox_.send(0, kTagToCoordinator, std::move(bytes));
        mailbox_.progress();
    }

    void report_failure(std::exception_ptr error) {
        if (failure_reported_ || stopped_by_rank0_) return;
        failure_reported_ = true;
        post(encode(failure_message(error)));
    }

    // Sends what is left and kDone, then waits for rank 0's kBye (messages crossing it, such
    // as a chain or a stop, are dropped) and for every send to complete.
    int finish() {
        try {
            ToCoordinator done;
            done.kind = ToCoordinator::Kind::kDone;
            send_outbox(true);  // every generation before kDone
            post(encode(done));
            send_outbox(true);
            for (;;) {
                while (auto message = mailbox_.receive(kTagToWorker)) {
                    const ToWorker m = decode_to_worker(message->second);
                    if (m.kind == ToWorker::Kind::kBye) bye_ = m.exit_code;
                }
                if (mailbox_.progress() && bye_) return *bye_;
                std::this_thread::sleep_for(kPollPause);
            }
        } catch (const std::exception&) {
            mark_mpi_peers_lost();  // rank 0 is gone: mpirun ends this rank too
            return 1;
        }
    }

    MpiMailbox mailbox_;
    ForwardingDb db_;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::size_t> queue_;  // chains assigned and not started
    int in_hand_ = 0;                // assigned and not finished
    bool closed_ = false;            // no chain will be added to queue_
    bool stopped_by_rank0_ = false;
    bool failure_reported_ = false;
    std::exception_ptr chain_error_;
    std::deque<std::string> outbox_;             // messages to rank 0, sent by the main thread
    std::vector<GenerationCommit> generations_;  // for rank 0, sent by send_outbox
    std::chrono::steady_clock::time_point last_generations_{};
    std::optional<int> bye_;
};

}  // namespace

int run_mpi_worker() {
    StudySetup setup;
    try {
        std::string bytes;
        broadcast_bytes(bytes);
        setup = decode_study_setup(bytes);
    } catch (const std::exception&) {
        mark_mpi_peers_lost();
        return 1;
    }
    if (setup.exit_code != 0) return setup.exit_code;
    Worker worker;
    return worker.run(setup);
}

#else  // built without MPI: there is never a coordinator nor a worker.

class MpiMailbox {};

std::unique_ptr<MpiCoordinator> MpiCoordinator::create() { return nullptr; }
MpiCoordinator::MpiCoordinator() = default;
MpiCoordinator::~MpiCoordinator() = default;
void MpiCoordinator::start(const StudySetup& setup) { setup_ = setup; }
void MpiCoordinator::configure(RunOptions&) {}
void MpiCoordinator::run_chains(const ChainRun&) {}
void MpiCoordinator::broadcast(const StudySetup&) {}
void MpiCoordinator::release_workers() noexcept {}
void abort_mpi_run(int) {}
int run_mpi_worker() { return 1; }

#endif

}  // namespace madlab
