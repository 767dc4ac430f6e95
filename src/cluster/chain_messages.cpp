#include "madlab/cluster/chain_messages.h"

#include <fmt/core.h>

#include <cstring>

#include "madlab/core/error.h"

namespace madlab {

void ByteWriter::raw(const void* p, std::size_t n) { data_.append(static_cast<const char*>(p), n); }
void ByteWriter::u8(std::uint8_t v) { raw(&v, sizeof v); }
void ByteWriter::u32(std::uint32_t v) { raw(&v, sizeof v); }
void ByteWriter::u64(std::uint64_t v) { raw(&v, sizeof v); }
void ByteWriter::i64(std::int64_t v) { raw(&v, sizeof v); }
void ByteWriter::f64(double v) { raw(&v, sizeof v); }
void ByteWriter::bytes(std::string_view v) {
    u64(v.size());
    raw(v.data(), v.size());
}

void ByteReader::raw(void* p, std::size_t n) {
    if (n > data_.size() - pos_)
        throw Error(
            fmt::format("a message between MPI ranks ends early: {} bytes wanted at byte "
                        "{} of {}",
                        n, pos_, data_.size()));
    std::memcpy(p, data_.data() + pos_, n);
    pos_ += n;
}
std::uint8_t ByteReader::u8() {
    std::uint8_t v;
    raw(&v, sizeof v);
    return v;
}
std::uint32_t ByteReader::u32() {
    std::uint32_t v;
    raw(&v, sizeof v);
    return v;
}
std::uint64_t ByteReader::u64() {
    std::uint64_t v;
    raw(&v, sizeof v);
    return v;
}
std::int64_t ByteReader::i64() {
    std::int64_t v;
    raw(&v, sizeof v);
    return v;
}
double ByteReader::f64() {
    double v;
    raw(&v, sizeof v);
    return v;
}
std::string ByteReader::bytes() {
    const std::uint64_t n = u64();
    if (n > data_.size() - pos_)
        throw Error(
            fmt::format("a message between MPI ranks is corrupt: a field of {} bytes at "
                        "byte {} of {}",
                        n, pos_, data_.size()));
    std::string v(data_.substr(pos_, n));
    pos_ += n;
    return v;
}
void ByteReader::expect_end() const {
    if (!at_end())
        throw Error(fmt::format("a message between MPI ranks is corrupt: {} bytes left over",
                                data_.size() - pos_));
}

namespace {

// Message kinds of the three types are distinct bytes, so a message read as the wrong type
// fails at once.
constexpr std::uint8_t kSetupKind = 0x53;          // 'S'
constexpr std::uint8_t kToCoordinatorBase = 0x10;  // + ToCoordinator::Kind
constexpr std::uint8_t kToWorkerBase = 0x20;       // + ToWorker::Kind

void write_sample_set(ByteWriter& w, const SampleSet& s) {
    w.bytes(s.kind);
    w.u64(s.columns);
    w.u64(s.values.size());
    for (double v : s.values) w.f64(v);
    w.u64(s.lines.size());
    for (const auto& line : s.lines) w.bytes(line);
    w.u64(s.shape.size());
    for (std::size_t d : s.shape) w.u64(d);
}

SampleSet read_sample_set(ByteReader& r) {
    SampleSet s;
    s.kind = r.bytes();
    s.columns = r.u64();
    s.values.resize(r.u64());
    for (double& v : s.values) v = r.f64();
    const std::uint64_t lines = r.u64();
    for (std::uint64_t i = 0; i < lines; ++i) s.lines.push_back(r.bytes());
    const std::uint64_t dims = r.u64();
    for (std::uint64_t i = 0; i < dims; ++i) s.shape.push_back(r.u64());
    return s;
}

void write_commit(ByteWriter& w, const GenerationCommit& c) {
    w.i64(c.chain_id);
    w.i64(c.generation);
    w.u64(c.values.size());
    for (const auto& [name, value] : c.values) {
        w.bytes(name);
        w.f64(value);
    }
    w.bytes(c.checkpoint);
    w.u64(c.samples.size());
    for (const auto& s : c.samples) write_sample_set(w, s);
}

GenerationCommit read_commit(ByteReader& r) {
    GenerationCommit c;
    c.chain_id = r.i64();
    c.generation = static_cast<int>(r.i64());
    const std::uint64_t values = r.u64();
    for (std::uint64_t i = 0; i < values; ++i) {
        std::string name = r.bytes();
        const double value = r.f64();
        c.values.emplace_back(std::move(name), value);
    }
    c.checkpoint = r.bytes();
    const std::uint64_t samples = r.u64();
    for (std::uint64_t i = 0; i < samples; ++i) c.samples.push_back(read_sample_set(r));
    return c;
}

std::uint8_t expect_kind(ByteReader& r, std::uint8_t first, std::uint8_t last, const char* type) {
    const std::uint8_t kind = r.u8();
    if (kind < first || kind > last)
        throw Error(
            fmt::format("a message between MPI ranks is not a {} (kind byte {})", type, kind));
    return kind;
}

}  // namespace

std::string encode(const StudySetup& m) {
    ByteWriter w;
    w.u8(kSetupKind);
    w.i64(m.exit_code);
    w.bytes(m.config_toml);
    w.bytes(m.where);
    w.bytes(m.work_dir);
    w.i64(m.threads);
    return w.take();
}

StudySetup decode_study_setup(std::string_view bytes) {
    ByteReader r(bytes);
    expect_kind(r, kSetupKind, kSetupKind, "study setup");
    StudySetup m;
    m.exit_code = static_cast<int>(r.i64());
    m.config_toml = r.bytes();
    m.where = r.bytes();
    m.work_dir = r.bytes();
    m.threads = static_cast<int>(r.i64());
    r.expect_end();
    return m;
}

std::string encode(const ToCoordinator& m) {
    using Kind = ToCoordinator::Kind;
    ByteWriter w;
    w.u8(kToCoordinatorBase + static_cast<std::uint8_t>(m.kind));
    switch (m.kind) {
        case Kind::kGenerations:
            w.u64(m.generations.size());
            for (const auto& c : m.generations) write_commit(w, c);
            break;
        case Kind::kChainDone:
            w.u64(m.chain);
            break;
        case Kind::kFailure:
            w.u8(static_cast<std::uint8_t>(m.error_kind));
            w.bytes(m.error);
            break;
        case Kind::kRequest:
        case Kind::kDone:
            break;
    }
    return w.take();
}

ToCoordinator decode_to_coordinator(std::string_view bytes) {
    using Kind = ToCoordinator::Kind;
    ByteReader r(bytes);
    ToCoordinator m;
    m.kind = static_cast<Kind>(
        expect_kind(r, kToCoordinatorBase + static_cast<std::uint8_t>(Kind::kRequest),
                    kToCoordinatorBase + static_cast<std::uint8_t>(Kind::kDone),
                    "message to rank 0") -
        kToCoordinatorBase);
    switch (m.kind) {
        case Kind::kGenerations: {
            const std::uint64_t n = r.u64();
            for (std::uint64_t i = 0; i < n; ++i) m.generations.push_back(read_commit(r));
            break;
        }
        case Kind::kChainDone:
            m.chain = r.u64();
            break;
        case Kind::kFailure: {
            const std::uint8_t kind = r.u8();
            if (kind > static_cast<std::uint8_t>(ToCoordinator::ErrorKind::kData))
                throw Error(
                    fmt::format("a failure message between MPI ranks has error kind {}", kind));
            m.error_kind = static_cast<ToCoordinator::ErrorKind>(kind);
            m.error = r.bytes();
            break;
        }
        case Kind::kRequest:
        case Kind::kDone:
            break;
    }
    r.expect_end();
    return m;
}

std::string encode(const ToWorker& m) {
    using Kind = ToWorker::Kind;
    ByteWriter w;
    w.u8(kToWorkerBase + static_cast<std::uint8_t>(m.kind));
    switch (m.kind) {
        case Kind::kAssign:
            w.u64(m.chain);
            w.u8(m.checkpoint.has_value() ? 1 : 0);
            if (m.checkpoint) w.bytes(*m.checkpoint);
            break;
        case Kind::kBye:
            w.i64(m.exit_code);
            break;
        case Kind::kNoMore:
        case Kind::kStop:
            break;
    }
    return w.take();
}

ToWorker decode_to_worker(std::string_view bytes) {
    using Kind = ToWorker::Kind;
    ByteReader r(bytes);
    ToWorker m;
    m.kind = static_cast<Kind>(
        expect_kind(r, kToWorkerBase + static_cast<std::uint8_t>(Kind::kAssign),
                    kToWorkerBase + static_cast<std::uint8_t>(Kind::kBye), "message to a worker") -
        kToWorkerBase);
    switch (m.kind) {
        case Kind::kAssign:
            m.chain = r.u64();
            if (r.u8() != 0) m.checkpoint = r.bytes();
            break;
        case Kind::kBye:
            m.exit_code = static_cast<int>(r.i64());
            break;
        case Kind::kNoMore:
        case Kind::kStop:
            break;
    }
    r.expect_end();
    return m;
}

}  // namespace madlab
