#include "madlab/store/summary.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "madlab/core/statistics.h"

namespace madlab {

std::vector<SummaryRow> summarize(const std::vector<Record>& records) {
    // Keep first-appearance order of settings and metrics.
    std::map<std::string, std::size_t> setting_order, metric_order;
    for (const auto& r : records) {
        setting_order.emplace(r.setting, setting_order.size());
        metric_order.emplace(r.metric, metric_order.size());
    }
    using Key = std::tuple<std::size_t, int, std::size_t>;
    std::map<Key, std::vector<double>> groups;
    std::map<Key, std::pair<std::string, std::string>> names;
    for (const auto& r : records) {
        const Key key{setting_order[r.setting], r.generation, metric_order[r.metric]};
        groups[key].push_back(r.value);
        names.emplace(key, std::make_pair(r.setting, r.metric));
    }
    std::vector<SummaryRow> rows;
    rows.reserve(groups.size());
    for (const auto& [key, values] : groups) {
        SummaryRow row;
        row.setting = names[key].first;
        row.generation = std::get<1>(key);
        row.metric = names[key].second;
        row.count = values.size();
        row.mean = sample_mean(values);
        row.std = sample_std(values, row.mean);
        const double half = ci95_half_width(row.std, values.size());
        std::vector<double> sorted = values;
        std::sort(sorted.begin(), sorted.end());
        const std::size_t mid = sorted.size() / 2;
        row.median = sorted.size() % 2 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
        row.ci95_low = row.mean - half;
        row.ci95_high = row.mean + half;
        rows.push_back(row);
    }
    // The collapsed fraction of each (setting, generation) is the mean of its "collapsed" row.
    std::map<std::pair<std::string, int>, double> collapsed;
    for (const auto& row : rows)
        if (row.metric == "collapsed") collapsed[{row.setting, row.generation}] = row.mean;
    for (auto& row : rows) {
        auto it = collapsed.find({row.setting, row.generation});
        if (it != collapsed.end()) row.collapsed_fraction = it->second;
    }
    return rows;
}

}  // namespace madlab
