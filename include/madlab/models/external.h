#pragma once
// The `external` family: a model whose fit and sample are shell commands (a user's PyTorch
// diffusion model, say), driven through the loop by files. docs/external.md is the protocol;
// in short:
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
// Which generation a fit belongs to: the chain fits generation g with the random stream
// chain_stream(seed, g, "fit") and samples with chain_stream(seed, g, "eval") and
// chain_stream(seed, t, "synthetic", j) (loop/schedule.h); the model recognises these streams
// (it is built for one chain: ExternalContext), which names its folders without a change to the
// GenerativeModel interface. A model used outside a chain (a stream it does not recognise)
// works in <work_dir>/<setting>/seed-<chain seed>/fit-<hash of the data and stream>/.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "madlab/models/generative_model.h"

namespace madlab {

struct ExternalOptions {
    std::string fit;     // model.fit: the training command (required)
    std::string sample;  // model.sample: the sampling command (required)
    double timeout_s =
        3600.0;            // model.timeout_s: a command running longer is killed (0 = no limit)
    int retries = 0;       // model.retries: extra attempts after a failed command
    bool prune = false;    // model.prune: delete folders no later generation needs
    std::string work_dir;  // model.work_dir: root of the folders ("" = <output>/external)
};

// The chain a model belongs to.
struct ExternalContext {
    std::string work_dir;  // the root folder; required
    std::string setting = "default";
    std::uint64_t chain_seed = 0;
    int generations = 0;  // last generation of the chain (bounds the stream search)
    int synthetic_from_last_k = 1;
};

// Throws ConfigError naming model.fit / model.sample when a command is empty or has an unknown
// {placeholder}.
void check_external_commands(const ExternalOptions& options);

class ExternalModel : public ContinuousModel {
public:
    ExternalModel(ExternalOptions options, ExternalContext context);

    std::string family() const override { return "external"; }
    FitInfo fit(const Matrix& train, Rng& rng) override;
    Matrix sample(std::size_t n, double bias, Rng& rng) const override;
    std::optional<double> mean_nll(const Matrix&) const override { return std::nullopt; }
    std::unique_ptr<ContinuousModel> clone() const override;

    // The folder of the last fit ("" before the first).
    const std::string& generation_dir() const { return dir_; }
    // The generation of the last fit (-1: not recognised, or before the first fit).
    int generation() const { return generation_; }

private:
    std::string dir_for_fit(const Matrix& train, const Rng& rng, int& generation) const;
    // {model_dir} {seed} {chain_seed} {generation} {dim} {setting} of the current fit.
    std::map<std::string, std::string> placeholder_values(std::uint64_t seed) const;
    // "model.fit command ... (setting 's', seed 0, generation 3)", for error messages.
    std::string describe_step(const char* key, const std::string& command) const;
    // Runs `command` (with retries), its output to dir/name.stdout and .stderr; throws Error
    // with `where`, what went wrong and the tail of its stderr.
    void run_step(const std::string& command, const std::string& where,
                  const std::string& name) const;

    ExternalOptions options_;
    ExternalContext context_;
    std::string dir_;
    int generation_ = -1;
    std::size_t dim_ = 0;
};

}  // namespace madlab
