#pragma once
// Output files appear whole or not at all: content goes to a new temporary file in the same
// folder, is flushed to disk, and is renamed over the target (rename is atomic on POSIX file
// systems); the folder is then flushed too, so that the rename survives a crash of the machine.
//
// The temporary is "<path>.tmp.<pid>" (or "<path>.tmp.<pid>.<k>", k = 1, 2, ... when that name
// is taken: another thread writing the same file, or a leftover of an earlier process that had
// the same pid). It is created new (O_CREAT | O_EXCL | O_NOFOLLOW): never an existing file, and
// never through a symbolic link planted at its name, whose target stays untouched. A process
// killed during a write leaves its temporary behind; remove_stale_temporaries removes those.

#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace madlab {

// Writes `content` to `path` atomically. Throws Error naming the path if any step fails; the
// target is then untouched and the temporary file removed.
void write_file_atomically(const std::string& path, const std::string& content);

// The same for content too large to hold in memory (an ARPA file): `write` streams it to the
// temporary file. An exception from `write` is passed on after the temporary file is removed.
void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write);

// Removes the temporaries that writers killed in the middle of write_file_atomically left in
// `folder` and its subfolders: entries named "<name>.tmp.<pid>" or "<name>.tmp.<pid>.<k>" whose
// process <pid> is no longer running. A running process's temporaries are kept (it may be
// writing them; pids are this machine's, so do not clean a folder that a process on another
// machine writes to at the same time), and so is every other file. A symbolic link with such a
// name is removed itself, never followed. Best effort: a missing folder, or an entry that cannot
// be read or removed, is skipped. Returns the removed paths.
std::vector<std::string> remove_stale_temporaries(const std::string& folder);

}  // namespace madlab
