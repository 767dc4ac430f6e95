// `madlab metrics REAL FAKE`: scores two point sets (CSV or .npy files, one point per row)
// outside any loop: precision, recall, density, coverage, Frechet distance and KID, exactly and
// in memory linear in the number of points (docs/metrics.md).

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "command_line.h"
#include "commands.h"
#include "madlab/core/atomic_file.h"
#include "madlab/core/error.h"
#include "madlab/core/parallel.h"
#include "madlab/data/csv_reader.h"
#include "madlab/data/npy_reader.h"
#include "madlab/metrics/blas.h"
#include "madlab/metrics/frechet.h"
#include "madlab/metrics/kid.h"
#include "madlab/metrics/prdc.h"

namespace madlab::cli {

namespace {

const std::vector<std::string> kMetricChoices = {"prdc", "frechet", "kid"};

struct MetricsArguments {
    std::string real;
    std::string fake;
    int k = 5;
    std::string metrics = "prdc,frechet,kid";
    int threads = 0;
    std::string format = "table";
    std::string out;
    int kid_subsets = 100;
    int kid_subset_size = 1000;
    std::uint64_t seed = 0;
};

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

// Reads a point set by its extension; the readers' DataError names the file, line and column.
Matrix load_points(const std::string& path, const char* which) {
    const std::string ext = lower(path);
    if (ext.ends_with(".csv")) return read_csv(path);
    if (ext.ends_with(".npy")) return read_npy(path);
    throw ConfigError(fmt::format(
        "{} file {}: unknown extension; give a .csv file (one point per line) or a .npy file "
        "(numpy.save of an n x d array)",
        which, path));
}

// The comma-separated --metrics list, checked against kMetricChoices.
std::vector<std::string> parse_metric_list(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream stream(text);
    std::string item;
    while (std::getline(stream, item, ',')) {
        item.erase(0, item.find_first_not_of(" \t"));
        item.erase(item.find_last_not_of(" \t") + 1);
        if (item.empty()) continue;
        if (std::find(kMetricChoices.begin(), kMetricChoices.end(), item) == kMetricChoices.end())
            throw ConfigError(fmt::format(
                "--metrics: unknown metric '{}'; choose from prdc, frechet, kid (comma-separated)",
                item));
        if (std::find(out.begin(), out.end(), item) == out.end()) out.push_back(item);
    }
    if (out.empty()) throw ConfigError("--metrics is empty; give e.g. --metrics prdc,frechet,kid");
    return out;
}

struct Value {
    std::string name;
    double value;
};

}  // namespace

Action add_metrics_command(CLI::App& app) {
    auto args = std::make_shared<MetricsArguments>();
    CLI::App* command = app.add_subcommand(
        "metrics",
        "Score generated points against real points, outside any loop: precision, recall,\n"
        "density, coverage (exact k-NN balls), Frechet distance and KID. REAL and FAKE are CSV\n"
        "or .npy files, one point per row, with the same number of columns.");
    command->add_option("REAL", args->real, "Real points (.csv or .npy)")->required();
    command->add_option("FAKE", args->fake, "Generated points (.csv or .npy)")->required();
    command->add_option("--k", args->k, "Neighbours for the PRDC radii (default 5)")
        ->check(whole_number(1));
    command->add_option("--metrics,-m", args->metrics,
                        "Comma-separated: prdc, frechet, kid (default: all three)");
    command->add_option("--threads,-j", args->threads, "Threads (default 0: all cores)")
        ->check(whole_number(0));
    command->add_option("--format,-f", args->format, "table or json (default table)")
        ->check(CLI::IsMember({"table", "json"}));
    command->add_option("--out,-o", args->out,
                        "Output file, written atomically (default: standard output)");
    command->add_option("--kid-subsets", args->kid_subsets, "KID subsets (default 100)")
        ->check(whole_number(1, kMaxKidSubsets));
    command
        ->add_option("--kid-subset-size", args->kid_subset_size,
                     "KID subset size, at most min(N, M) is used (default 1000)")
        ->check(whole_number(2, 1 << 30));
    command->add_option("--seed", args->seed, "Seed of the KID subsets (default 0)");

    return [args]() -> int {
        if (!args->out.empty()) check_output_file("--out", args->out);
        const std::vector<std::string> wanted = parse_metric_list(args->metrics);
        const auto start = std::chrono::steady_clock::now();
        const Matrix real = load_points(args->real, "REAL");
        const Matrix fake = load_points(args->fake, "FAKE");
        const double load_seconds = seconds_since(start);
        if (real.cols() != fake.cols())
            throw DataError(fmt::format(
                "dimension mismatch: REAL {} has {} columns but FAKE {} has {}; both files must "
                "hold points of the same dimension",
                args->real, real.cols(), args->fake, fake.cols()));

        std::vector<Value> values;
        std::vector<Value> timings;
        for (const std::string& metric : wanted) {
            const auto t0 = std::chrono::steady_clock::now();
            if (metric == "prdc") {
                for (const auto& [path, x] : {std::pair{&args->real, &real}, {&args->fake, &fake}})
                    if (x->rows() < args->k + 1)
                        throw DataError(fmt::format(
                            "{} has {} points; precision/recall with k = {} need at least k + 1 "
                            "= {} points per set; lower --k or give more points",
                            *path, x->rows(), args->k, args->k + 1));
                const PrdcResult r = compute_prdc(real, fake, args->k, args->threads);
                values.insert(values.end(), {{"precision", r.precision},
                                             {"recall", r.recall},
                                             {"density", r.density},
                                             {"coverage", r.coverage}});
            } else if (metric == "frechet") {
                for (const auto& [path, x] : {std::pair{&args->real, &real}, {&args->fake, &fake}})
                    if (x->rows() < 2)
                        throw DataError(fmt::format(
                            "{} has {} point; the Frechet distance needs at least 2 per set", *path,
                            x->rows()));
                values.push_back({"frechet", frechet_distance(real, fake, args->threads)});
            } else {
                KidOptions options;
                options.subsets = args->kid_subsets;
                options.subset_size = args->kid_subset_size;
                options.seed = args->seed;
                options.threads = args->threads;
                const KidResult r = compute_kid(real, fake, options);
                values.insert(values.end(), {{"kid", r.kid}, {"kid_std", r.kid_std}});
            }
            timings.push_back({metric, seconds_since(t0)});
        }

        std::string text;
        if (args->format == "json") {
            nlohmann::ordered_json out;
            out["real"] = {{"path", args->real}, {"points", real.rows()}};
            out["fake"] = {{"path", args->fake}, {"points", fake.rows()}};
            out["dim"] = real.cols();
            out["k"] = args->k;
            out["kid_subsets"] = args->kid_subsets;
            out["kid_subset_size"] = args->kid_subset_size;
            out["seed"] = args->seed;
            out["threads"] = resolve_threads(args->threads);
            nlohmann::ordered_json metrics = nlohmann::ordered_json::object();
            for (const Value& v : values) metrics[v.name] = v.value;
            out["metrics"] = metrics;
            nlohmann::ordered_json secs = nlohmann::ordered_json::object();
            secs["load"] = load_seconds;
            for (const Value& t : timings) secs[t.name] = t.value;
            out["seconds"] = secs;
            out["blas"] = blas_description();
            text = out.dump(2) + "\n";
        } else {
            text =
                fmt::format("real: {} ({} points)\nfake: {} ({} points)\ndim: {}, k: {}\n\n",
                            args->real, real.rows(), args->fake, fake.rows(), real.cols(), args->k);
            for (const Value& v : values) text += fmt::format("{:<10} {:.6g}\n", v.name, v.value);
            text += fmt::format("\nseconds: load {:.3f}", load_seconds);
            for (const Value& t : timings) text += fmt::format(", {} {:.3f}", t.name, t.value);
            text += "\n";
        }
        if (args->out.empty()) {
            std::fwrite(text.data(), 1, text.size(), stdout);
            if (std::fflush(stdout) != 0) throw Error("cannot write to standard output");
        } else {
            write_file_atomically(args->out, text);
        }
        return 0;
    };
}

}  // namespace madlab::cli
