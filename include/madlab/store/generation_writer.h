#pragma once
// Commits finished generations to a ResultsDb from one writer thread, in batches: the chain
// threads hand over their GenerationCommit and go on computing, and the writer commits
// everything that has piled up since its last transaction in one transaction (group commit).
// A generation is durable once its batch commits, typically milliseconds after it finished;
// a crash before that loses it, and a resumed run recomputes it from the chain's previous
// checkpoint, so the final records are the same. One transaction per generation instead cost
// about 150 us each, which dominated studies of many tiny chains.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "madlab/store/results_db.h"

namespace madlab {

class GenerationWriter {
public:
    // Starts the writer thread. `max_pending`: push() waits while this many commits are queued,
    // which bounds the memory held by checkpoints in flight.
    explicit GenerationWriter(ResultsDb& db, std::size_t max_pending = 1024);
    // Calls finish(), swallowing its error (call finish() yourself to see it).
    ~GenerationWriter();
    GenerationWriter(const GenerationWriter&) = delete;
    GenerationWriter& operator=(const GenerationWriter&) = delete;

    // Queues one finished generation; thread-safe. Throws the writer's error if a commit failed.
    void push(GenerationCommit commit);
    // Queues several at once: they are committed in one transaction, never some without the
    // others, so that only the last commit of each chain among them needs its checkpoint (the
    // others may leave it empty; ResultsDb::commit_generations writes only the last). Thread-safe.
    void push_all(std::vector<GenerationCommit> commits);
    // Commits everything queued and stops the writer; rethrows the first commit error.
    void finish();

private:
    void run();

    ResultsDb& db_;
    std::size_t max_pending_;
    std::mutex mutex_;
    std::condition_variable wake_writer_;
    std::condition_variable wake_producers_;
    std::deque<GenerationCommit> pending_;
    bool stopping_ = false;
    bool finished_ = false;
    std::exception_ptr error_;
    std::thread thread_;
};

}  // namespace madlab
