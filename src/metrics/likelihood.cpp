#include "madlab/metrics/likelihood.h"

#include "madlab/metrics/metric_registry.h"

namespace madlab {
namespace {

const MetricRegistrar kNllMetric({
    .name = "nll",
    .help = "mean negative log-density of the test set under the model, in nats, for families "
            "with a density (records nll)",
    .make = [](const Params&, int) { return std::unique_ptr<Metric>(new NllMetric()); },
});

}  // namespace
}  // namespace madlab
