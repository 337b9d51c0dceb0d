// Reading JSON documents (RapidJSON) from outside or from disk: a member by name and a string
// value whole. Parse such documents with rapidjson::kParseIterativeFlag: the default parser
// recurses once per nesting level, so a deeply nested answer would overflow the stack.
#pragma once

#include <rapidjson/document.h>

#include <string_view>

namespace gw::json {

// The member `name` of `v`; nullptr when `v` is not an object or has no such member.
inline const rapidjson::Value* member(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject()) return nullptr;
  const auto it = v.FindMember(name);
  return it == v.MemberEnd() ? nullptr : &it->value;
}

// A string value whole. REQUIRES: v.IsString(). GetString() alone would end it at an escaped
// NUL ("\u0000").
inline std::string_view text(const rapidjson::Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

}  // namespace gw::json
