#include "madlab/store/summary.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

namespace madlab {

double student_t_975(std::size_t df) {
    static const double table[] = {0,      12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646,
                                   2.3060, 2.2622,  2.2281, 2.2010, 2.1788, 2.1604, 2.1448, 2.1314,
                                   2.1199, 2.1098,  2.1009, 2.0930, 2.0860, 2.0796, 2.0739, 2.0687,
                                   2.0639, 2.0595,  2.0555, 2.0518, 2.0484, 2.0452, 2.0423};
    if (df == 0) return 0.0;
    if (df <= 30) return table[df];
    // Cornish-Fisher expansion of t around the normal quantile z (Abramowitz & Stegun 26.7.5).
    const double z = 1.959963984540054;
    const double n = static_cast<double>(df);
    const double z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z;
    return z + (z3 + z) / (4 * n) + (5 * z5 + 16 * z3 + 3 * z) / (96 * n * n) +
           (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * n * n * n);
}

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
        double sum = 0.0;
        for (double v : values) sum += v;
        row.mean = sum / values.size();
        double squares = 0.0;
        for (double v : values) squares += (v - row.mean) * (v - row.mean);
        row.std = values.size() > 1 ? std::sqrt(squares / (values.size() - 1)) : 0.0;
        const double half = values.size() > 1 ? student_t_975(values.size() - 1) * row.std /
                                                    std::sqrt(static_cast<double>(values.size()))
                                              : 0.0;
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
