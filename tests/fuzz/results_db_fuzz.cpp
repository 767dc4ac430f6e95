// Fuzz target: the records a results database hands back (ResultsDb's readers, used by `show`,
// `export`, `report`, `merge` and `--resume`), from rows whose values anyone with sqlite3 could
// have changed. A database with one study, setting, chain, generation, checkpoint and sample set
// is written once; each input overwrites its row values, then every reader reads them back and
// the summary and samples.json are made from them.
//
// Input: one field a line, in the order of kFields below; a field's first byte says how the
// rest is bound: 'i' integer, 'r' real, 'b' blob, 'n' NULL, anything else text (the rest). A
// missing line leaves its value as written. Seeds: corpus/results_db.
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_input.h"
#include "madlab/core/error.h"
#include "madlab/store/results_db.h"
#include "madlab/store/summary.h"

namespace {

namespace fs = std::filesystem;

// table, column: the values an input sets, in input order (each table has one row).
const std::vector<std::pair<const char*, const char*>> kFields = {
    {"studies", "name"},           {"studies", "status"},
    {"studies", "created_at"},     {"settings", "position"},
    {"settings", "name"},          {"settings", "label"},
    {"settings", "params_json"},   {"chains", "seed"},
    {"chains", "last_generation"}, {"records", "generation"},
    {"records", "position"},       {"records", "metric"},
    {"records", "value"},          {"checkpoints", "generation"},
    {"checkpoints", "state"},      {"samples", "generation"},
    {"samples", "kind"},           {"samples", "columns"},
    {"samples", "data"},
};

std::string scratch(const std::string& name) {
    return (fs::temp_directory_path() / ("madlab-fuzz-" + std::to_string(::getpid()) + "-" + name))
        .string();
}

// The database every input starts from, written once per process.
const std::string& template_db() {
    static const std::string path = [] {
        const std::string p = scratch("template.sqlite");
        fs::remove(p);
        auto db = madlab::ResultsDb::open(p, madlab::ResultsDb::Mode::kReadWrite);
        const auto study = db->add_study({.name = "s", .config_toml = "[study]\nname = \"s\"\n"});
        const auto setting = db->add_setting(
            {.study_id = study, .position = 0, .name = "a", .label = "a", .params_json = "{}"});
        const auto chain = db->add_chain(setting, 3);
        madlab::SampleSet samples{.kind = "model", .columns = 2, .values = {1.0, 2.0, 3.0, 4.0}};
        db->commit_generation({.chain_id = chain,
                               .generation = 0,
                               .values = {{"recall", 0.5}},
                               .checkpoint = "MADCHK01",
                               .samples = {samples}});
        return p;
    }();
    return path;
}

void bind_field(sqlite3_stmt* statement, std::string_view field) {
    const char type = field.empty() ? 't' : field[0];
    const std::string rest(field.empty() ? field : field.substr(1));
    switch (type) {
        case 'i':
            sqlite3_bind_int64(statement, 1, std::strtoll(rest.c_str(), nullptr, 10));
            break;
        case 'r':
            sqlite3_bind_double(statement, 1, std::strtod(rest.c_str(), nullptr));
            break;
        case 'b':
            sqlite3_bind_blob64(statement, 1, rest.data(), rest.size(), SQLITE_TRANSIENT);
            break;
        case 'n':
            sqlite3_bind_null(statement, 1);
            break;
        default:
            sqlite3_bind_text64(statement, 1, rest.data(), rest.size(), SQLITE_TRANSIENT,
                                SQLITE_UTF8);
    }
}

// Overwrites the template's values with the input's fields.
void write_fields(const std::string& path, std::string_view input) {
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) std::abort();
    for (const auto& [table, column] : kFields) {
        if (input.empty()) break;
        const auto end = input.find('\n');
        const std::string_view field = input.substr(0, end);
        input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
        const std::string sql = std::string("UPDATE ") + table + " SET " + column + " = ?1";
        sqlite3_stmt* statement = nullptr;
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) std::abort();
        bind_field(statement, field);
        sqlite3_step(statement);  // a NOT NULL or UNIQUE violation leaves the value as it was
        sqlite3_finalize(statement);
    }
    sqlite3_close(db);
}

void read_everything(const madlab::ResultsDb& db) {
    for (const auto& study : db.studies()) {
        db.study(study.id);
        db.metrics(study.id);
        db.samples(study.id);
        madlab::samples_file_text(db.samples(study.id));  // as samples.json is written
        madlab::summarize_study(db, study.id);
        for (const auto& setting : db.settings(study.id)) {
            for (const auto& chain : db.chains(setting.id)) db.checkpoint(chain.id);
            db.generation_records(setting.id, 0);
        }
    }
    const auto records = db.records({});
    madlab::summarize(records);
    db.record_rows({});
    db.visit_records({}, [](const madlab::Record&) {});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = scratch("input.sqlite");
    fs::copy_file(template_db(), path, fs::copy_options::overwrite_existing);
    write_fields(path, std::string_view(reinterpret_cast<const char*>(data), size));
    try {
        auto db = madlab::ResultsDb::open(path, madlab::ResultsDb::Mode::kReadOnly);
        read_everything(*db);
    } catch (const madlab::Error&) {
    }
    return 0;
}
