#pragma once
// Stopping a run cleanly on SIGINT (Ctrl-C) and SIGTERM (kill, a batch system's time limit).
// While a StopOnSignals lives, the first of these signals sets requested() (RunOptions::stop:
// the chains stop after the generation they are in, which is committed, so that
// `madlab run --resume` continues from there) and is forwarded to every external command that
// runs (core/child_process.h), which runs in a process group of its own and would otherwise go
// on writing into the folder that --resume reuses. A second signal forwards SIGKILL to the
// commands and ends madlab at once, as the signal's default would.

#include <atomic>

namespace madlab {

class StopOnSignals {
public:
    // Installs the handlers for SIGINT and SIGTERM (the previous ones come back on
    // destruction) and clears requested(), signal() and the forwarded signal. One at a time.
    StopOnSignals();
    ~StopOnSignals();
    StopOnSignals(const StopOnSignals&) = delete;
    StopOnSignals& operator=(const StopOnSignals&) = delete;

    // True once a signal came: hand it to RunOptions::stop / SessionOptions::stop.
    const std::atomic<bool>& requested() const;
    // The signal that came first (SIGINT or SIGTERM), 0 while none did.
    int signal() const;
    // The exit code of a process that a signal stopped, as a shell reports it: 128 + signal()
    // (130 for SIGINT, 143 for SIGTERM).
    int exit_code() const;
    // "SIGINT", "SIGTERM".
    const char* signal_name() const;
};

}  // namespace madlab
