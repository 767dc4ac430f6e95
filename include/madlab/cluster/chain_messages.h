#pragma once
// The messages of an MPI run (cluster/mpi_executor.h) as bytes: a small explicit format, so
// that a chain's generations reach rank 0's database exactly as the chain computed them.
//
// Layout: a message is its kind (one byte) then its fields in declaration order. Integers are
// fixed-width (u8, u32, u64, i64), doubles their 8 raw bytes (NaN payloads and -0.0 survive),
// strings and byte blobs a u64 length then the bytes, lists a u64 count then the items. Byte
// order is the machine's: every rank runs the same madlab binary on the same architecture.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "madlab/store/results_db.h"

namespace madlab {

// Appends fields to a byte string.
class ByteWriter {
public:
    void u8(std::uint8_t v);
    void u32(std::uint32_t v);
    void u64(std::uint64_t v);
    void i64(std::int64_t v);
    void f64(double v);              // the raw bits
    void bytes(std::string_view v);  // u64 length, then the bytes
    const std::string& data() const { return data_; }
    std::string take() { return std::move(data_); }

private:
    void raw(const void* p, std::size_t n);
    std::string data_;
};

// Reads the fields a ByteWriter wrote, in the same order; throws Error when the bytes end early
// or a length points past the end (a corrupt or truncated message).
class ByteReader {
public:
    explicit ByteReader(std::string_view data) : data_(data) {}
    std::uint8_t u8();
    std::uint32_t u32();
    std::uint64_t u64();
    std::int64_t i64();
    double f64();
    std::string bytes();
    bool at_end() const { return pos_ == data_.size(); }
    // Throws Error unless every byte was read (a message longer than its fields is corrupt).
    void expect_end() const;

private:
    void raw(void* p, std::size_t n);
    std::string_view data_;
    std::size_t pos_ = 0;
};

// What rank 0 broadcasts to the other ranks before the chains start: the resolved study (its
// TOML, read back with parse_study), the output folder and the thread setting; or, when rank 0
// failed before the run (a bad config, a missing file), only the exit code the workers end with.
struct StudySetup {
    int exit_code = 0;  // != 0: rank 0 failed; the other fields are empty
    std::string config_toml;
    std::string where;     // names the config in parse_study's messages
    std::string work_dir;  // RunOptions::work_dir
    int threads = -1;      // RunOptions::threads as given on rank 0 (0: all cores of the rank)
};

// From a worker rank to rank 0.
struct ToCoordinator {
    enum class Kind : std::uint8_t {
        kRequest = 1,  // give me one more chain
        kGenerations,  // finished generations (chain_id = the chain's index in the study)
        kChainDone,    // `chain` ran to its end here (its generations may still follow)
        kFailure,      // this rank failed: `error_kind` and `error`
        kDone,         // this rank sent everything and stops; answer with kBye
    };
    // How a failure's message is thrown again on rank 0 (its exit code: 2 for config and data).
    enum class ErrorKind : std::uint8_t { kError = 0, kConfig = 1, kData = 2 };

    Kind kind = Kind::kRequest;
    std::vector<GenerationCommit> generations;  // kGenerations
    std::uint64_t chain = 0;                    // kChainDone
    ErrorKind error_kind = ErrorKind::kError;   // kFailure
    std::string error;                          // kFailure
};

// From rank 0 to a worker rank.
struct ToWorker {
    enum class Kind : std::uint8_t {
        kAssign = 1,  // run `chain`, from `checkpoint` when there is one
        kNoMore,      // every chain is handed out: finish yours and send kDone
        kStop,        // the run failed or stops: stop after the current generations, kDone
        kBye,         // answer to kDone: exit with `exit_code`
    };

    Kind kind = Kind::kAssign;
    std::uint64_t chain = 0;                // kAssign: index in the study
    std::optional<std::string> checkpoint;  // kAssign: the committed state, if any
    int exit_code = 0;                      // kBye
};

std::string encode(const StudySetup& m);
std::string encode(const ToCoordinator& m);
std::string encode(const ToWorker& m);
// Each throws Error on bytes that are not a message of its type.
StudySetup decode_study_setup(std::string_view bytes);
ToCoordinator decode_to_coordinator(std::string_view bytes);
ToWorker decode_to_worker(std::string_view bytes);

}  // namespace madlab
