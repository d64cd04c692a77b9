// SimGrid's engine is a process-wide singleton: each engine test case runs
// its simulation in a forked child that sends its figures back.
#pragma once
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <vector>

namespace peebot::test {

// Runs `body` in a child process; returns the doubles it reported.
inline std::vector<double> in_child(const std::function<std::vector<double>()>& body) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    const auto out = body();
    const auto n = static_cast<ssize_t>(out.size() * sizeof(double));
    _exit(write(fds[1], out.data(), static_cast<size_t>(n)) == n ? 0 : 3);
  }
  close(fds[1]);
  std::vector<double> got;
  double v;
  while (read(fds[0], &v, sizeof v) == static_cast<ssize_t>(sizeof v)) got.push_back(v);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return got;
}

}  // namespace peebot::test
