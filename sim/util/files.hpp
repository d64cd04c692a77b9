// Writing outputs safely (docs/security.md): every file the project replaces
// is written to a temporary created exclusively in the target's folder (never
// through an existing file or a symbolic link planted there) and renamed over
// the target when complete; an interrupted command removes its temporaries.
#pragma once
#include <sys/types.h>

#include <string>

namespace peebot {

// A fresh, unused name for a temporary beside `path`: "path.tmp.XXXXXX" (6
// random characters). Create it with O_CREAT | O_EXCL (or HDF5's
// H5F_ACC_EXCL), which never follows a link; retry with a new name on EEXIST.
std::string unique_temp_name(const std::string& path);

// Creates a temporary beside `path` exclusively (O_CREAT | O_EXCL | O_NOFOLLOW,
// `mode` less the umask); returns its descriptor and sets `tmp` to its name.
// Throws std::runtime_error naming `path` and the reason.
int create_temp_beside(const std::string& path, std::string& tmp, mode_t mode = 0666);

// Writes `text` to `path` whole or not at all: an exclusive temporary beside
// it, fsync'd when `durable`, renamed over `path` (a link at `path` is
// replaced, never followed). Throws std::runtime_error naming `path`.
void write_file_atomically(const std::string& path, const std::string& text, mode_t mode = 0666,
                           bool durable = false);

// ---- Temporaries removed on SIGINT / SIGTERM ----
// install_interrupt_cleanup() makes SIGINT and SIGTERM remove every
// registered temporary, print "peebot: interrupted by SIGINT; removed
// unfinished NAME" and exit 130 (SIGINT) or 143 (SIGTERM). Install it after
// any library that sets its own handlers (SimGrid does, at engine creation).
void install_interrupt_cleanup();
// Registers / unregisters a temporary (at most 16 at once; longer paths than
// 4095 bytes are not registered). Safe to call from any thread.
void register_temp_file(const std::string& path);
void unregister_temp_file(const std::string& path);

}  // namespace peebot
