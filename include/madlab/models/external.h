#pragma once
// The `external` family: a model whose fit and sample are shell commands (a user's PyTorch
// diffusion model, say), driven through the loop by files. docs/external.md is the protocol;
// this is the vector family (.npy files; text: external_text.h, JSONL files); in short:
//
//   fit:    madlab writes the training set to {train} (.npy, float64, n x d) and runs
//           `model.fit`; the command trains and saves whatever it needs under {model_dir}.
//   sample: madlab runs `model.sample`; the command writes n samples to {samples} (.npy,
//           n x d, any float or integer dtype read_npy accepts, every value finite).
//
// Placeholders (replaced by shell-quoted values): {train} {model_dir} {samples} {n} {bias}
// {seed} (a 31-bit seed drawn from the fit's or the sample's own random stream, so the command
// can be deterministic) {chain_seed} {generation} {dim} {setting}.
//
// Every output is checked (exit code 0, the samples file exists, is a valid .npy of n x d
// finite values); anything else is an Error naming the command, the chain, the generation, the
// exit code or signal and the tail of the command's stderr. A command that runs longer than
// timeout_s is killed with its whole process group. Failed commands are retried only
// `retries` times. Nothing is partial: an error stops the study; the generations committed
// before it stay in the database and `madlab run --resume` continues from them.
//
// Files: each generation of each chain works in its own folder
//   <work_dir>/<setting>/seed-<chain seed>/gen-<generation>/
//     train.npy, model/ ({model_dir}), fit.stdout, fit.stderr, fit.done,
//     eval.npy (samples scored by the metrics), synthetic-<t>-<j>.npy (samples that train
//     generation t), *.stdout, *.stderr, *.done
// so that a study can be audited. A step whose `.done` marker matches its inputs (the command,
// the size of the training set and a hash of it, n, bias and seed) is not run again: resuming
// a study, or restoring a chain's checkpoint (which refits its last models), reuses the
// finished fits and samples instead of retraining. With prune = true a generation's folder is
// deleted once no later generation can sample from it (older than the last
// synthetic_from_last_k models).
//
// Where the files go: the loop hands every fit its generation's folder (FitContext::work_dir,
// <work root>/<setting>/seed-<chain seed>/gen-<generation>/), and every sample call what the
// samples are for (eval, synthetic-<t>-<j>), which name the files. A model fitted outside a
// loop (generation -1) works in <work_dir>/fit-<hash of the data and stream>/.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "madlab/models/generative_model.h"

namespace madlab {

struct ExternalOptions {
    std::string fit;     // model.fit: the training command (required)
    std::string sample;  // model.sample: the sampling command (required)
    // model.score (text studies only, optional): writes the log-probability of each held-out
    // real line (docs/external.md); without it perplexity is not recorded.
    std::string score;
    double timeout_s =
        3600.0;            // model.timeout_s: a command running longer is killed (0 = no limit)
    int retries = 0;       // model.retries: extra attempts after a failed command
    bool prune = false;    // model.prune: delete folders no later generation needs
    std::string work_dir;  // model.work_dir: root of the folders ("" = <output>/external)
};

// Where a fit of an external family happens (from its FitContext): the generation (-1 outside
// a loop), the chain's seed and setting, the folder, the origin of every training row.
struct ExternalPlace {
    int generation = -1;
    std::uint64_t seed = 0;
    std::string setting;
    std::string work_dir;
    std::span<const int> origin;
};

template <class Data>
ExternalPlace external_place(const FitContext<Data>& context) {
    return {context.generation, context.seed, context.setting, context.work_dir, context.origin};
}

// Throws ConfigError naming model.fit / model.sample / model.score when a command is empty or
// has an unknown {placeholder} or one its study does not provide: {dim} is for vectors,
// {text} and {scores} for model.score, which only text studies have.
void check_external_commands(const ExternalOptions& options, bool text = false);

// What both external families (vectors: ExternalModel below; text: ExternalTextModel in
// external_text.h) share: one chain's folders, the commands' placeholders, running a command
// with its timeout and retries, the .done markers that let a resumed study reuse finished
// steps, and pruning. The family writes and reads the files; this class runs the commands.
class ExternalSteps {
public:
    // Throws ConfigError for a bad command (check_external_commands) or timeout / retries.
    ExternalSteps(ExternalOptions options, bool text);

    const ExternalOptions& options() const { return options_; }
    // The folder of the last fit ("" before the first).
    const std::string& dir() const { return dir_; }

    // A fit at `place` with stream `rng`: works in the place's folder (outside a loop in a
    // folder named after `data_key` and the stream; ConfigError without a folder), draws the
    // command's {seed} from `rng`, and runs `model.fit` with {train} = dir()/train_file,
    // unless fit.done records the same command and `data_key` (the training set's size and
    // hash) and the model folder exists. Before running, `write_train(path)` writes the
    // training set, and, when the place has origins, dir()/train_origin.npy: float64 of shape
    // (n, 1), -1 for a real row, g for a sample of generation g's model, in the row order of
    // the training file (the provenance of every training row, for audit). `values` are more
    // placeholders.
    FitInfo fit(const ExternalPlace& place, Rng& rng, const std::string& train_file,
                const std::string& data_key,
                const std::function<void(const std::string&)>& write_train,
                std::map<std::string, std::string> values = {});
    // With model.prune: deletes the folder of the last fit (the loop no longer samples from it).
    void retire() const;

    // A step that writes one file: the command as run, where it was run (for messages), the
    // file, and whether a finished earlier run (its .done marker matched) was reused.
    struct Output {
        std::string command;
        std::string where;  // "model.sample command ... (setting 's', seed 0, generation 3)"
        std::string path;
        std::string done;  // the marker written by commit()
        bool reused = false;
    };
    // A sampling call with stream `rng`: the file is named after `purpose` (eval,
    // synthetic-<t>-<j>; "" outside a loop: samples-<hash of the stream and n>) with
    // `extension`; draws {seed} from `rng`; runs `model.sample` unless reusable. `what` says
    // what the file must hold (for the "did not write" message). Requires a fit.
    Output sample(std::size_t n, double bias, Rng& rng, std::string_view purpose,
                  const std::string& extension, const std::string& what,
                  std::map<std::string, std::string> values = {}) const;
    // Runs the command of config key `key` (e.g. "model.score") with the placeholders
    // `values` and the fit's; `name` names its log and .done files, `output` the file it
    // writes (a placeholder of `values`), `what` what that must hold.
    Output run(const char* key, const std::string& command_template, const std::string& name,
               const std::string& output, const std::string& what,
               std::map<std::string, std::string> values) const;
    // Marks a checked output finished (its .done marker), so that a resume reuses it.
    void commit(const Output& output) const;

private:
    std::string dir_for_fit(std::uint64_t data_hash, const Rng& rng) const;
    // {model_dir} {seed} {chain_seed} {generation} {setting} of the current fit.
    std::map<std::string, std::string> placeholder_values(std::uint64_t seed) const;
    // "model.fit command ... (setting 's', seed 0, generation 3)", for error messages.
    std::string describe_step(const char* key, const std::string& command) const;
    // Runs `command` (with retries), its output to dir/name.stdout and .stderr; throws Error
    // with `where`, what went wrong and the tail of its stderr.
    // While it runs, dir/name.pid names the command's process group (core/child_process.h).
    void run_step(const std::string& command, const std::string& where,
                  const std::string& name) const;
    // Throws Error (with `where`) when dir/name.pid names a command that still runs: one that a
    // madlab killed with SIGKILL left behind. Called before a step touches its files.
    void refuse_a_live_step(const std::string& where, const std::string& name) const;

    ExternalOptions options_;
    bool text_ = false;
    ExternalPlace place_;  // of the last fit (its origins not kept)
    std::string dir_;
};

// FNV-1a of bytes (chains with `h`), for the .done markers and folder names of the external
// families.
std::uint64_t external_hash(const void* data, std::size_t bytes,
                            std::uint64_t h = 14695981039346656037ull);

class ExternalModel : public ContinuousModel {
public:
    // Throws ConfigError as ExternalSteps.
    explicit ExternalModel(ExternalOptions options);

    std::string family() const override { return "external"; }
    std::unique_ptr<ContinuousModel> clone() const override;
    bool needs_work_dir() const override { return true; }
    void retire() const override { steps_.retire(); }

    // The folder of the last fit ("" before the first).
    const std::string& generation_dir() const { return steps_.dir(); }

protected:
    FitInfo do_fit(const Matrix& train, FitContext<Matrix>& context) override;
    Matrix do_sample(std::size_t n, double bias, Rng& rng, std::string_view purpose) const override;

private:
    ExternalSteps steps_;
    std::size_t dim_ = 0;
};

}  // namespace madlab
