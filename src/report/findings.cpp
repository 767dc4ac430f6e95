#include "madlab/report/findings.h"

#include <cmath>
#include <limits>
#include <map>

#include "madlab/core/statistics.h"
#include "madlab/report/metric_catalog.h"

namespace madlab {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void set_paired_change(const StudyFolder& folder, MetricChange& c) {
    std::map<std::uint64_t, double> first;
    std::map<std::uint64_t, double> last;
    for (const auto& r : folder.records) {
        if (r.setting != c.setting || r.metric != c.metric) continue;
        if (r.generation == 0) first[r.seed] = r.value;
        if (r.generation == c.last_generation) last[r.seed] = r.value;
    }
    std::vector<double> d;
    for (const auto& [seed, v] : last)
        if (const auto it = first.find(seed);
            it != first.end() && std::isfinite(v) && std::isfinite(it->second))
            d.push_back(v - it->second);
    c.pairs = d.size();
    if (d.size() < 2) {
        c.change = c.change_low = c.change_high = kNaN;
        return;
    }
    const double mean = sample_mean(d);
    // t * (sd / sqrt(n)), not ci95_half_width's (t * sd) / sqrt(n): the two can differ in the
    // last bit, and the report's intervals have always been computed this way.
    const double half = student_t_975(d.size() - 1) * standard_error(sample_std(d, mean), d.size());
    c.change = mean;
    c.change_low = mean - half;
    c.change_high = mean + half;
}

Verdict judge(const MetricChange& c, Better better, double material) {
    if (better == Better::kNeither || !std::isfinite(c.change)) return Verdict::kUnknown;
    const double tolerance = material * std::abs(c.first_mean);
    // The whole interval within the tolerance: no change that matters is left possible. Closed
    // bounds, so that a metric at 0 that stays exactly 0 (tolerance 0) holds.
    if (c.change_low >= -tolerance && c.change_high <= tolerance) return Verdict::kHolds;
    const bool up = c.change_low > 0.0;
    const bool down = c.change_high < 0.0;
    const bool large = std::abs(c.change) >= tolerance;
    // Not sure of the direction, or sure of it but not of the size: the seeds cannot tell.
    if (!(up || down) || !large) return Verdict::kInconclusive;
    return (up == (better == Better::kHigher)) ? Verdict::kBetter : Verdict::kWorse;
}

}  // namespace

const char* verdict_name(Verdict v) {
    switch (v) {
        case Verdict::kWorse:
            return "worse";
        case Verdict::kBetter:
            return "better";
        case Verdict::kHolds:
            return "holds";
        case Verdict::kInconclusive:
            return "inconclusive";
        case Verdict::kUnknown:
            break;
    }
    return "";
}

std::vector<MetricChange> final_changes(const StudyFolder& folder,
                                        const std::vector<std::string>& settings,
                                        const std::vector<std::string>& metrics,
                                        const FindingOptions& options) {
    std::vector<MetricChange> out;
    for (const auto& setting : settings) {
        for (const auto& metric : metrics) {
            int last = -1;
            for (const auto& r : folder.summary)
                if (r.setting == setting && r.metric == metric && r.generation > last)
                    last = r.generation;
            const SummaryRow* first_row = find_summary_row(folder, setting, metric, 0);
            const SummaryRow* last_row = find_summary_row(folder, setting, metric, last);
            if (first_row == nullptr || last_row == nullptr) continue;
            MetricChange c;
            c.setting = setting;
            c.metric = metric;
            c.last_generation = last;
            c.first_mean = first_row->mean;
            c.last_mean = last_row->mean;
            c.last_low = clip_to_domain(metric, last_row->ci95_low);
            c.last_high = clip_to_domain(metric, last_row->ci95_high);
            set_paired_change(folder, c);
            c.verdict = last > 0 ? judge(c, metric_info(metric).better, options.material)
                                 : Verdict::kUnknown;
            out.push_back(std::move(c));
        }
    }
    return out;
}

}  // namespace madlab
