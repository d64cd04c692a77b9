#include "poster.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace peebot {

std::optional<double> Poster::schedule(const Detection& d, double now_s, PostOutcome& outcome) const {
  if (d.kind != DetectionKind::kUrination) { outcome = PostOutcome::kSkipped; return std::nullopt; }
  const double ready = has_sent_ ? last_sent_s_ + p_.cooldown_s : now_s;
  if (ready <= now_s) { outcome = PostOutcome::kSent; return now_s; }
  if (p_.cooldown_policy == "drop") { outcome = PostOutcome::kSuppressed; return std::nullopt; }
  outcome = PostOutcome::kSent;
  return ready;
}

std::optional<double> Poster::retry_delay(int attempts, double server_wait_s) const {
  if (attempts > p_.max_retries) return std::nullopt;
  return std::max(server_wait_s, std::min(p_.backoff_max_s, p_.backoff_s * std::pow(2.0, attempts - 1)));
}

std::string Poster::compose(const Detection& d, double epoch_unix_s) const {
  static const char* const kQuips[] = {
      "The Urine Processor Assembly thanks you for your contribution.",
      "Today's pee is tomorrow's coffee.",
      "Water recovery never sleeps.",
      "Another small step for a man, one giant leak for mankind.",
      "The tank remembers everything.",
  };
  const double t = epoch_unix_s + d.onset_s;
  const long long secs = static_cast<long long>(std::floor(t));
  const int hh = static_cast<int>((secs % 86400 + 86400) % 86400 / 3600);
  const int mm = static_cast<int>((secs % 3600 + 3600) % 3600 / 60);
  char buf[320];
  std::snprintf(buf, sizeof buf, "Someone on the ISS just peed about %.0f mL (+%.0f%% in the urine tank) at %02d:%02d UTC. %s #ISS #PeeBot",
                d.size_ml, d.size_pct, hh, mm, kQuips[d.id % (sizeof kQuips / sizeof kQuips[0])]);
  return buf;
}

}  // namespace peebot
