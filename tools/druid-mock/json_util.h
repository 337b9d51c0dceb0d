// JSON helpers for druid-mock (RapidJSON): field access, serialisation and Druid's error bodies.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace druid_mock {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// `obj[name]`, or nullptr when `obj` is not an object or has no such member.
const rapidjson::Value* member(const rapidjson::Value& obj, const char* name);

// The member's string, or "" when it is absent or not a string.
std::string string_member(const rapidjson::Value& obj, const char* name);

// Compact JSON text of a value.
std::string to_json(const rapidjson::Value& value);

// A JSON string literal.
std::string json_string(std::string_view text);

void write_string(JsonWriter& w, std::string_view text);

// Members "name":"text", in order.
void write_strings(JsonWriter& w,
                   std::initializer_list<std::pair<const char*, std::string_view>> members);

// Members "name":number, in order.
void write_numbers(JsonWriter& w,
                   std::initializer_list<std::pair<const char*, std::int64_t>> members);

// The result of a StringBuffer as text.
inline std::string text_of(const rapidjson::StringBuffer& buf) {
  return std::string(buf.GetString(), buf.GetSize());
}

// The JSON text that `write(JsonWriter&)` writes.
template <typename Write>
std::string written_json(const Write& write) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  write(w);
  return text_of(buf);
}

// Druid's current error shape:
// {"error":"druidException","errorCode":…,"persona":"USER","category":…,"errorMessage":…,
//  "context":{}}.
std::string druid_exception(std::string_view error_code, std::string_view category,
                            std::string_view message);

// The invalidInput form of druid_exception() (HTTP 400).
std::string invalid_input(std::string_view message);

// Druid's older error shape: {"error":…,"errorMessage":…,"errorClass":…,"host":null}
// (`error_class` empty: null).
std::string legacy_error(std::string_view error, std::string_view message,
                         std::string_view error_class = {});

}  // namespace druid_mock
