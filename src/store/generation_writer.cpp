#include "madlab/store/generation_writer.h"

#include <vector>

namespace madlab {

GenerationWriter::GenerationWriter(ResultsDb& db, std::size_t max_pending)
    : db_(db), max_pending_(max_pending == 0 ? 1 : max_pending), thread_([this] { run(); }) {}

GenerationWriter::~GenerationWriter() {
    try {
        finish();
    } catch (...) {
    }
}

void GenerationWriter::push(GenerationCommit commit) {
    std::unique_lock lock(mutex_);
    wake_producers_.wait(lock, [&] { return pending_.size() < max_pending_ || error_; });
    if (error_) std::rethrow_exception(error_);
    pending_.push_back(std::move(commit));
    wake_writer_.notify_one();
}

void GenerationWriter::push_all(std::vector<GenerationCommit> commits) {
    if (commits.empty()) return;
    std::unique_lock lock(mutex_);
    wake_producers_.wait(lock, [&] { return pending_.size() < max_pending_ || error_; });
    if (error_) std::rethrow_exception(error_);
    for (auto& commit : commits) pending_.push_back(std::move(commit));
    wake_writer_.notify_one();
}

void GenerationWriter::finish() {
    {
        std::lock_guard lock(mutex_);
        if (finished_) {
            if (error_) std::rethrow_exception(error_);
            return;
        }
        stopping_ = true;
    }
    wake_writer_.notify_one();
    thread_.join();
    std::lock_guard lock(mutex_);
    finished_ = true;
    if (error_) std::rethrow_exception(error_);
}

void GenerationWriter::run() {
    for (;;) {
        std::vector<GenerationCommit> batch;
        {
            std::unique_lock lock(mutex_);
            wake_writer_.wait(lock, [&] { return !pending_.empty() || stopping_; });
            if (pending_.empty()) return;  // stopping and nothing left
            batch.assign(std::make_move_iterator(pending_.begin()),
                         std::make_move_iterator(pending_.end()));
            pending_.clear();
        }
        wake_producers_.notify_all();
        try {
            db_.commit_generations(batch);
        } catch (...) {
            std::lock_guard lock(mutex_);
            error_ = std::current_exception();
            pending_.clear();
            wake_producers_.notify_all();
            return;
        }
    }
}

}  // namespace madlab
