#include "madlab/core/stop_signals.h"

#include <signal.h>

#include "madlab/core/child_process.h"

namespace madlab {

namespace {

std::atomic<bool> g_stop_requested{false};
std::atomic<int> g_stop_signal{0};
struct sigaction g_old_int {};
struct sigaction g_old_term {};

// Async-signal-safe: atomics, kill (through forward_signal_to_children), sigaction and raise.
extern "C" void on_run_stop_signal(int signal) {
    int none = 0;
    if (g_stop_signal.compare_exchange_strong(none, signal)) {
        g_stop_requested.store(true);
        forward_signal_to_children(signal);
        return;
    }
    // The second signal: end now, the commands first.
    forward_signal_to_children(SIGKILL);
    struct sigaction fallback {};
    fallback.sa_handler = SIG_DFL;
    sigemptyset(&fallback.sa_mask);
    sigaction(signal, &fallback, nullptr);
    raise(signal);
}

}  // namespace

StopOnSignals::StopOnSignals() {
    g_stop_requested.store(false);
    g_stop_signal.store(0);
    reset_forwarded_signal();
    struct sigaction action {};
    action.sa_handler = on_run_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &g_old_int);
    sigaction(SIGTERM, &action, &g_old_term);
}

StopOnSignals::~StopOnSignals() {
    sigaction(SIGINT, &g_old_int, nullptr);
    sigaction(SIGTERM, &g_old_term, nullptr);
}

const std::atomic<bool>& StopOnSignals::requested() const { return g_stop_requested; }

int StopOnSignals::signal() const { return g_stop_signal.load(); }

int StopOnSignals::exit_code() const { return 128 + signal(); }

const char* StopOnSignals::signal_name() const {
    switch (signal()) {
        case SIGINT:
            return "SIGINT";
        case SIGTERM:
            return "SIGTERM";
        default:
            return "a signal";
    }
}

}  // namespace madlab
