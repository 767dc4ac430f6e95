#pragma once
// The registry of the metrics of vectors and images that a study lists in metrics.list: one
// extension point, filled by the metrics themselves. A metric registers itself in its own source
// file with a MetricRegistrar: its name, one line of help, a declarative table of its config
// keys (metrics.<key>: type, default, range, help) and a factory. As for model families
// (models/model_registry.h), the table drives the study reader, config.toml and `madlab keys`,
// so adding a metric needs no edit anywhere else; madlab_metrics is linked as a whole archive.
//
// The metrics of text studies are fixed (a text study reports all of them) and the collapse
// indicator is always computed; neither is listed here.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "madlab/core/config_key.h"
#include "madlab/metrics/metric.h"

namespace madlab {

struct MetricEntry {
    std::string name;  // its name in metrics.list
    std::string help;  // one line: what it measures and the values it records
    std::vector<ConfigKey> keys;
    // Builds the metric from the values of its keys; `threads` is what it may use inside one
    // chain (results never depend on it).
    std::function<std::unique_ptr<Metric>(const Params&, int threads)> make;
    // Checks beyond one key's range, given the study's sample sizes (metrics.n_eval, n_test);
    // throws ConfigError whose message starts with the key at fault. Optional.
    std::function<void(const Params&, std::size_t n_eval, std::size_t n_test)> check;
};

// Registers `metric` when constructed (a static object in the metric's source file). Throws
// Error at start-up if a metric of that name is already registered.
class MetricRegistrar {
public:
    explicit MetricRegistrar(MetricEntry metric);
};

// The registered metrics, sorted by name.
std::vector<const MetricEntry*> registered_metrics();
// The metric of that name, or nullptr.
const MetricEntry* find_metric(const std::string& name);

}  // namespace madlab
