// peebot view TRACE.h5 [options]: runs the trace viewer, peebot-view (viz/).
#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "cli.hpp"

namespace peebot::cli {

namespace {

// peebot-view next to this binary, in the build tree's viz/, or on PATH.
std::string find_viewer() {
  char self[PATH_MAX] = {0};
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    std::string dir(self, static_cast<std::size_t>(n));
    dir = dir.substr(0, dir.find_last_of('/'));
    for (const std::string& cand : {dir + "/peebot-view", dir + "/../viz/peebot-view"})
      if (access(cand.c_str(), X_OK) == 0) return cand;
  }
  return "peebot-view";
}

int cmd_view(const std::vector<std::string>& args) {
  if (args.empty()) throw UsageError("view", "missing TRACE.h5");
  const std::string viewer = find_viewer();
  std::vector<std::string> argv_s{viewer};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  execvp(viewer.c_str(), argv.data());
  std::cerr << "peebot view: cannot run '" << viewer << "': " << std::strerror(errno)
            << " (build the viewer: it is viz/peebot-view)\n";
  return 1;
}

}  // namespace

PEEBOT_COMMAND("view", "open a trace in the viewer, peebot-view (peebot view --help)", cmd_view);

}  // namespace peebot::cli
