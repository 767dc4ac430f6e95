#include "madlab/metrics/metric_registry.h"

#include "madlab/core/registry.h"

namespace madlab {

MetricRegistrar::MetricRegistrar(MetricEntry metric) {
    Registry<MetricEntry>::add(std::move(metric), "metric");
}

std::vector<const MetricEntry*> registered_metrics() { return Registry<MetricEntry>::all(); }

const MetricEntry* find_metric(const std::string& name) {
    return Registry<MetricEntry>::find(name);
}

}  // namespace madlab
