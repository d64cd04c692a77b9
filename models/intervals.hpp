// Time windows (anything with start_s and end_s): the one place they are
// sorted and merged (LOS windows, UPA outages).
#pragma once
#include <algorithm>
#include <vector>

namespace peebot {

// `w` sorted by start, with windows that overlap or touch merged into one
// (a merged window keeps the earlier window's other fields).
template <class Window>
std::vector<Window> merge_windows(std::vector<Window> w) {
  std::sort(w.begin(), w.end(), [](const Window& a, const Window& b) { return a.start_s < b.start_s; });
  std::vector<Window> merged;
  merged.reserve(w.size());
  for (const Window& x : w) {
    if (!merged.empty() && x.start_s <= merged.back().end_s)
      merged.back().end_s = std::max(merged.back().end_s, x.end_s);
    else
      merged.push_back(x);
  }
  return merged;
}

}  // namespace peebot
