#include "files.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <stdexcept>

namespace peebot {

std::string unique_temp_name(const std::string& path) {
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  static thread_local std::mt19937_64 rng{std::random_device{}() ^ (static_cast<std::uint64_t>(::getpid()) << 32)};
  std::string name = path + ".tmp.";
  for (int i = 0; i < 6; ++i) name += kChars[rng() % (sizeof kChars - 1)];
  return name;
}

int create_temp_beside(const std::string& path, std::string& tmp, mode_t mode) {
  if (path.empty()) throw std::runtime_error("cannot write to an empty file name");
  for (int attempt = 0; attempt < 100; ++attempt) {
    tmp = unique_temp_name(path);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd >= 0) return fd;
    if (errno != EEXIST) throw std::runtime_error(path + ": cannot create a temporary file beside it: " + std::strerror(errno));
  }
  throw std::runtime_error(path + ": cannot create a temporary file beside it: every name tried exists");
}

void write_file_atomically(const std::string& path, const std::string& text, mode_t mode, bool durable) {
  std::string tmp;
  const int fd = create_temp_beside(path, tmp, mode);
  register_temp_file(tmp);
  const auto fail = [&](const std::string& what) {
    const std::string err = std::strerror(errno);
    ::close(fd);
    ::unlink(tmp.c_str());
    unregister_temp_file(tmp);
    throw std::runtime_error(path + ": " + what + ": " + err);
  };
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("cannot write");
    done += static_cast<std::size_t>(n);
  }
  if (durable && ::fsync(fd) != 0) fail("fsync failed");
  if (::close(fd) != 0) {
    const std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    unregister_temp_file(tmp);
    throw std::runtime_error(path + ": cannot write: " + err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    unregister_temp_file(tmp);
    throw std::runtime_error(path + ": cannot replace it: " + err);
  }
  unregister_temp_file(tmp);
}

// ---------------------------------------------------------------- interrupt cleanup
namespace {
constexpr std::size_t kSlots = 16, kPathMax = 4096;
struct Slot {
  std::atomic<bool> used{false};
  std::atomic<bool> ready{false};
  char path[kPathMax];
};
std::array<Slot, kSlots> g_slots;

void write_str(const char* s) {
  const std::size_t n = std::strlen(s);
  for (std::size_t done = 0; done < n;) {
    const ssize_t w = ::write(STDERR_FILENO, s + done, n - done);
    if (w <= 0) return;
    done += static_cast<std::size_t>(w);
  }
}

extern "C" void on_interrupt(int sig) {
  write_str(sig == SIGINT ? "\npeebot: interrupted by SIGINT" : "\npeebot: interrupted by SIGTERM");
  bool any = false;
  for (Slot& s : g_slots)
    if (s.ready.load()) {
      ::unlink(s.path);
      write_str(any ? ", " : "; removed unfinished ");
      write_str(s.path);
      any = true;
    }
  write_str("\n");
  ::_exit(128 + sig);
}
}  // namespace

void install_interrupt_cleanup() {
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGINT);
  sigaddset(&sa.sa_mask, SIGTERM);
  sa.sa_flags = 0;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

void register_temp_file(const std::string& path) {
  if (path.size() >= kPathMax) return;
  for (Slot& s : g_slots) {
    bool expected = false;
    if (s.used.compare_exchange_strong(expected, true)) {
      std::memcpy(s.path, path.c_str(), path.size() + 1);
      s.ready.store(true);
      return;
    }
  }
}

void unregister_temp_file(const std::string& path) {
  for (Slot& s : g_slots)
    if (s.ready.load() && path == s.path) {
      s.ready.store(false);
      s.used.store(false);
      return;
    }
}

}  // namespace peebot
