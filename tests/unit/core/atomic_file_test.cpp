#include "madlab/core/atomic_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "madlab/core/error.h"

namespace madlab {
namespace {

std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST(AtomicFile, WritesAndReplacesWithoutLeavingTemporaries) {
    const auto dir = std::filesystem::temp_directory_path() / "madlab_atomic_test";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "out.txt").string();
    write_file_atomically(path, "first");
    write_file_atomically(path, "second version");
    EXPECT_EQ(read(path), "second version");
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir),
                            std::filesystem::directory_iterator{}),
              1);
    std::filesystem::remove_all(dir);
}

TEST(AtomicFile, StreamedContentAppearsWholeOrNotAtAll) {
    const auto dir = std::filesystem::temp_directory_path() / "madlab_atomic_stream_test";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "model.arpa").string();
    write_file_atomically(path, [](std::ostream& out) {
        for (int i = 0; i < 100000; ++i) out << i << '\n';
    });
    const std::string whole = read(path);
    EXPECT_EQ(whole.substr(0, 4), "0\n1\n");
    EXPECT_EQ(whole.substr(whole.size() - 6), "99999\n");
    // A writer that fails half way leaves the earlier file as it was and no temporary behind.
    EXPECT_THROW(write_file_atomically(path,
                                       [](std::ostream& out) {
                                           out << "partial";
                                           throw Error("stopped half way");
                                       }),
                 Error);
    EXPECT_EQ(read(path), whole);
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir),
                            std::filesystem::directory_iterator{}),
              1);
    std::filesystem::remove_all(dir);
}

TEST(AtomicFile, MissingFolderIsAClearError) {
    try {
        write_file_atomically("/nonexistent-folder-madlab/x.csv", "data");
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent-folder-madlab/x.csv"),
                  std::string::npos);
    }
}

}  // namespace
}  // namespace madlab
