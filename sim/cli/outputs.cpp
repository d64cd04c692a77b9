// check_output_path: outputs are checked before a command runs (issue 14:
// `-o` naming the scenario overwrote it; `-o ''` failed only after the run).
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "../util/text.hpp"
#include "cli.hpp"

namespace peebot::cli {

void check_output_path(const std::string& cmd, const std::string& option, const std::string& path,
                       const std::vector<std::string>& inputs) {
  const std::string named = option + " '" + printable(path) + "'";
  if (path.empty()) throw UsageError(cmd, option + ": an empty file name; expected the file to write");
  if (path.back() == '/') throw UsageError(cmd, named + " names a folder; expected a file name");
  struct stat out {};
  if (::stat(path.c_str(), &out) == 0) {
    if (S_ISDIR(out.st_mode)) throw UsageError(cmd, named + " is a folder; expected a file name");
    for (const std::string& in : inputs) {
      struct stat st {};
      if (::stat(in.c_str(), &st) == 0 && st.st_dev == out.st_dev && st.st_ino == out.st_ino)
        throw UsageError(cmd, named + " is the input '" + printable(in) + "' itself; writing it would destroy it");
    }
  }
  const auto slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  struct stat d {};
  if (::stat(dir.c_str(), &d) != 0)
    throw UsageError(cmd, named + ": folder '" + printable(dir) + "': " + std::strerror(errno));
  if (!S_ISDIR(d.st_mode)) throw UsageError(cmd, named + ": '" + printable(dir) + "' is not a folder");
}

}  // namespace peebot::cli
