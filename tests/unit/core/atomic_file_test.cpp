#include "madlab/core/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

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

TEST(AtomicFile, ALinkPlantedAtTheTemporaryNameIsNotFollowed) {
    namespace fs = std::filesystem;
    const auto dir = fs::temp_directory_path() / "madlab_atomic_link_test";
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string victim = (dir / "victim.txt").string();
    std::ofstream(victim) << "precious";
    const std::string path = (dir / "out.txt").string();
    // Someone who can write into the folder plants the temporary's name as a link.
    const std::string planted = path + ".tmp." + std::to_string(::getpid());
    fs::create_symlink(victim, planted);
    write_file_atomically(path, "new content");
    EXPECT_EQ(read(path), "new content");
    EXPECT_FALSE(fs::is_symlink(path));
    EXPECT_EQ(read(victim), "precious");   // the link's target is untouched
    EXPECT_TRUE(fs::is_symlink(planted));  // and the link left as it was
    // The write used another name and left nothing else behind: out.txt, victim, the link.
    EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}), 3);
    fs::remove_all(dir);
}

// A pid that no process has: a child that has exited and been reaped.
pid_t finished_pid() {
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    int status = 0;
    ::waitpid(child, &status, 0);
    return child;
}

TEST(AtomicFile, StaleTemporariesAreRemovedALiveProcesssAreKept) {
    namespace fs = std::filesystem;
    const auto dir = fs::temp_directory_path() / "madlab_atomic_stale_test";
    fs::remove_all(dir);
    fs::create_directories(dir / "models" / "gen-0001");
    const std::string dead = std::to_string(finished_pid());
    const std::string live = std::to_string(::getpid());
    const std::string victim = (fs::temp_directory_path() / "madlab_atomic_stale_victim").string();
    std::ofstream(victim) << "precious";
    const std::vector<std::string> stale = {"summary.json.tmp." + dead,
                                            "models/gen-0001/train.npy.tmp." + dead + ".2"};
    const std::vector<std::string> kept = {
        "records.csv.tmp." + live,  // a running process (this one) may be writing it
        "records.csv",
        "notes.tmp.txt",
        "data.tmp." + dead + "x",
        "data.tmp.",
        ".tmp." + dead,
        "data.tmp.-" + dead};
    for (const auto& name : stale) std::ofstream(dir / name) << "partial";
    for (const auto& name : kept) std::ofstream(dir / name) << "keep";
    // A link with a stale temporary's name goes, its target stays.
    fs::create_symlink(victim, dir / ("report.html.tmp." + dead));

    std::vector<std::string> removed = remove_stale_temporaries(dir.string());
    std::sort(removed.begin(), removed.end());
    std::vector<std::string> expected = {(dir / stale[0]).string(), (dir / stale[1]).string(),
                                         (dir / ("report.html.tmp." + dead)).string()};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(removed, expected);
    for (const auto& name : stale) EXPECT_FALSE(fs::exists(dir / name)) << name;
    EXPECT_FALSE(fs::is_symlink(dir / ("report.html.tmp." + dead)));
    for (const auto& name : kept) EXPECT_EQ(read((dir / name).string()), "keep") << name;
    EXPECT_EQ(read(victim), "precious");
    // Nothing left to remove, and a missing folder is no error.
    EXPECT_TRUE(remove_stale_temporaries(dir.string()).empty());
    EXPECT_TRUE(remove_stale_temporaries((dir / "missing").string()).empty());
    fs::remove_all(dir);
    fs::remove(victim);
}

}  // namespace
}  // namespace madlab
