// `madlab show DB`: per study, a table per metric with the settings as rows and generations as
// columns, each cell the mean over seeds and the half-width of its 95% confidence interval.
// Also home of the selection options shared with `madlab export`.

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "command_line.h"
#include "commands.h"
#include "madlab/core/error.h"
#include "madlab/report/metric_catalog.h"
#include "madlab/store/results_db.h"
#include "madlab/store/run_folder.h"
#include "madlab/store/summary.h"

namespace madlab::cli {

namespace {

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
    return out.empty() ? "(none)" : out;
}

template <class T>
bool contains(const std::vector<T>& items, const T& item) {
    return std::find(items.begin(), items.end(), item) != items.end();
}

// Columns a string takes on a terminal: UTF-8 continuation bytes take none.
std::size_t display_width(const std::string& text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

std::string pad_right(const std::string& text, std::size_t width) {
    const std::size_t w = display_width(text);
    return w >= width ? text : text + std::string(width - w, ' ');
}

std::string pad_left(const std::string& text, std::size_t width) {
    const std::size_t w = display_width(text);
    return w >= width ? text : std::string(width - w, ' ') + text;
}

// A table of text cells; the first column (and `left_too`, if any) is left-aligned, the others
// right-aligned.
std::string format_table(const std::vector<std::vector<std::string>>& rows,
                         std::size_t left_too = 0) {
    std::vector<std::size_t> widths;
    for (const auto& row : rows)
        for (std::size_t c = 0; c < row.size(); ++c) {
            if (widths.size() <= c) widths.push_back(0);
            widths[c] = std::max(widths[c], display_width(row[c]));
        }
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t c = 0; c < row.size(); ++c) {
            line += "  ";
            const bool left = c == 0 || (left_too != 0 && c == left_too);
            line += left ? pad_right(row[c], widths[c]) : pad_left(row[c], widths[c]);
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    return out;
}

// "0.9512 ± 0.0041": the half-width with two significant digits and the mean to the same
// decimal place; "%.4g" where that would take too many digits. The interval is left out with a
// single seed, and the number of seeds is added when fewer than all the setting's chains have a
// value.
std::string format_cell(const SummaryRow& row, std::size_t chains) {
    const double half = (row.ci95_high - row.ci95_low) / 2.0;
    std::string cell;
    if (row.count <= 1 || !std::isfinite(row.mean)) {
        cell = fmt::format("{:.4g}", row.mean);
    } else if (!(half > 0.0) || !std::isfinite(half)) {
        cell = fmt::format("{:.4g} ± {:.2g}", row.mean, half);
    } else {
        const int decimals = std::max(0, 1 - static_cast<int>(std::floor(std::log10(half))));
        if (decimals <= 8 && std::abs(row.mean) < 1e7)
            cell = fmt::format("{:.{}f} ± {:.{}f}", row.mean, decimals, half, decimals);
        else
            cell = fmt::format("{:.4g} ± {:.2g}", row.mean, half);
    }
    if (row.count < chains) cell += fmt::format(" (n={})", row.count);
    return cell;
}

// The metrics shown by default: the headline quality / diversity metrics when present, else
// every metric but the bookkeeping ones.
std::vector<std::string> default_metrics(const std::vector<std::string>& present) {
    std::vector<std::string> shown;
    for (const char* m : {"precision", "recall", "coverage", "frechet"})
        if (contains(present, std::string(m))) shown.push_back(m);
    if (!shown.empty()) return shown;
    for (const auto& m : present)
        if (!is_bookkeeping_metric(m)) shown.push_back(m);
    return shown;
}

struct ShowArguments {
    RecordSelection selection;
};

// The output folder whose run.json links to study `study_id` of `db`, for the resume hint:
// the database's own folder when it is a run's DIR/results.sqlite; "DIR" when unknown.
std::string run_folder_of(const ResultsDb& db, std::int64_t study_id) {
    const std::string dir = std::filesystem::path(db.path()).parent_path().string();
    try {
        const auto link = RunFolder(dir.empty() ? "." : dir).read_run_link();
        if (link && link->study_id == study_id && std::filesystem::equivalent(link->db, db.path()))
            return dir.empty() ? "." : dir;
    } catch (const std::exception&) {
    }
    return "DIR";
}

// A study's status as `show` prints it: "running" only while a writer is alive (the writer
// lock, has_live_writer); a study left "running" or "interrupted" says how to continue.
std::string shown_status(const ResultsDb& db, const StudyRow& study) {
    const bool killed = study.status == "running" && !has_live_writer(db.path());
    if (!killed && study.status != "interrupted") return study.status;
    return fmt::format("interrupted ({}; continue it with `madlab run --resume {}`)",
                       killed ? "the run that wrote it is gone" : "stopped by a signal",
                       run_folder_of(db, study.id));
}

// Everything `show` prints for one study.
std::string show_study(const ResultsDb& db, const StudyRow& study,
                       const RecordSelection& selection) {
    std::vector<SettingRow> settings;
    for (auto& s : db.settings(study.id))
        if (selection.settings.empty() || contains(selection.settings, s.name))
            settings.push_back(std::move(s));
    std::map<std::string, std::vector<ChainRow>> chains;
    std::size_t chain_count = 0;
    int last = -1;
    for (const auto& s : settings) {
        chains[s.name] = db.chains(s.id);
        chain_count += chains[s.name].size();
        for (const auto& c : chains[s.name]) last = std::max(last, c.last_generation);
    }

    std::string out =
        fmt::format("study '{}' (id {}): {}, created {}, madlab {}; {} setting{}, {} chain{}\n",
                    study.name, study.id, shown_status(db, study), study.created_at,
                    study.madlab_version.empty() ? "?" : study.madlab_version, settings.size(),
                    settings.size() == 1 ? "" : "s", chain_count, chain_count == 1 ? "" : "s");
    if (last < 0) return out + "  no generation committed yet\n";

    const std::vector<std::string> present = db.metrics(study.id);
    std::vector<std::string> metrics;
    if (selection.metrics.empty()) {
        metrics = default_metrics(present);
    } else {
        for (const auto& m : selection.metrics)
            if (contains(present, m)) metrics.push_back(m);
    }
    std::vector<int> generations;
    if (selection.generations.empty()) {
        for (int g : {0, 1, 5, 10, last})
            if (g <= last && !contains(generations, g)) generations.push_back(g);
    } else {
        generations = selection.generations;
        std::sort(generations.begin(), generations.end());
        generations.erase(std::unique(generations.begin(), generations.end()), generations.end());
    }

    // The records of one metric at the generations shown, for the selected settings.
    auto metric_records = [&](const std::string& metric) {
        RecordFilter filter = selection_filter(selection, study.id);
        filter.metric = metric;  // may be "collapsed", which --metric need not name
        if (generations.size() == 1) filter.generation = generations[0];
        std::vector<Record> records = db.records(filter);
        std::erase_if(records, [&](const Record& r) {
            return !(selection.settings.empty() || contains(selection.settings, r.setting)) ||
                   !contains(generations, r.generation);
        });
        return records;
    };
    // Summaries of one metric over seeds, keyed by (setting, generation).
    auto summaries = [&](const std::string& metric) {
        std::map<std::pair<std::string, int>, SummaryRow> out;
        for (auto& row : summarize(metric_records(metric)))
            out[{row.setting, row.generation}] = std::move(row);
        return out;
    };

    // Overview: one row per setting with its seeds, progress and, when the study records
    // "collapsed" (1 for a chain that has collapsed), the chains collapsed at the last
    // generation shown, as "collapsed/with a value".
    const bool has_collapsed = contains(present, std::string("collapsed"));
    const int last_shown = generations.back();
    std::map<std::string, std::pair<int, int>> collapsed;  // setting -> (collapsed, chains)
    if (has_collapsed)
        for (const auto& r : metric_records("collapsed"))
            if (r.generation == last_shown) {
                collapsed[r.setting].first += r.value >= 0.5 ? 1 : 0;
                collapsed[r.setting].second += 1;
            }
    bool labels = false;
    for (const auto& s : settings) labels = labels || (!s.label.empty() && s.label != s.name);
    std::vector<std::vector<std::string>> overview;
    overview.push_back({"setting", "seeds", "last gen"});
    if (has_collapsed) overview.back().push_back(fmt::format("collapsed@{}", last_shown));
    for (const auto& s : settings) {
        const auto& cs = chains[s.name];
        int lo = cs.empty() ? -1 : cs.front().last_generation, hi = lo;
        for (const auto& c : cs) {
            lo = std::min(lo, c.last_generation);
            hi = std::max(hi, c.last_generation);
        }
        std::vector<std::string> row = {s.name, fmt::format("{}", cs.size()),
                                        lo < 0 && hi < 0 ? "-"
                                        : lo == hi       ? fmt::format("{}", hi)
                                                         : fmt::format("{}-{}", lo, hi)};
        if (has_collapsed) {
            auto it = collapsed.find(s.name);
            row.push_back(it == collapsed.end()
                              ? "-"
                              : fmt::format("{}/{}", it->second.first, it->second.second));
        }
        overview.push_back(std::move(row));
    }
    if (labels) {
        overview[0].push_back("label");
        for (std::size_t i = 0; i < settings.size(); ++i)
            overview[i + 1].push_back(settings[i].label);
    }
    out += format_table(overview, labels ? overview[0].size() - 1 : 0);

    if (metrics.empty()) {
        out +=
            fmt::format("  none of the selected metrics is recorded; metrics: {}\n", join(present));
        return out;
    }
    out += "\n  mean ± half-width of the 95% confidence interval over seeds";
    out += " ((n=k): only k seeds have a value)\n";
    for (const auto& metric : metrics) {
        const auto rows = summaries(metric);
        std::vector<std::vector<std::string>> table;
        table.push_back({metric});
        for (int g : generations) table.back().push_back(fmt::format("gen {}", g));
        for (const auto& s : settings) {
            std::vector<std::string> row = {s.name};
            for (int g : generations) {
                auto it = rows.find({s.name, g});
                row.push_back(it == rows.end() ? "-"
                                               : format_cell(it->second, chains[s.name].size()));
            }
            table.push_back(std::move(row));
        }
        out += "\n" + format_table(table);
    }
    return out;
}

}  // namespace

void add_selection_options(CLI::App& command, RecordSelection& selection) {
    command
        .add_option("db", selection.db,
                    "Results database (`madlab run` writes DIR/results.sqlite, or --db FILE)")
        ->required();
    command.add_option("--study", selection.study,
                       "Only the studies of this name (or this id); default: all");
    command
        .add_option("--setting", selection.settings,
                    "Only these settings (by name; repeat or separate with commas)")
        ->delimiter(',');
    command.add_option("--metric", selection.metrics, "Only these metrics (repeat or use commas)")
        ->delimiter(',');
    command
        .add_option("--generation,-g", selection.generations,
                    "Only these generations (repeat or use commas)")
        ->delimiter(',')
        ->check(whole_number(0));
}

std::vector<StudyRow> select_studies(const ResultsDb& db, const RecordSelection& selection) {
    const std::vector<StudyRow> all = db.studies();
    std::vector<StudyRow> studies;
    if (selection.study.empty()) {
        studies = all;
    } else {
        for (const auto& s : all)
            if (s.name == selection.study) studies.push_back(s);
        std::int64_t id = 0;
        const auto& text = selection.study;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
        if (studies.empty() && ec == std::errc() && end == text.data() + text.size())
            for (const auto& s : all)
                if (s.id == id) studies.push_back(s);
        if (studies.empty()) {
            std::vector<std::string> names;
            for (const auto& s : all) names.push_back(fmt::format("'{}' (id {})", s.name, s.id));
            throw ConfigError(
                fmt::format("--study: no study '{}' in results database '{}'; it holds: {}",
                            selection.study, db.path(), join(names)));
        }
    }
    if (!selection.settings.empty()) {
        std::vector<std::string> names;
        for (const auto& s : studies)
            for (const auto& setting : db.settings(s.id))
                if (!contains(names, setting.name)) names.push_back(setting.name);
        for (const auto& wanted : selection.settings)
            if (!contains(names, wanted))
                throw ConfigError(
                    fmt::format("--setting: no setting '{}' in the selected studies of '{}'; "
                                "settings: {}",
                                wanted, db.path(), join(names)));
    }
    if (!selection.metrics.empty()) {
        std::vector<std::string> names;
        for (const auto& s : studies)
            for (const auto& metric : db.metrics(s.id))
                if (!contains(names, metric)) names.push_back(metric);
        for (const auto& wanted : selection.metrics)
            if (!contains(names, wanted))
                throw ConfigError(fmt::format(
                    "--metric: no metric '{}' in the selected studies of '{}'; metrics: {}", wanted,
                    db.path(), join(names)));
    }
    if (!selection.generations.empty()) {
        int last = -1;  // the last generation any chain of the selected studies committed
        for (const auto& s : studies)
            for (const auto& setting : db.settings(s.id))
                for (const auto& chain : db.chains(setting.id))
                    last = std::max(last, chain.last_generation);
        for (int wanted : selection.generations)
            if (wanted < 0 || wanted > last)
                throw ConfigError(fmt::format(
                    "--generation: no generation {} in the selected studies of '{}'; {}", wanted,
                    db.path(),
                    last < 0 ? std::string("no generation is committed yet")
                             : fmt::format("generations 0..{} are recorded", last)));
    }
    return studies;
}

RecordFilter selection_filter(const RecordSelection& selection, std::int64_t study_id) {
    RecordFilter filter;
    filter.study_id = study_id;
    if (selection.settings.size() == 1) filter.setting = selection.settings[0];
    if (selection.metrics.size() == 1) filter.metric = selection.metrics[0];
    if (selection.generations.size() == 1) filter.generation = selection.generations[0];
    return filter;
}

bool selected(const RecordSelection& selection, const std::string& setting,
              const std::string& metric, int generation) {
    return (selection.settings.empty() || contains(selection.settings, setting)) &&
           (selection.metrics.empty() || contains(selection.metrics, metric)) &&
           (selection.generations.empty() || contains(selection.generations, generation));
}

Action add_show_command(CLI::App& app) {
    auto args = std::make_shared<ShowArguments>();
    CLI::App* show = app.add_subcommand(
        "show",
        "Summarise a results database: per study and metric, a table with the settings as rows\n"
        "and generations as columns (default 0, 1, 5, 10 and the last), each cell the mean over\n"
        "seeds +- the half-width of its 95% confidence interval. Default metrics: precision,\n"
        "recall, coverage and frechet when recorded, else all. Safe while a run is writing.");
    add_selection_options(*show, args->selection);

    return [args]() -> int {
        const auto db = ResultsDb::open(args->selection.db, ResultsDb::Mode::kReadOnly);
        const auto studies = select_studies(*db, args->selection);
        if (studies.empty()) {
            fmt::print("results database '{}' holds no study yet\n", db->path());
            return 0;
        }
        std::string out;
        for (const auto& study : studies)
            out += (out.empty() ? "" : "\n") + show_study(*db, study, args->selection);
        fmt::print("{}", out);
        return 0;
    };
}

}  // namespace madlab::cli
