#include "madlab/cluster/chain_messages.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "madlab/core/error.h"

namespace madlab {
namespace {

std::uint64_t bits(double v) { return std::bit_cast<std::uint64_t>(v); }

GenerationCommit commit_with_everything() {
    GenerationCommit c;
    c.chain_id = 17;
    c.generation = 42;
    // A NaN with a payload, -0.0, infinities and a subnormal must keep their bits.
    c.values = {{"recall", 0.1 + 0.2},
                {"frechet", std::bit_cast<double>(std::uint64_t{0x7ff8'0000'0000'1234})},
                {"neg_zero", -0.0},
                {"inf", -std::numeric_limits<double>::infinity()},
                {"tiny", std::numeric_limits<double>::denorm_min()},
                {"", 3.0}};
    c.checkpoint = std::string("state\0with\0zeros\xff", 17);
    SampleSet points;
    points.kind = "model";
    points.columns = 2;
    points.values = {1.5, -0.0, 2.25, 1e300};
    points.shape = {1, 2};
    SampleSet text;
    text.kind = "real";
    text.lines = {"una línea", "", "otra"};
    c.samples = {points, text};
    return c;
}

void expect_same(const GenerationCommit& a, const GenerationCommit& b) {
    EXPECT_EQ(a.chain_id, b.chain_id);
    EXPECT_EQ(a.generation, b.generation);
    ASSERT_EQ(a.values.size(), b.values.size());
    for (std::size_t i = 0; i < a.values.size(); ++i) {
        EXPECT_EQ(a.values[i].first, b.values[i].first);
        EXPECT_EQ(bits(a.values[i].second), bits(b.values[i].second)) << a.values[i].first;
    }
    EXPECT_EQ(a.checkpoint, b.checkpoint);
    ASSERT_EQ(a.samples.size(), b.samples.size());
    for (std::size_t i = 0; i < a.samples.size(); ++i) {
        EXPECT_EQ(a.samples[i].kind, b.samples[i].kind);
        EXPECT_EQ(a.samples[i].columns, b.samples[i].columns);
        ASSERT_EQ(a.samples[i].values.size(), b.samples[i].values.size());
        for (std::size_t j = 0; j < a.samples[i].values.size(); ++j)
            EXPECT_EQ(bits(a.samples[i].values[j]), bits(b.samples[i].values[j]));
        EXPECT_EQ(a.samples[i].lines, b.samples[i].lines);
        EXPECT_EQ(a.samples[i].shape, b.samples[i].shape);
    }
}

TEST(ChainMessages, GenerationsRoundTripBitForBit) {
    ToCoordinator m;
    m.kind = ToCoordinator::Kind::kGenerations;
    m.generations = {commit_with_everything(), GenerationCommit{}};  // the second: all empty
    const ToCoordinator back = decode_to_coordinator(encode(m));
    ASSERT_EQ(back.kind, ToCoordinator::Kind::kGenerations);
    ASSERT_EQ(back.generations.size(), 2u);
    expect_same(back.generations[0], m.generations[0]);
    expect_same(back.generations[1], m.generations[1]);
    EXPECT_TRUE(std::isnan(back.generations[0].values[1].second));
    EXPECT_TRUE(std::signbit(back.generations[0].values[2].second));
    EXPECT_TRUE(back.generations[1].checkpoint.empty());
    EXPECT_TRUE(back.generations[1].values.empty());
}

TEST(ChainMessages, OtherMessagesToRankZero) {
    ToCoordinator done;
    done.kind = ToCoordinator::Kind::kChainDone;
    done.chain = 123456789012ULL;
    EXPECT_EQ(decode_to_coordinator(encode(done)).chain, 123456789012ULL);

    ToCoordinator failure;
    failure.kind = ToCoordinator::Kind::kFailure;
    failure.error_kind = ToCoordinator::ErrorKind::kData;
    failure.error = "data/x.csv: no such file";
    const ToCoordinator back = decode_to_coordinator(encode(failure));
    EXPECT_EQ(back.kind, ToCoordinator::Kind::kFailure);
    EXPECT_EQ(back.error_kind, ToCoordinator::ErrorKind::kData);
    EXPECT_EQ(back.error, failure.error);

    for (auto kind : {ToCoordinator::Kind::kRequest, ToCoordinator::Kind::kDone}) {
        ToCoordinator m;
        m.kind = kind;
        EXPECT_EQ(encode(m).size(), 1u);
        EXPECT_EQ(decode_to_coordinator(encode(m)).kind, kind);
    }
}

TEST(ChainMessages, AssignmentKeepsAnEmptyCheckpointApartFromNone) {
    ToWorker none;
    none.kind = ToWorker::Kind::kAssign;
    none.chain = 7;
    const ToWorker a = decode_to_worker(encode(none));
    EXPECT_EQ(a.chain, 7u);
    EXPECT_FALSE(a.checkpoint.has_value());

    ToWorker empty = none;
    empty.checkpoint = "";
    const ToWorker b = decode_to_worker(encode(empty));
    ASSERT_TRUE(b.checkpoint.has_value());
    EXPECT_TRUE(b.checkpoint->empty());

    ToWorker full = none;
    full.checkpoint = std::string("\0\1\2", 3);
    EXPECT_EQ(*decode_to_worker(encode(full)).checkpoint, std::string("\0\1\2", 3));

    ToWorker bye;
    bye.kind = ToWorker::Kind::kBye;
    bye.exit_code = 2;
    EXPECT_EQ(decode_to_worker(encode(bye)).exit_code, 2);
}

TEST(ChainMessages, StudySetupRoundTrip) {
    StudySetup s;
    s.config_toml = "[study]\nname = \"x\"\n";
    s.where = "rank 0";
    s.work_dir = "/tmp/out dir";
    s.threads = 0;
    const StudySetup back = decode_study_setup(encode(s));
    EXPECT_EQ(back.exit_code, 0);
    EXPECT_EQ(back.config_toml, s.config_toml);
    EXPECT_EQ(back.where, s.where);
    EXPECT_EQ(back.work_dir, s.work_dir);
    EXPECT_EQ(back.threads, 0);

    StudySetup abort;
    abort.exit_code = 2;
    EXPECT_EQ(decode_study_setup(encode(abort)).exit_code, 2);
}

TEST(ChainMessages, TruncatedWrongOrPaddedBytesAreErrors) {
    ToCoordinator m;
    m.kind = ToCoordinator::Kind::kGenerations;
    m.generations = {commit_with_everything()};
    const std::string bytes = encode(m);
    for (std::size_t cut :
         {std::size_t{0}, std::size_t{1}, std::size_t{9}, bytes.size() / 2, bytes.size() - 1})
        EXPECT_THROW(decode_to_coordinator(bytes.substr(0, cut)), Error) << cut;
    EXPECT_THROW(decode_to_coordinator(bytes + "x"), Error);
    EXPECT_THROW(decode_to_worker(bytes), Error);  // a message of the other direction
    EXPECT_THROW(decode_study_setup(bytes), Error);
    // A length field larger than the message must not allocate it or read past the end.
    ByteWriter w;
    w.u64(std::numeric_limits<std::uint64_t>::max());
    ByteReader r(w.data());
    EXPECT_THROW(r.bytes(), Error);
}

}  // namespace
}  // namespace madlab
