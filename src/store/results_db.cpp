// The SQLite results database (see results_db.h and docs/database.md for the schema).
//
// Everything SQLite-specific stays in this file: thin RAII wrappers over the C API (connection,
// prepared statement, transaction), the writer lock, and SqliteResultsDb, the one implementation
// of ResultsDb.

#include "madlab/store/results_db.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>

#include "madlab/core/error.h"

namespace madlab {

namespace {

// "MADL" in ASCII: PRAGMA application_id marks a file as a madlab results database, so that any
// other SQLite file is refused instead of being written into.
constexpr std::int32_t kApplicationId = 0x4D41444C;
// PRAGMA user_version of the schema this code writes; see docs/database.md for the history.
constexpr int kSchemaVersion = 3;
// How long a statement waits for a lock held by another connection (a reader checkpointing, a
// second process reading) before failing with SQLITE_BUSY.
constexpr int kBusyTimeoutMs = 10000;

// The schema (version 1 plus kSamplesTable and kParametersTable), created in one transaction.
// `value` has no declared type on purpose: a REAL column would store -0.0 as the integer 0; without
// a type SQLite keeps the 8-byte IEEE double exactly as bound (typeof(value) is still 'real').
constexpr const char* kSchema = R"sql(
CREATE TABLE studies (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,
    config_toml    TEXT NOT NULL DEFAULT '',
    config_json    TEXT NOT NULL DEFAULT '',
    madlab_version TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    status         TEXT NOT NULL DEFAULT 'running'
);
CREATE TABLE settings (
    id          INTEGER PRIMARY KEY,
    study_id    INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    name        TEXT NOT NULL,
    label       TEXT NOT NULL DEFAULT '',
    params_json TEXT NOT NULL DEFAULT '{}',
    UNIQUE (study_id, name)
);
CREATE INDEX settings_by_position ON settings(study_id, position);
CREATE TABLE chains (
    id              INTEGER PRIMARY KEY,
    setting_id      INTEGER NOT NULL REFERENCES settings(id) ON DELETE CASCADE,
    seed            INTEGER NOT NULL,
    last_generation INTEGER NOT NULL DEFAULT -1,
    UNIQUE (setting_id, seed)
);
CREATE TABLE records (
    chain_id   INTEGER NOT NULL REFERENCES chains(id) ON DELETE CASCADE,
    generation INTEGER NOT NULL,
    position   INTEGER NOT NULL,
    metric     TEXT NOT NULL,
    value,
    PRIMARY KEY (chain_id, generation, position)
) WITHOUT ROWID;
CREATE TABLE checkpoints (
    chain_id   INTEGER PRIMARY KEY REFERENCES chains(id) ON DELETE CASCADE,
    generation INTEGER NOT NULL,
    state      BLOB NOT NULL
);
CREATE VIEW results AS
SELECT st.id        AS study_id,
       st.name      AS study,
       s.position   AS setting_position,
       s.name       AS setting,
       s.label      AS label,
       c.seed       AS seed,
       r.generation AS generation,
       r.position   AS position,
       r.metric     AS metric,
       r.value      AS value
FROM records r
JOIN chains c ON c.id = r.chain_id
JOIN settings s ON s.id = c.setting_id
JOIN studies st ON st.id = s.study_id;
)sql";

// Version 2 adds the samples kept for the report; a version 1 file opened for writing gains it.
constexpr const char* kSamplesTable = R"sql(
CREATE TABLE samples (
    chain_id   INTEGER NOT NULL REFERENCES chains(id) ON DELETE CASCADE,
    generation INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    columns    INTEGER NOT NULL,
    data       TEXT NOT NULL,
    PRIMARY KEY (chain_id, generation, kind)
) WITHOUT ROWID;
)sql";

// Version 3 adds each setting's values of the study's parameter columns (SettingRow::parameters)
// and the view results_wide, which shows them as columns of `results` (results_wide_sql).
constexpr const char* kParametersTable = R"sql(
CREATE TABLE setting_parameters (
    setting_id INTEGER NOT NULL REFERENCES settings(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    key        TEXT NOT NULL,
    value,
    PRIMARY KEY (setting_id, key)
) WITHOUT ROWID;
)sql";

// SQL text as a string literal ('it''s') or a quoted identifier ("model.bias").
std::string sql_quoted(std::string_view text, char quote) {
    std::string out(1, quote);
    for (char c : text) {
        if (c == quote) out += quote;
        out += c;
    }
    return out + quote;
}

// The view results_wide: the columns of `results`, then one column per parameter key (in
// `keys`' order) holding the setting's value (NULL for a setting without it).
std::string results_wide_sql(const std::vector<std::string>& keys) {
    std::string columns, joins;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        columns += fmt::format(",\n       p{}.value AS {}", i, sql_quoted(keys[i], '"'));
        joins += fmt::format(
            "\nLEFT JOIN setting_parameters p{0} ON p{0}.setting_id = s.id AND p{0}.key = {1}", i,
            sql_quoted(keys[i], '\''));
    }
    return fmt::format(R"sql(DROP VIEW IF EXISTS results_wide;
CREATE VIEW results_wide AS
SELECT st.id        AS study_id,
       st.name      AS study,
       s.position   AS setting_position,
       s.name       AS setting,
       s.label      AS label,
       c.seed       AS seed,
       r.generation AS generation,
       r.position   AS position,
       r.metric     AS metric,
       r.value      AS value{}
FROM records r
JOIN chains c ON c.id = r.chain_id
JOIN settings s ON s.id = c.setting_id
JOIN studies st ON st.id = s.study_id{};
)sql",
                       columns, joins);
}

// Seeds are unsigned 64-bit; SQLite integers are signed. The bits are stored as they are, so a
// seed >= 2^63 reads as negative in plain SQL (and sorts after every smaller seed in records()).
std::int64_t seed_to_sql(std::uint64_t seed) { return static_cast<std::int64_t>(seed); }
std::uint64_t seed_from_sql(std::int64_t seed) { return static_cast<std::uint64_t>(seed); }

// Deletes a sqlite3 connection; sqlite3_close_v2 defers the close until every statement is done.
struct ConnectionCloser {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Connection = std::unique_ptr<sqlite3, ConnectionCloser>;

// An Error raised by a failed SQLite call; `code` is its primary result code (SQLITE_BUSY...).
class SqliteError : public Error {
public:
    SqliteError(const std::string& message, int code) : Error(message), code(code) {}
    int code;
};

// What is wrong with a database file that SQLite calls malformed or not a database, from its
// first 100 bytes (the header: the magic string, the page size at offset 16, the page count
// at offset 28; sqlite.org/fileformat.html section 1.3) and its size.
// The first 16 bytes of every SQLite file, its NUL included (sqlite.org/fileformat.html 1.3).
constexpr char kSqliteMagic[] = "SQLite format 3";

std::string describe_damage(const std::string& path) {
    unsigned char header[100] = {};
    std::FILE* file = std::fopen(path.c_str(), "rb");
    const std::size_t got = file ? std::fread(header, 1, sizeof header, file) : 0;
    if (file) std::fclose(file);
    struct stat info {};
    const auto size =
        ::stat(path.c_str(), &info) == 0 ? static_cast<std::int64_t>(info.st_size) : 0;
    if (got < 16 || std::memcmp(header, kSqliteMagic, sizeof kSqliteMagic) != 0)
        return size == 0 ? "it is empty"
                         : "it is not a SQLite file (it does not start with \"SQLite format 3\")";
    const std::int64_t page_size =
        header[16] == 0 && header[17] == 1 ? 65536 : (std::int64_t{header[16]} << 8) | header[17];
    const std::int64_t pages = (std::int64_t{header[28]} << 24) | (std::int64_t{header[29]} << 16) |
                               (std::int64_t{header[30]} << 8) | std::int64_t{header[31]};
    if (got < 100 || (pages > 0 && size < pages * page_size))
        return fmt::format(
            "it is truncated: {} bytes, but its header says {} pages of {} bytes ({} bytes); the "
            "end of the file was lost (a copy or download that stopped early, a full disk)",
            size, pages, page_size, pages * page_size);
    return "it is damaged: SQLite reads pages of it that do not make sense (bytes overwritten on "
           "disk or by another program)";
}

// A results database that SQLite cannot read (SQLITE_CORRUPT, SQLITE_NOTADB): bad input, so a
// DataError (exit 2) that names the file, says what is wrong and what to do.
class DamagedDatabaseError : public DataError {
public:
    explicit DamagedDatabaseError(const std::string& path)
        : DamagedDatabaseError(path, describe_damage(path)) {}

    // What is wrong with the file (describe_damage).
    const std::string& damage() const { return damage_; }

private:
    DamagedDatabaseError(const std::string& path, std::string damage)
        : DataError(fmt::format(
              "results database '{}' cannot be read: {}. Restore it from a backup, or run the "
              "study again into a new folder (madlab run STUDY.toml --out NEW_DIR)",
              path, damage)),
          damage_(std::move(damage)) {}

    std::string damage_;
};

// Throws the error of the last failed call on `db`, with the database's path and what was
// attempted.
[[noreturn]] void fail(sqlite3* db, const std::string& path, std::string_view what) {
    const int code = sqlite3_extended_errcode(db) & 0xff;
    if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) throw DamagedDatabaseError(path);
    std::string hint;
    if (code == SQLITE_BUSY)
        hint = "; another process holds the database, wait for it and try again";
    else if (code == SQLITE_READONLY)
        hint = "; check that the file and its folder are writable";
    else if (code == SQLITE_FULL)
        hint = "; free some disk space";
    throw SqliteError(
        fmt::format("results database '{}': {} failed: {}{}", path, what, sqlite3_errmsg(db), hint),
        code);
}

// A prepared statement. bind() counts parameters from 1 like SQLite; step() returns true while
// there is a row. Reusable after reset().
class Statement {
public:
    Statement(sqlite3* db, const std::string& path, std::string_view sql) : db_(db), path_(&path) {
        if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &statement_,
                               nullptr) != SQLITE_OK)
            fail(db, path, "preparing a query");
    }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement() { sqlite3_finalize(statement_); }

    Statement& bind(int i, std::int64_t value) {
        check(sqlite3_bind_int64(statement_, i, value));
        return *this;
    }
    Statement& bind(int i, int value) { return bind(i, static_cast<std::int64_t>(value)); }
    // NaN is stored as NULL by SQLite; value() reads NULL back as NaN.
    Statement& bind(int i, double value) {
        check(sqlite3_bind_double(statement_, i, value));
        return *this;
    }
    Statement& bind(int i, std::string_view text) {
        check(sqlite3_bind_text64(statement_, i, text.data(), text.size(), SQLITE_TRANSIENT,
                                  SQLITE_UTF8));
        return *this;
    }
    Statement& bind(int i, const std::string& text) { return bind(i, std::string_view(text)); }
    Statement& bind(int i, const char* text) { return bind(i, std::string_view(text)); }
    Statement& bind_null(int i) {
        check(sqlite3_bind_null(statement_, i));
        return *this;
    }
    Statement& bind_blob(int i, std::string_view bytes) {
        // A zero-length blob, not NULL, for empty bytes (the pointer is never null here).
        check(sqlite3_bind_blob64(statement_, i, bytes.data(), bytes.size(), SQLITE_TRANSIENT));
        return *this;
    }

    bool step() {
        const int rc = sqlite3_step(statement_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        fail(db_, *path_, "running a query");  // the owner resets or finalizes the statement
    }
    // Runs a statement that returns no rows.
    void run() {
        while (step()) {
        }
        reset();
    }
    void reset() {
        sqlite3_reset(statement_);
        sqlite3_clear_bindings(statement_);
    }

    std::int64_t integer(int column) const { return sqlite3_column_int64(statement_, column); }
    double real(int column) const {
        if (sqlite3_column_type(statement_, column) == SQLITE_NULL)
            return std::numeric_limits<double>::quiet_NaN();
        return sqlite3_column_double(statement_, column);
    }
    std::string text(int column) const {
        const auto* data = sqlite3_column_text(statement_, column);
        const int size = sqlite3_column_bytes(statement_, column);
        return data ? std::string(reinterpret_cast<const char*>(data), size) : std::string();
    }
    int type(int column) const { return sqlite3_column_type(statement_, column); }
    std::string blob(int column) const {
        const void* data = sqlite3_column_blob(statement_, column);
        const int size = sqlite3_column_bytes(statement_, column);
        return data ? std::string(static_cast<const char*>(data), size) : std::string();
    }

private:
    void check(int rc) {
        if (rc != SQLITE_OK) fail(db_, *path_, "binding a query parameter");
    }

    sqlite3* db_;
    const std::string* path_;
    sqlite3_stmt* statement_ = nullptr;
};

// Runs SQL text (possibly several statements) that returns nothing.
void execute(sqlite3* db, const std::string& path, const char* sql, std::string_view what) {
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(db, path, what);
}

// BEGIN IMMEDIATE on construction (taking the write lock at once, so that no transaction fails
// half-way on a lock upgrade), ROLLBACK on destruction unless commit() was called.
class Transaction {
public:
    Transaction(sqlite3* db, const std::string& path) : db_(db), path_(path) {
        execute(db_, path_, "BEGIN IMMEDIATE", "starting a transaction");
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction() {
        if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    void commit() {
        execute(db_, path_, "COMMIT", "committing a transaction");
        done_ = true;
    }

private:
    sqlite3* db_;
    const std::string& path_;
    bool done_ = false;
};

// An exclusive flock on "<path>.lock", held until destruction. flock locks belong to the open
// file description, so a second LockFile on the same path conflicts even in the same process.
// The lock file is left in place when released: removing it would race with a process that has
// just opened it.
class LockFile {
public:
    explicit LockFile(const std::string& db_path) {
        const std::string path = db_path + ".lock";
        // O_NOFOLLOW: a symbolic link planted at the lock's name is refused, not followed (its
        // target would otherwise be created or opened for writing).
        fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd_ < 0 && errno == ELOOP)
            throw Error(fmt::format(
                "the lock file '{}' of results database '{}' is a symbolic link; madlab does not "
                "follow it: remove the link",
                path, db_path));
        if (fd_ < 0)
            throw Error(fmt::format(
                "cannot create the lock file '{}' for results database '{}': {}; check that the "
                "folder exists and is writable",
                path, db_path, std::strerror(errno)));
        // A reader probes the lock for a moment (has_live_writer): a lock held for less than
        // kProbeWaitMs is waited for, not reported as another run.
        constexpr int kProbeWaitMs = 200;
        int waited_ms = 0;
        while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
            if (errno == EINTR) continue;
            if (errno == EWOULDBLOCK && waited_ms < kProbeWaitMs) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
                waited_ms += 10;
                continue;
            }
            const int error = errno;
            ::close(fd_);
            if (error == EWOULDBLOCK)
                throw Error(fmt::format(
                    "results database '{}' is in use by another madlab run (lock {}); wait for it "
                    "to finish or use --db to choose another file",
                    db_path, path));
            throw Error(fmt::format("cannot lock '{}' for results database '{}': {}", path, db_path,
                                    std::strerror(error)));
        }
    }
    LockFile(const LockFile&) = delete;
    LockFile& operator=(const LockFile&) = delete;
    ~LockFile() { ::close(fd_); }  // closing the last descriptor releases the lock

private:
    int fd_ = -1;
};

// A rollback journal "<path>-journal" that is not empty: a writer was killed inside a
// transaction in rollback-journal mode (the schema is created so, before the database turns to
// WAL). A read-only connection cannot roll it back, and SQLite then calls the database
// read-only. When no writer holds the lock, rolls it back with a short read-write connection
// (under the writer lock); when that is not possible, throws DataError saying what to do.
void roll_back_hot_journal(const std::string& path) {
    const std::string journal = path + "-journal";
    struct stat info {};
    if (::stat(journal.c_str(), &info) != 0 || info.st_size == 0) return;
    const std::string advice = fmt::format(
        "results database '{}' has a rollback journal '{}' left by a madlab run that was killed "
        "while it wrote; SQLite rolls it back when the database is opened with write access: "
        "make the file and its folder writable and run the command again (or `madlab run "
        "--resume DIR` for the run that was killed)",
        path, journal);
    std::unique_ptr<LockFile> lock;
    try {
        lock = std::make_unique<LockFile>(path);
    } catch (const Error&) {
        if (has_live_writer(path)) return;  // the writer rolled it back when it opened the file
        throw DataError(advice);
    }
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
    const bool rolled_back =
        rc == SQLITE_OK && sqlite3_exec(raw, "SELECT count(*) FROM sqlite_master", nullptr, nullptr,
                                        nullptr) == SQLITE_OK;
    sqlite3_close(raw);
    if (!rolled_back) throw DataError(advice);
}

// The WHERE clause of a RecordFilter over the `results` view, and its parameters in order.
struct FilterSql {
    std::string where;
    std::vector<std::string> texts;  // bound first, in order
    std::vector<std::int64_t> integers;
};

FilterSql filter_sql(const RecordFilter& filter) {
    FilterSql out;
    std::vector<std::string> conditions;
    int parameter = 0;
    if (filter.study) {
        conditions.push_back(fmt::format("study = ?{}", ++parameter));
        out.texts.push_back(*filter.study);
    }
    if (filter.setting) {
        conditions.push_back(fmt::format("setting = ?{}", ++parameter));
        out.texts.push_back(*filter.setting);
    }
    if (filter.metric) {
        conditions.push_back(fmt::format("metric = ?{}", ++parameter));
        out.texts.push_back(*filter.metric);
    }
    if (filter.study_id) {
        conditions.push_back(fmt::format("study_id = ?{}", ++parameter));
        out.integers.push_back(*filter.study_id);
    }
    if (filter.generation) {
        conditions.push_back(fmt::format("generation = ?{}", ++parameter));
        out.integers.push_back(*filter.generation);
    }
    for (std::size_t i = 0; i < conditions.size(); ++i)
        out.where += (i == 0 ? " WHERE " : " AND ") + conditions[i];
    return out;
}

class SqliteResultsDb final : public ResultsDb {
public:
    SqliteResultsDb(const std::string& path, Mode mode) : path_(path), mode_(mode) {
        if (mode == Mode::kReadOnly) {
            struct stat info {};
            if (::stat(path.c_str(), &info) != 0)
                throw DataError(fmt::format(
                    "results database '{}' does not exist; check the path (`madlab run` writes "
                    "DIR/results.sqlite, or the file given with --db)",
                    path));
            if (S_ISDIR(info.st_mode))
                throw DataError(fmt::format(
                    "results database '{}' is a folder; give the path of the database file", path));
            roll_back_hot_journal(path);
        } else {
            // The lock comes first: a second writer must not touch the file at all.
            lock_ = std::make_unique<LockFile>(path);
        }
        const int flags = mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY
                                                  : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
        sqlite3* raw = nullptr;
        const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
        db_.reset(raw);
        if (rc != SQLITE_OK) {
            if (!raw)
                throw Error(fmt::format("cannot open results database '{}': out of memory", path));
            throw Error(
                fmt::format("cannot open results database '{}': {}; check the path and "
                            "the file's permissions",
                            path, sqlite3_errmsg(raw)));
        }
        sqlite3_extended_result_codes(db(), 1);
        sqlite3_busy_timeout(db(), kBusyTimeoutMs);
        check_or_create_schema();
        if (mode != Mode::kReadOnly) {
            execute(db(), path_, "PRAGMA foreign_keys = ON", "enabling foreign keys");
        }
    }

    ~SqliteResultsDb() override {
        // Statements first, then the connection (which checkpoints the WAL), then the lock.
        std::lock_guard guard(mutex_);
        insert_record_.reset();
        replace_checkpoint_.reset();
        db_.reset();
        lock_.reset();
    }

    std::string path() const override { return path_; }

    std::int64_t add_study(const StudyRow& study) override {
        std::lock_guard guard(mutex_);
        require_writable();
        Statement insert(db(), path_,
                         "INSERT INTO studies (name, config_toml, config_json, madlab_version, "
                         "status) VALUES (?1, ?2, ?3, ?4, ?5)");
        insert.bind(1, study.name)
            .bind(2, study.config_toml)
            .bind(3, study.config_json)
            .bind(4, study.madlab_version)
            .bind(5, study.status.empty() ? std::string("running") : study.status)
            .run();
        return sqlite3_last_insert_rowid(db());
    }

    void in_transaction(const std::function<void()>& body) override {
        std::lock_guard guard(mutex_);
        require_writable();
        Transaction transaction(db(), path_);
        body();
        transaction.commit();
    }

    void set_study_status(std::int64_t study_id, const std::string& status) override {
        std::lock_guard guard(mutex_);
        require_writable();
        Statement update(db(), path_, "UPDATE studies SET status = ?1 WHERE id = ?2");
        update.bind(1, status).bind(2, study_id).run();
        if (sqlite3_changes(db()) == 0)
            throw Error(fmt::format("results database '{}': no study with id {}", path_, study_id));
    }

    std::int64_t add_setting(const SettingRow& setting) override {
        std::lock_guard guard(mutex_);
        require_writable();
        Statement insert(db(), path_,
                         "INSERT INTO settings (study_id, position, name, label, params_json) "
                         "VALUES (?1, ?2, ?3, ?4, ?5)");
        insert.bind(1, setting.study_id)
            .bind(2, setting.position)
            .bind(3, setting.name)
            .bind(4, setting.label)
            .bind(5, setting.params_json.empty() ? std::string("{}") : setting.params_json);
        try {
            insert.run();
        } catch (const SqliteError& e) {
            if (e.code != SQLITE_CONSTRAINT) throw;
            throw Error(fmt::format(
                "results database '{}': setting '{}' cannot be added to study {}: the study does "
                "not exist or already has a setting of that name (names are unique in a study)",
                path_, setting.name, setting.study_id));
        }
        const std::int64_t id = sqlite3_last_insert_rowid(db());
        add_parameters(id, setting);
        return id;
    }

    std::size_t drop_checkpoints(std::int64_t study_id) override {
        std::lock_guard guard(mutex_);
        require_writable();
        std::size_t dropped = 0;
        {
            Transaction transaction(db(), path_);
            Statement drop(db(), path_,
                           "DELETE FROM checkpoints WHERE chain_id IN (SELECT c.id FROM chains c "
                           "JOIN settings s ON s.id = c.setting_id WHERE s.study_id = ?1)");
            drop.bind(1, study_id).run();
            dropped = static_cast<std::size_t>(sqlite3_changes(db()));
            transaction.commit();
        }
        if (dropped == 0 || mode_ == Mode::kScratch) return dropped;
        // VACUUM rewrites the file without the freed pages; in WAL mode the file shrinks at the
        // next checkpoint, which TRUNCATE runs now (a no-op in rollback-journal mode).
        replace_checkpoint_.reset();  // no statement may be pending during a VACUUM
        insert_record_.reset();
        insert_samples_.reset();
        if (sqlite3_exec(db(), "VACUUM; PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr,
                         nullptr) != SQLITE_OK)
            throw Error(fmt::format(
                "results database '{}': the {} checkpoints of study {} were deleted, but the file "
                "could not be compacted ({}); it keeps its size until `sqlite3 {} VACUUM` runs",
                path_, dropped, study_id, sqlite3_errmsg(db()), path_));
        return dropped;
    }

    std::int64_t add_chain(std::int64_t setting_id, std::uint64_t seed) override {
        std::lock_guard guard(mutex_);
        require_writable();
        Statement insert(db(), path_, "INSERT INTO chains (setting_id, seed) VALUES (?1, ?2)");
        insert.bind(1, setting_id).bind(2, seed_to_sql(seed));
        try {
            insert.run();
        } catch (const SqliteError& e) {
            if (e.code != SQLITE_CONSTRAINT) throw;
            throw Error(fmt::format(
                "results database '{}': a chain with seed {} cannot be added to setting {}: the "
                "setting does not exist or already has a chain with that seed",
                path_, seed, setting_id));
        }
        return sqlite3_last_insert_rowid(db());
    }

    void commit_generation(const GenerationCommit& commit) override {
        commit_generations({commit});
    }

    void commit_generations(const std::vector<GenerationCommit>& commits) override {
        std::lock_guard guard(mutex_);
        require_writable();
        if (commits.empty()) return;
        Transaction transaction(db(), path_);
        // The last generation of every chain in the batch, read once and advanced in memory.
        std::map<std::int64_t, std::int64_t> last_generation;
        // Per chain, the last commit of the batch that carries a checkpoint.
        std::map<std::int64_t, const GenerationCommit*> last_checkpoint;
        Statement last(db(), path_, "SELECT last_generation FROM chains WHERE id = ?1");
        if (!insert_record_)
            insert_record_ = std::make_unique<Statement>(
                db(), path_,
                "INSERT INTO records (chain_id, generation, position, metric, value) "
                "VALUES (?1, ?2, ?3, ?4, ?5)");
        for (const GenerationCommit& commit : commits) {
            auto known = last_generation.find(commit.chain_id);
            if (known == last_generation.end()) {
                last.bind(1, commit.chain_id);
                if (!last.step())
                    throw Error(fmt::format(
                        "results database '{}': no chain with id {}; add it with add_chain first",
                        path_, commit.chain_id));
                known = last_generation.emplace(commit.chain_id, last.integer(0)).first;
                last.reset();
            }
            if (commit.generation <= known->second) {
                // Recomputed after a resume from an older checkpoint: committed already. Its
                // checkpoint is newer than the stored one (recomputation starts after it).
                if (!commit.checkpoint.empty() && recomputed_as_committed(commit))
                    last_checkpoint[commit.chain_id] = &commit;
                continue;
            }
            if (commit.generation != known->second + 1)
                throw Error(fmt::format(
                    "results database '{}': chain {} cannot commit generation {}: its last "
                    "committed generation is {}, so the next must be {}",
                    path_, commit.chain_id, commit.generation, known->second, known->second + 1));
            known->second = commit.generation;
            if (!commit.checkpoint.empty()) last_checkpoint[commit.chain_id] = &commit;
            for (std::size_t i = 0; i < commit.values.size(); ++i) {
                insert_record_->bind(1, commit.chain_id)
                    .bind(2, commit.generation)
                    .bind(3, static_cast<std::int64_t>(i))
                    .bind(4, commit.values[i].first)
                    .bind(5, commit.values[i].second);
                try {
                    insert_record_->run();
                } catch (...) {
                    insert_record_->reset();
                    throw;
                }
            }
            insert_samples(commit);
        }
        if (!replace_checkpoint_)
            replace_checkpoint_ = std::make_unique<Statement>(
                db(), path_,
                "INSERT OR REPLACE INTO checkpoints (chain_id, generation, state) "
                "VALUES (?1, ?2, ?3)");
        for (const auto& [chain_id, commit] : last_checkpoint) {
            try {
                replace_checkpoint_->bind(1, chain_id)
                    .bind(2, commit->generation)
                    .bind_blob(3, commit->checkpoint)
                    .run();
            } catch (...) {
                replace_checkpoint_->reset();
                throw;
            }
        }
        Statement update(db(), path_, "UPDATE chains SET last_generation = ?1 WHERE id = ?2");
        for (const auto& [chain_id, generation] : last_generation) {
            update.bind(1, generation).bind(2, chain_id).run();
        }
        transaction.commit();
    }

    std::vector<StudyRow> studies() const override {
        std::lock_guard guard(mutex_);
        Statement select(db(), path_, std::string(kSelectStudy) + " ORDER BY id");
        std::vector<StudyRow> out;
        while (select.step()) out.push_back(study_row(select));
        return out;
    }

    std::optional<StudyRow> study(std::int64_t id) const override {
        std::lock_guard guard(mutex_);
        Statement select(db(), path_, std::string(kSelectStudy) + " WHERE id = ?1");
        select.bind(1, id);
        if (!select.step()) return std::nullopt;
        return study_row(select);
    }

    std::vector<SettingRow> settings(std::int64_t study_id) const override {
        std::lock_guard guard(mutex_);
        Statement select(db(), path_,
                         "SELECT id, study_id, position, name, label, params_json FROM settings "
                         "WHERE study_id = ?1 ORDER BY position, id");
        select.bind(1, study_id);
        std::vector<SettingRow> out;
        while (select.step()) {
            SettingRow row;
            row.id = select.integer(0);
            row.study_id = select.integer(1);
            row.position = static_cast<int>(select.integer(2));
            row.name = select.text(3);
            row.label = select.text(4);
            row.params_json = select.text(5);
            out.push_back(std::move(row));
        }
        if (schema_version_ < 3) return out;
        Statement parameters(db(), path_,
                             "SELECT key, value FROM setting_parameters WHERE setting_id = ?1 "
                             "ORDER BY position");
        for (SettingRow& row : out) {
            parameters.bind(1, row.id);
            while (parameters.step())
                row.parameters.emplace_back(parameters.text(0), parameter_json(parameters, 1));
            parameters.reset();
        }
        return out;
    }

    std::vector<ChainRow> chains(std::int64_t setting_id) const override {
        std::lock_guard guard(mutex_);
        Statement select(db(), path_,
                         "SELECT id, setting_id, seed, last_generation FROM chains "
                         "WHERE setting_id = ?1 ORDER BY seed < 0, seed");
        select.bind(1, setting_id);
        std::vector<ChainRow> out;
        while (select.step()) {
            ChainRow row;
            row.id = select.integer(0);
            row.setting_id = select.integer(1);
            row.seed = seed_from_sql(select.integer(2));
            row.last_generation = static_cast<int>(select.integer(3));
            out.push_back(row);
        }
        return out;
    }

    std::optional<std::string> checkpoint(std::int64_t chain_id) const override {
        std::lock_guard guard(mutex_);
        Statement select(db(), path_, "SELECT state FROM checkpoints WHERE chain_id = ?1");
        select.bind(1, chain_id);
        if (!select.step()) return std::nullopt;
        return select.blob(0);
    }

    std::optional<int> checkpoint_generation(std::int64_t chain_id) const override {
        std::lock_guard guard(mutex_);
        Statement select(db(), path_, "SELECT generation FROM checkpoints WHERE chain_id = ?1");
        select.bind(1, chain_id);
        if (!select.step()) return std::nullopt;
        return static_cast<int>(select.integer(0));
    }

    std::vector<Record> records(const RecordFilter& filter) const override {
        std::lock_guard guard(mutex_);
        std::vector<Record> out;
        query_records(
            filter, "setting, seed, generation, metric, value", [&](const Statement& row) {
                out.push_back(Record{row.text(0), seed_from_sql(row.integer(1)),
                                     static_cast<int>(row.integer(2)), row.text(3), row.real(4)});
            });
        return out;
    }

    void visit_records(const RecordFilter& filter,
                       const std::function<void(const Record&)>& visit) const override {
        std::lock_guard guard(mutex_);
        Record record;
        if (filter.study_id && !filter.study && !filter.setting && !filter.metric &&
            !filter.generation) {
            // A whole study (records.csv): chain by chain in the documented order, each chain's
            // records in its primary key's order, so that SQLite sorts nothing.
            Statement settings(db(), path_,
                               "SELECT id, name FROM settings WHERE study_id = ?1 "
                               "ORDER BY position, name");
            Statement chains(db(), path_,
                             "SELECT id, seed FROM chains WHERE setting_id = ?1 "
                             "ORDER BY seed < 0, seed");
            Statement rows(db(), path_,
                           "SELECT generation, metric, value FROM records WHERE chain_id = ?1 "
                           "ORDER BY generation, position");
            settings.bind(1, *filter.study_id);
            while (settings.step()) {
                record.setting = settings.text(1);
                chains.bind(1, settings.integer(0));
                while (chains.step()) {
                    record.seed = seed_from_sql(chains.integer(1));
                    rows.bind(1, chains.integer(0));
                    while (rows.step()) {
                        record.generation = static_cast<int>(rows.integer(0));
                        record.metric = rows.text(1);
                        record.value = rows.real(2);
                        visit(record);
                    }
                    rows.reset();
                }
                chains.reset();
            }
            return;
        }
        query_records(filter, "setting, seed, generation, metric, value",
                      [&](const Statement& row) {
                          record.setting = row.text(0);
                          record.seed = seed_from_sql(row.integer(1));
                          record.generation = static_cast<int>(row.integer(2));
                          record.metric = row.text(3);
                          record.value = row.real(4);
                          visit(record);
                      });
    }

    std::vector<Record> generation_records(std::int64_t setting_id, int generation) const override {
        std::lock_guard guard(mutex_);
        Statement select(db(), path_,
                         "SELECT s.name, c.seed, r.metric, r.value FROM settings s "
                         "JOIN chains c ON c.setting_id = s.id "
                         "JOIN records r ON r.chain_id = c.id AND r.generation = ?2 "
                         "WHERE s.id = ?1 ORDER BY c.seed < 0, c.seed, r.position");
        select.bind(1, setting_id).bind(2, generation);
        std::vector<Record> out;
        while (select.step())
            out.push_back(Record{select.text(0), seed_from_sql(select.integer(1)), generation,
                                 select.text(2), select.real(3)});
        return out;
    }

    std::vector<int> record_generations(std::int64_t setting_id) const override {
        std::lock_guard guard(mutex_);
        Statement select(db(), path_,
                         "SELECT DISTINCT r.generation FROM chains c "
                         "JOIN records r ON r.chain_id = c.id "
                         "WHERE c.setting_id = ?1 ORDER BY r.generation");
        select.bind(1, setting_id);
        std::vector<int> out;
        while (select.step()) out.push_back(static_cast<int>(select.integer(0)));
        return out;
    }

    std::vector<RecordRow> record_rows(const RecordFilter& filter) const override {
        std::lock_guard guard(mutex_);
        std::vector<RecordRow> out;
        query_records(filter, "study_id, study, setting, label, seed, generation, metric, value",
                      [&](const Statement& row) {
                          RecordRow r;
                          r.study_id = row.integer(0);
                          r.study = row.text(1);
                          r.setting = row.text(2);
                          r.label = row.text(3);
                          r.seed = seed_from_sql(row.integer(4));
                          r.generation = static_cast<int>(row.integer(5));
                          r.metric = row.text(6);
                          r.value = row.real(7);
                          out.push_back(std::move(r));
                      });
        return out;
    }

    std::vector<std::string> metrics(std::int64_t study_id) const override {
        std::lock_guard guard(mutex_);
        Statement select(db(), path_,
                         "SELECT metric FROM results WHERE study_id = ?1 GROUP BY metric "
                         "ORDER BY MIN(position), metric");
        select.bind(1, study_id);
        std::vector<std::string> out;
        while (select.step()) out.push_back(select.text(0));
        return out;
    }

    std::vector<SampleRow> samples(std::int64_t study_id) const override {
        std::lock_guard guard(mutex_);
        std::vector<SampleRow> out;
        if (schema_version_ < 2) return out;
        Statement select(db(), path_,
                         "SELECT s.name, c.seed, x.generation, x.kind, x.columns, x.data "
                         "FROM samples x JOIN chains c ON c.id = x.chain_id "
                         "JOIN settings s ON s.id = c.setting_id WHERE s.study_id = ?1 "
                         "ORDER BY s.position, c.seed < 0, c.seed, x.generation, x.kind");
        select.bind(1, study_id);
        while (select.step()) {
            SampleRow row;
            row.setting = select.text(0);
            row.seed = seed_from_sql(select.integer(1));
            row.generation = static_cast<int>(select.integer(2));
            const std::string where = fmt::format(
                "results database '{}': samples of setting "
                "'{}' seed {} generation {}",
                path_, row.setting, row.seed, row.generation);
            nlohmann::json data;
            try {
                data = nlohmann::json::parse(select.text(5));
            } catch (const nlohmann::json::exception& e) {
                throw DataError(fmt::format("{}: malformed JSON ({})", where, e.what()));
            }
            const std::int64_t columns = select.integer(4);
            if (columns < 0) throw DataError(where + ": negative column count");
            row.samples = sample_data_from_json(data, select.text(3),
                                                static_cast<std::size_t>(columns), where);
            out.push_back(std::move(row));
        }
        return out;
    }

private:
    static constexpr const char* kSelectStudy =
        "SELECT id, name, config_toml, config_json, madlab_version, created_at, status "
        "FROM studies";

    static StudyRow study_row(const Statement& row) {
        StudyRow out;
        out.id = row.integer(0);
        out.name = row.text(1);
        out.config_toml = row.text(2);
        out.config_json = row.text(3);
        out.madlab_version = row.text(4);
        out.created_at = row.text(5);
        out.status = row.text(6);
        return out;
    }

    sqlite3* db() const { return db_.get(); }

    // A stored parameter value as JSON text (SettingRow::parameters).
    static std::string parameter_json(const Statement& row, int column) {
        switch (row.type(column)) {
            case SQLITE_INTEGER:
                return std::to_string(row.integer(column));
            case SQLITE_FLOAT:
                return nlohmann::json(row.real(column)).dump();
            case SQLITE_NULL:
                return "null";
            default:
                return nlohmann::json(row.text(column)).dump();
        }
    }

    // Inserts the parameter values of a new setting (its id `setting_id`) and, when they bring
    // a key that results_wide lacks, recreates the view. The caller holds the mutex.
    void add_parameters(std::int64_t setting_id, const SettingRow& setting) {
        if (setting.parameters.empty()) return;
        Statement insert(db(), path_,
                         "INSERT INTO setting_parameters (setting_id, position, key, value) "
                         "VALUES (?1, ?2, ?3, ?4)");
        bool new_key = false;
        for (std::size_t i = 0; i < setting.parameters.size(); ++i) {
            const auto& [key, text] = setting.parameters[i];
            insert.bind(1, setting_id).bind(2, static_cast<std::int64_t>(i)).bind(3, key);
            const nlohmann::json value = nlohmann::json::parse(text, nullptr, false);
            if (value.is_discarded())
                throw Error(fmt::format(
                    "results database '{}': parameter '{}' of setting '{}' is not JSON: {}", path_,
                    key, setting.name, text));
            if (value.is_boolean())
                insert.bind(4, static_cast<std::int64_t>(value.get<bool>()));
            else if (value.is_number_integer())
                insert.bind(4, value.get<std::int64_t>());
            else if (value.is_number())
                insert.bind(4, value.get<double>());
            else if (value.is_string())
                insert.bind(4, value.get<std::string>());
            else if (value.is_null())
                insert.bind_null(4);
            else
                insert.bind(4, value.dump());
            try {
                insert.run();
            } catch (const SqliteError& e) {
                insert.reset();
                if (e.code != SQLITE_CONSTRAINT) throw;
                throw Error(
                    fmt::format("results database '{}': setting '{}' has parameter '{}' twice",
                                path_, setting.name, key));
            }
            new_key =
                new_key || std::find(wide_keys_.begin(), wide_keys_.end(), key) == wide_keys_.end();
        }
        if (new_key) refresh_results_wide();
    }

    // Recreates results_wide with every parameter key of the database: the keys of the first
    // study that has them in its column order, then those that later studies add. The caller
    // holds the mutex.
    void refresh_results_wide() {
        load_wide_keys();
        execute(db(), path_, results_wide_sql(wide_keys_).c_str(),
                "creating the results_wide view");
    }

    // Whether a generation committed again (a chain resumed from a checkpoint older than its
    // last committed generation recomputes the generations in between) carries the values it
    // was committed with, bit for bit. It does on the machine that committed them (every draw
    // comes from its own stream); on another CPU, LibTorch's and OpenBLAS's kernels may change
    // the last bits. Either way the committed values stay; the chain's state is only taken as
    // its checkpoint when they agree. The caller holds the mutex.
    bool recomputed_as_committed(const GenerationCommit& commit) const {
        Statement select(db(), path_,
                         "SELECT metric, value FROM records WHERE chain_id = ?1 AND generation = "
                         "?2 ORDER BY position");
        select.bind(1, commit.chain_id).bind(2, commit.generation);
        std::size_t i = 0;
        bool same = true;
        for (; select.step(); ++i) {
            if (i >= commit.values.size()) {
                same = false;
                break;
            }
            const double before = select.real(1), now = commit.values[i].second;
            const bool equal =
                (std::isnan(before) && std::isnan(now)) ||
                std::bit_cast<std::uint64_t>(before) == std::bit_cast<std::uint64_t>(now);
            if (select.text(0) != commit.values[i].first || !equal) {
                same = false;
                break;
            }
        }
        return same && i == commit.values.size();
    }

    // Inserts the sample sets of one commit; the caller holds the mutex and the transaction.
    void insert_samples(const GenerationCommit& commit) {
        if (commit.samples.empty()) return;
        if (!insert_samples_)
            insert_samples_ = std::make_unique<Statement>(
                db(), path_,
                "INSERT INTO samples (chain_id, generation, kind, columns, data) "
                "VALUES (?1, ?2, ?3, ?4, ?5)");
        for (const SampleSet& set : commit.samples) {
            try {
                insert_samples_->bind(1, commit.chain_id)
                    .bind(2, commit.generation)
                    .bind(3, set.kind)
                    .bind(4, static_cast<std::int64_t>(set.columns))
                    // Text that is not UTF-8 (a model's line) is kept with U+FFFD in its place.
                    .bind(5, sample_data_to_json(set).dump(
                                 -1, ' ', false, nlohmann::json::error_handler_t::replace))
                    .run();
            } catch (const SqliteError& e) {
                insert_samples_->reset();
                if (e.code != SQLITE_CONSTRAINT) throw;
                throw Error(fmt::format(
                    "results database '{}': chain {} generation {} has two sample sets of kind "
                    "'{}'",
                    path_, commit.chain_id, commit.generation, set.kind));
            } catch (...) {
                insert_samples_->reset();
                throw;
            }
        }
    }

    void require_writable() const {
        if (mode_ == Mode::kReadOnly)
            throw Error(fmt::format(
                "results database '{}' was opened read-only; open it with Mode::kReadWrite to "
                "write",
                path_));
    }

    // Runs SELECT `columns` FROM results with the filter, in the documented order, calling
    // `visit` for every row. The caller holds the mutex.
    template <class Visit>
    void query_records(const RecordFilter& filter, const char* columns, Visit visit) const {
        const FilterSql where = filter_sql(filter);
        // Unsigned seed order: seeds stored as negative integers (>= 2^63) come last.
        Statement select(db(), path_,
                         fmt::format("SELECT {} FROM results{} ORDER BY study_id, "
                                     "setting_position, setting, seed < 0, seed, generation, "
                                     "position",
                                     columns, where.where));
        int parameter = 0;
        for (const auto& text : where.texts) select.bind(++parameter, text);
        for (std::int64_t integer : where.integers) select.bind(++parameter, integer);
        while (select.step()) visit(select);
    }

    // Checks that the file is a madlab database of a version this code reads; creates the
    // schema in an empty file (kReadWrite).
    void check_or_create_schema() {
        std::int64_t application_id = 0, user_version = 0, objects = 0;
        try {
            Statement id(db(), path_, "PRAGMA application_id");
            if (id.step()) application_id = id.integer(0);
            Statement version(db(), path_, "PRAGMA user_version");
            if (version.step()) user_version = version.integer(0);
            Statement count(db(), path_, "SELECT count(*) FROM sqlite_schema");
            if (count.step()) objects = count.integer(0);
        } catch (const DamagedDatabaseError& e) {
            if (e.damage().starts_with("it is not a SQLite file"))
                throw DataError(fmt::format(
                    "'{}' is not a madlab results database (it is not a SQLite file); give the "
                    "path of a results database, or a new file name to create one",
                    path_));
            throw;
        }
        if (application_id == kApplicationId) {
            if (user_version > kSchemaVersion)
                throw DataError(fmt::format(
                    "results database '{}' has schema version {}, newer than the version {} this "
                    "madlab reads; use a newer madlab to read it",
                    path_, user_version, kSchemaVersion));
            if (user_version < 1)
                throw DataError(fmt::format(
                    "results database '{}' has an unknown schema version {}; it may be damaged",
                    path_, user_version));
            schema_version_ = static_cast<int>(user_version);
            if (mode_ != Mode::kReadOnly) {
                set_journal();
                if (schema_version_ < kSchemaVersion) migrate_to_current();
                load_wide_keys();
            }
            return;
        }
        if (objects != 0 || user_version != 0 || application_id != 0)
            throw DataError(fmt::format(
                "'{}' is a SQLite database but not a madlab results database; give the path of a "
                "results database, or a new file name to create one",
                path_));
        if (mode_ == Mode::kReadOnly)
            throw DataError(
                fmt::format("'{}' is empty, not a madlab results database; check the path", path_));
        set_journal();
        Transaction transaction(db(), path_);
        execute(db(), path_, kSchema, "creating the schema");
        execute(db(), path_, kSamplesTable, "creating the samples table");
        execute(db(), path_, kParametersTable, "creating the setting_parameters table");
        execute(db(), path_, results_wide_sql({}).c_str(), "creating the results_wide view");
        execute(db(), path_,
                fmt::format("PRAGMA application_id = {}; PRAGMA user_version = {}", kApplicationId,
                            kSchemaVersion)
                    .c_str(),
                "setting the schema version");
        transaction.commit();
        schema_version_ = kSchemaVersion;
    }

    // The parameter keys that results_wide shows now (those of setting_parameters, in the
    // view's order), so that add_parameters knows when it must recreate the view.
    void load_wide_keys() {
        Statement select(db(), path_,
                         "SELECT p.key FROM setting_parameters p JOIN settings s ON "
                         "s.id = p.setting_id GROUP BY p.key ORDER BY MIN(s.study_id), "
                         "MIN(p.position), p.key");
        wide_keys_.clear();
        while (select.step()) wide_keys_.push_back(select.text(0));
    }

    // Brings an older schema to kSchemaVersion in one transaction (docs/database.md, history).
    void migrate_to_current() {
        Transaction transaction(db(), path_);
        if (schema_version_ < 2) execute(db(), path_, kSamplesTable, "adding the samples table");
        if (schema_version_ < 3) {
            execute(db(), path_, kParametersTable, "adding the setting_parameters table");
            execute(db(), path_, results_wide_sql({}).c_str(), "adding the results_wide view");
        }
        execute(db(), path_, fmt::format("PRAGMA user_version = {}", kSchemaVersion).c_str(),
                "setting the schema version");
        transaction.commit();
        schema_version_ = kSchemaVersion;
    }

    // WAL: readers never block the writer, and a committed transaction survives a crash of the
    // process (synchronous = NORMAL syncs the WAL at checkpoints; only a power loss or an OS
    // crash can lose the last commits). Where WAL is not available (some network file systems)
    // the default rollback journal with synchronous = FULL gives the same guarantee.
    void set_journal() {
        if (mode_ == Mode::kScratch) {
            execute(db(), path_, "PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF",
                    "setting the journal of a scratch database");
            return;
        }
        Statement journal(db(), path_, "PRAGMA journal_mode = WAL");
        std::string mode = journal.step() ? journal.text(0) : std::string();
        journal.reset();
        execute(db(), path_,
                mode == "wal" ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL",
                "setting the synchronous mode");
    }

    std::string path_;
    Mode mode_;
    std::unique_ptr<LockFile> lock_;  // declared before db_: released after the connection
    Connection db_;
    // Recursive: in_transaction's body calls the other methods.
    mutable std::recursive_mutex mutex_;
    std::unique_ptr<Statement> insert_record_;  // cached for commit_generation
    std::unique_ptr<Statement> replace_checkpoint_;
    std::unique_ptr<Statement> insert_samples_;
    int schema_version_ = 0;              // of the open file
    std::vector<std::string> wide_keys_;  // the parameter columns of results_wide (writers)
};

}  // namespace

bool has_live_writer(const std::string& db_path) {
    const std::string path = db_path + ".lock";
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    int rc = 0;
    while ((rc = ::flock(fd, LOCK_SH | LOCK_NB)) != 0 && errno == EINTR) {
    }
    const bool held = rc != 0 && errno == EWOULDBLOCK;
    ::close(fd);  // releases the shared lock taken, if any
    return held;
}

std::unique_ptr<ResultsDb> ResultsDb::open(const std::string& path, Mode mode) {
    return std::make_unique<SqliteResultsDb>(path, mode);
}

std::optional<std::size_t> committed_generations(const ResultsDb& db, std::int64_t study_id) {
    try {
        std::size_t n = 0;
        for (const auto& setting : db.settings(study_id))
            for (const auto& chain : db.chains(setting.id))
                n += static_cast<std::size_t>(chain.last_generation + 1);
        return n;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

bool is_sqlite_file(const std::string& path) {
    char header[sizeof kSqliteMagic] = {};
    std::FILE* file = std::fopen(path.c_str(), "rb");
    const std::size_t got = file ? std::fread(header, 1, sizeof header, file) : 0;
    if (file) std::fclose(file);
    return got == sizeof header && std::memcmp(header, kSqliteMagic, sizeof header) == 0;
}

}  // namespace madlab
