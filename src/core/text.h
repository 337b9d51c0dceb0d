// Small text helpers: ASCII case for protocol text (header names, schemes, host names, media
// types), locale-free; joining pieces into one string.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace gw {

inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Whether `s` starts with `lower_prefix` (given in lower case), in any case.
inline bool starts_with_any_case(std::string_view s, std::string_view lower_prefix) {
  return s.size() >= lower_prefix.size() &&
         ascii_lower(s.substr(0, lower_prefix.size())) == lower_prefix;
}

// The pieces one after the other, e.g. cat({"pipeline snapshot: ", why}).
inline std::string cat(std::initializer_list<std::string_view> parts) {
  std::string s;
  for (const auto p : parts) s += p;
  return s;
}

}  // namespace gw
