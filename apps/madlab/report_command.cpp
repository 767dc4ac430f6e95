#include <fmt/core.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "command_line.h"
#include "commands.h"
#include "madlab/core/atomic_file.h"
#include "madlab/core/error.h"
#include "madlab/report/compare_report.h"
#include "madlab/report/figures.h"
#include "madlab/report/html_report.h"
#include "madlab/report/image_grid.h"
#include "madlab/store/database_study.h"
#include "madlab/store/results_db.h"
#include "madlab/store/run_folder.h"

namespace madlab::cli {

namespace {

namespace fs = std::filesystem;

struct ReportArguments {
    std::vector<std::string> sources;  // output folders, or one results database
    std::vector<std::string> studies;  // --study: the database's studies to report
    std::string out;
    std::string figures;
    double scale = 2.0;
    bool svg_only = false;
};

// DIR/report.html or --out for one study, and with --figures its charts as files.
int report_study(const StudyFolder& folder, const std::string& path, const ReportArguments& args) {
    write_report(folder, path);
    fmt::print("report: {}\n", path);
    if (!args.figures.empty()) {
        // Image samples first: plain C++, no node or browser needed.
        const auto grids = write_image_grids(folder, args.figures);
        if (!grids.empty())
            fmt::print("figures: {} image grids in {} (PNG)\n", grids.size(), args.figures);
        FigureOptions options;
        options.png_scale = args.scale;
        options.png = !args.svg_only;
        const auto ids = write_figures(folder, args.figures, {}, options);
        fmt::print("figures: {} charts in {} ({})\n", ids.size(), args.figures,
                   args.svg_only ? "SVG" : "SVG and PNG");
    }
    return 0;
}

// The page comparing `studies` at `path`.
int compare_studies(const std::vector<StudyFolder>& studies, const std::string& path) {
    write_file_atomically(path, render_comparison(studies));
    fmt::print("report: {} ({} studies)\n", path, studies.size());
    return 0;
}

// Several folders: one page comparing them, DIR_A/compare.html unless --out.
int compare_folders(const ReportArguments& args) {
    if (!args.figures.empty()) throw ConfigError("--figures takes one study folder, not several");
    std::vector<StudyFolder> studies;
    for (const auto& dir : args.sources) studies.push_back(RunFolder(dir).read());
    return compare_studies(studies, args.out.empty()
                                        ? (fs::path(args.sources.front()) / "compare.html").string()
                                        : args.out);
}

// The studies of `db` to report: those --study names (each as `madlab show --study` selects
// them: every study of that name, or the study of that id), or else every finished one. Throws
// ConfigError for a --study that names nothing, DataError for a chosen study that is not
// finished and for a database without a finished study.
std::vector<StudyRow> chosen_studies(const ResultsDb& db, const std::vector<std::string>& names) {
    std::vector<StudyRow> chosen;
    for (const auto& name : names) {
        RecordSelection selection;
        selection.study = name;
        for (auto& study : select_studies(db, selection)) {
            if (study.status != "finished")
                throw DataError(fmt::format(
                    "--study {}: study '{}' (id {}) of results database '{}' is {}, not "
                    "finished; report it once its run has finished (`madlab run --resume DIR` "
                    "continues a stopped one), or leave it out of --study",
                    name, study.name, study.id, db.path(), study.status));
            bool seen = false;
            for (const auto& c : chosen) seen = seen || c.id == study.id;
            if (!seen) chosen.push_back(std::move(study));
        }
    }
    if (!names.empty()) return chosen;
    std::string others;
    for (auto& study : db.studies()) {
        if (study.status == "finished") {
            chosen.push_back(std::move(study));
            continue;
        }
        others += fmt::format("{}'{}' (id {}) is {}", others.empty() ? "" : ", ", study.name,
                              study.id, study.status);
    }
    if (chosen.empty())
        throw DataError(fmt::format(
            "results database '{}' holds no finished study ({}); run one into it with `madlab "
            "run STUDY.toml --db {}`, or finish a stopped one with `madlab run --resume DIR`",
            db.path(), others.empty() ? "it holds no study" : others, db.path()));
    if (!others.empty()) fmt::print("report: left out the unfinished studies: {}\n", others);
    return chosen;
}

// The results database `path` (a file of args.sources): the page comparing its studies
// (DB.compare.html next to it unless --out), or with one study that study's page
// (DB.report.html).
int report_database(const ReportArguments& args, const std::string& path) {
    if (args.sources.size() > 1)
        throw ConfigError(fmt::format(
            "'{}' is a file (a results database) given with other paths; madlab report takes "
            "output folders (DIR_A DIR_B ...) or one results database (with --study to choose "
            "its studies), not both",
            path));
    if (!is_sqlite_file(path))
        throw DataError(fmt::format(
            "'{}' is neither an output folder nor a results database (it is not a SQLite file); "
            "give madlab report the output folder of `madlab run`, or the database it wrote "
            "(DIR/results.sqlite, or the file given with --db)",
            path));
    const auto db = ResultsDb::open(path, ResultsDb::Mode::kReadOnly);
    std::vector<StudyFolder> studies;
    for (const auto& study : chosen_studies(*db, args.studies))
        studies.push_back(read_database_study(*db, study.id));
    const auto next_to_db = [&](const char* suffix) {
        return args.out.empty() ? fs::path(path).replace_extension(suffix).string() : args.out;
    };
    if (studies.size() == 1) return report_study(studies.front(), next_to_db(".report.html"), args);
    if (!args.figures.empty())
        throw ConfigError(fmt::format(
            "--figures takes one study, and '{}' holds {} finished studies; choose one with "
            "--study NAME_OR_ID",
            path, studies.size()));
    return compare_studies(studies, next_to_db(".compare.html"));
}

}  // namespace

// `madlab report DIR [DIR...] | DB [--study S...] [--out FILE] [--figures FIGDIR]`
Action add_report_command(CLI::App& app) {
    auto args = std::make_shared<ReportArguments>();
    CLI::App* cmd = app.add_subcommand(
        "report",
        "Write DIR/report.html for the output folder of `madlab run`, `threshold` or\n"
        "`decompose`: one self-contained page (charts inlined, no network needed) with the\n"
        "study's question, verdicts per setting, final values, every metric against generation\n"
        "with its 95% band, the quality-diversity plane, samples, and the analyses' charts.\n"
        "With --figures, also every chart as SVG and PNG for papers (needs node and chromium),\n"
        "and image samples as one PNG grid per setting (and a labelled SVG).\n"
        "With several folders (DIR_A DIR_B ...): one page comparing the studies on the metrics\n"
        "they share (DIR_A/compare.html unless --out).\n"
        "With a results database (DB, e.g. lab.sqlite of `madlab run --db lab.sqlite`): the same\n"
        "page comparing its finished studies, or those chosen with --study (DB.compare.html next\n"
        "to it unless --out); with one study, that study's page (DB.report.html).\n"
        "See docs/report.md.");
    cmd->add_option("dir", args->sources,
                    "Output folder of a madlab run or analysis; several: compare them. Or a "
                    "results database: compare its studies")
        ->required()
        ->check(CLI::ExistingPath);
    cmd->add_option("--study", args->studies,
                    "With a results database: only this study (a name: every study of that "
                    "name; or an id, as `madlab show` prints it); repeat for several")
        ->allow_extra_args(false);
    cmd->add_option("--out,-o", args->out, "Page to write (default: DIR/report.html)");
    cmd->add_option("--figures", args->figures,
                    "Also write every chart as FIGDIR/<chart>.svg and .png (Vega's renderer via "
                    "node and headless chromium)");
    cmd->add_option("--scale", args->scale, "PNG pixels per chart pixel (default 2)")
        ->check(CLI::PositiveNumber);
    cmd->add_flag("--svg-only", args->svg_only, "With --figures: SVG only, no chromium needed");

    return [args]() -> int {
        if (!args->out.empty()) check_output_file("--out", args->out);
        for (const auto& source : args->sources)
            if (!fs::is_directory(source)) return report_database(*args, source);
        if (!args->studies.empty())
            throw ConfigError(
                "--study chooses studies of a results database; give the database (madlab report "
                "lab.sqlite --study NAME), or the output folders of the studies");
        if (args->sources.size() > 1) return compare_folders(*args);
        const RunFolder run_folder(args->sources.front());
        run_folder.remove_stale_temporaries();  // of writers killed in this folder
        const std::string path = args->out.empty() ? run_folder.report_path() : args->out;
        return report_study(run_folder.read(), path, *args);
    };
}

}  // namespace madlab::cli
