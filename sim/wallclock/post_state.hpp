// The posting state of `peebot live` on disk: the last detection posted, so
// that a restarted run skips what was already posted ("replay from the last
// decision") and keeps the cooldown. A small text file, replaced atomically
// (temp file, fsync, rename, fsync of the directory) after each post.
#pragma once
#include <cstdint>
#include <string>

namespace peebot::live {

class PostState {
 public:
  // Loads `path` when it exists (a missing file is an empty state). Throws
  // std::invalid_argument naming path:line on a malformed file.
  explicit PostState(std::string path);
  const std::string& path() const { return path_; }
  bool has_posted() const { return posted_ > 0; }
  // True when a detection with this onset (unix s, from the feed's clock) was
  // posted already: its onset is at or before the last posted one's (+ 0.5 s,
  // the clock's rounding).
  bool already_posted(double onset_unix) const;
  // Records a post the API accepted and saves the file. Throws std::runtime_error
  // when it cannot be written (the old file is then left as it was).
  void record(const std::string& key, double onset_unix, double sent_unix, const std::string& remote_id);
  const std::string& last_key() const { return key_; }
  double last_sent_unix() const { return sent_unix_; }
  std::uint64_t posted() const { return posted_; }

 private:
  void save() const;
  std::string path_, key_, remote_id_;
  double onset_unix_ = 0, sent_unix_ = 0;
  std::uint64_t posted_ = 0;
};

// The key naming a detection across runs: its onset on the feed's clock, in ms.
std::string detection_key(double onset_unix);

}  // namespace peebot::live
