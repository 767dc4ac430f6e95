#include "madlab/metrics/metric_registry.h"

#include <fmt/core.h>

#include <map>

#include "madlab/core/error.h"

namespace madlab {

namespace {

// Filled by the registrars during static initialisation (constructed on first use).
std::map<std::string, MetricEntry>& registry() {
    static std::map<std::string, MetricEntry> metrics;
    return metrics;
}

}  // namespace

MetricRegistrar::MetricRegistrar(MetricEntry metric) {
    const std::string name = metric.name;
    if (!registry().emplace(name, std::move(metric)).second)
        throw Error(fmt::format("two metrics are registered as '{}'", name));
}

std::vector<const MetricEntry*> registered_metrics() {
    std::vector<const MetricEntry*> out;
    for (const auto& [name, metric] : registry()) out.push_back(&metric);
    return out;
}

const MetricEntry* find_metric(const std::string& name) {
    const auto it = registry().find(name);
    return it == registry().end() ? nullptr : &it->second;
}

}  // namespace madlab
