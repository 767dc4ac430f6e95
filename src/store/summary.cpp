#include "madlab/store/summary.h"

#include <algorithm>
#include <map>
#include <numeric>

#include "madlab/core/statistics.h"
#include "madlab/store/results_db.h"

namespace madlab {

namespace {

SummaryRow summary_row(const std::string& setting, int generation, const std::string& metric,
                       const std::vector<double>& values) {
    SummaryRow row;
    row.setting = setting;
    row.generation = generation;
    row.metric = metric;
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
    return row;
}

// Builds the summary one (setting, generation) block at a time, so that only one block's
// values are in memory: begin_block, add every value of the block, end_block. A block's rows
// are ordered by metric, in the order the metrics first appeared in any block so far.
class SummaryBuilder {
public:
    void begin_block(const std::string& setting, int generation) {
        setting_ = setting;
        generation_ = generation;
        values_.clear();
    }

    void add(const std::string& metric, double value) {
        const std::size_t order = metric_order_.emplace(metric, metric_order_.size()).first->second;
        auto it = std::find_if(values_.begin(), values_.end(),
                               [&](const auto& entry) { return entry.first == order; });
        if (it == values_.end()) {
            values_.push_back({order, {metric, {}}});
            it = values_.end() - 1;
        }
        it->second.second.push_back(value);
    }

    void end_block() {
        std::sort(values_.begin(), values_.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
        const std::size_t first = rows_.size();
        double collapsed = 0.0;
        for (const auto& [order, entry] : values_) {
            rows_.push_back(summary_row(setting_, generation_, entry.first, entry.second));
            if (entry.first == "collapsed") collapsed = rows_.back().mean;
        }
        // The collapsed fraction of a (setting, generation) is the mean of its "collapsed" row.
        for (std::size_t i = first; i < rows_.size(); ++i) rows_[i].collapsed_fraction = collapsed;
        values_.clear();
    }

    std::vector<SummaryRow> take_rows() { return std::move(rows_); }

private:
    std::map<std::string, std::size_t> metric_order_;
    std::string setting_;
    int generation_ = 0;
    // The block's values: (metric order, (metric, values in arrival order)).
    std::vector<std::pair<std::size_t, std::pair<std::string, std::vector<double>>>> values_;
    std::vector<SummaryRow> rows_;
};

}  // namespace

std::vector<SummaryRow> summarize(const std::vector<Record>& records) {
    std::map<std::string, std::size_t> setting_order;
    for (const auto& r : records) setting_order.emplace(r.setting, setting_order.size());
    // The records in (setting, generation) blocks, each block in its original order.
    std::vector<std::size_t> order(records.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return std::pair(setting_order[records[a].setting], records[a].generation) <
               std::pair(setting_order[records[b].setting], records[b].generation);
    });
    SummaryBuilder builder;
    for (std::size_t i = 0; i < order.size(); ++i) {
        const Record& r = records[order[i]];
        if (i == 0 || r.setting != records[order[i - 1]].setting ||
            r.generation != records[order[i - 1]].generation)
            builder.begin_block(r.setting, r.generation);
        builder.add(r.metric, r.value);
        if (i + 1 == order.size() || records[order[i + 1]].setting != r.setting ||
            records[order[i + 1]].generation != r.generation)
            builder.end_block();
    }
    return builder.take_rows();
}

std::vector<SummaryRow> summarize_study(const ResultsDb& db, std::int64_t study_id) {
    SummaryBuilder builder;
    for (const SettingRow& setting : db.settings(study_id)) {
        for (const int g : db.record_generations(setting.id)) {
            const std::vector<Record> block = db.generation_records(setting.id, g);
            if (block.empty()) continue;
            builder.begin_block(setting.name, g);
            for (const Record& r : block) builder.add(r.metric, r.value);
            builder.end_block();
        }
    }
    return builder.take_rows();
}

}  // namespace madlab
