// Configuration problems, each with the place it was found: FILE:LINE:COL: error: MESSAGE.
#pragma once

#include <string>
#include <vector>

namespace gw {

struct Diagnostic {
  std::string file;
  int line = 1;    // 1-based
  int column = 1;  // 1-based
  std::string message;
  std::string format() const;  // "FILE:LINE:COL: error: MESSAGE"
};

using Diagnostics = std::vector<Diagnostic>;

// Edit distance, for "did you mean …?" suggestions.
std::size_t edit_distance(const std::string& a, const std::string& b);
// The closest candidate if it is close enough to be a plausible typo, else "".
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace gw
