#include "post_state.hpp"

#include "../util/files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace peebot::live {

namespace {

void write_all(int fd, const std::string& s, const std::string& path) {
  std::size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("post state " + path + ": write failed: " + std::strerror(errno));
    }
    off += static_cast<std::size_t>(n);
  }
}

}  // namespace

std::string detection_key(double onset_unix) {
  char b[48];
  std::snprintf(b, sizeof b, "peebot-%lld", static_cast<long long>(std::llround(onset_unix * 1000.0)));
  return b;
}

PostState::PostState(std::string path) : path_(std::move(path)) {
  std::ifstream in(path_);
  if (!in) return;  // no state yet
  std::string line;
  int n = 0;
  bool have_onset = false;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string name, value;
    ls >> name;
    std::getline(ls >> std::ws, value);
    auto number = [&](double& out) {
      char* end = nullptr;
      out = std::strtod(value.c_str(), &end);
      if (value.empty() || end != value.c_str() + value.size() || !std::isfinite(out))
        throw std::invalid_argument(path_ + ":" + std::to_string(n) + ": " + name + ": expected a number, got \"" + value + "\"");
    };
    double v = 0;
    if (name == "key") key_ = value;
    else if (name == "onset_unix") { number(onset_unix_); have_onset = true; }
    else if (name == "sent_unix") number(sent_unix_);
    else if (name == "posted") { number(v); posted_ = static_cast<std::uint64_t>(v); }
    else if (name == "remote_id") remote_id_ = value;
    else
      throw std::invalid_argument(path_ + ":" + std::to_string(n) + ": unknown entry \"" + name +
                                  "\" (expected key, onset_unix, sent_unix, posted, remote_id)");
  }
  if (posted_ > 0 && !have_onset) throw std::invalid_argument(path_ + ": onset_unix is missing");
}

bool PostState::already_posted(double onset_unix) const { return posted_ > 0 && onset_unix <= onset_unix_ + 0.5; }

void PostState::record(const std::string& key, double onset_unix, double sent_unix, const std::string& remote_id) {
  PostState next = *this;
  next.key_ = key;
  next.onset_unix_ = onset_unix;
  next.sent_unix_ = sent_unix;
  next.remote_id_ = remote_id;
  ++next.posted_;
  next.save();
  *this = std::move(next);
}

void PostState::save() const {
  char b[512];
  std::snprintf(b, sizeof b,
                "# peebot live: the last detection posted (replaced atomically after each post).\n"
                "# A restarted run posts only detections after this one; delete the file to forget it.\n"
                "key %s\nonset_unix %.3f\nsent_unix %.3f\nposted %llu\n",
                key_.c_str(), onset_unix_, sent_unix_, static_cast<unsigned long long>(posted_));
  std::string text = b;
  if (!remote_id_.empty() && remote_id_.find('\n') == std::string::npos) text += "remote_id " + remote_id_ + "\n";
  std::string tmp;  // created exclusively: never through a link planted at the name
  int fd = -1;
  try {
    fd = create_temp_beside(path_, tmp, 0600);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string("post state ") + e.what());
  }
  try {
    write_all(fd, text, tmp);
    if (::fsync(fd) != 0) throw std::runtime_error("post state " + tmp + ": fsync failed: " + std::strerror(errno));
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw std::runtime_error("post state " + path_ + ": rename failed: " + err);
  }
  // The rename itself is durable once the directory is synced.
  std::string dir = std::filesystem::path(path_).parent_path().string();
  if (dir.empty()) dir = ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) { ::fsync(dfd); ::close(dfd); }
}

}  // namespace peebot::live
