#include "spec_checks.h"

#include <set>

namespace druid_mock {
namespace {

std::string child(const std::string& path, const char* name) {
  return path.empty() ? std::string(name) : path + "." + name;
}

// parent[name], or nullptr when absent or null.
const rapidjson::Value* present(const rapidjson::Value& parent, const char* name) {
  if (!parent.IsObject()) return nullptr;
  const auto it = parent.FindMember(name);
  if (it == parent.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

}  // namespace

void fail_missing(const std::string& path) {
  throw SpecError("Missing required field [" + path + "]");
}

void fail_invalid(const std::string& path, std::string_view why) {
  throw SpecError("Invalid value for field [" + path + "]: " + std::string(why));
}

const rapidjson::Value* object_field(const rapidjson::Value& parent, const char* name,
                                     const std::string& path, bool required) {
  const std::string p = child(path, name);
  const rapidjson::Value* v = present(parent, name);
  if (v == nullptr) {
    if (required) fail_missing(p);
    return nullptr;
  }
  if (!v->IsObject()) fail_invalid(p, "expected a JSON object");
  return v;
}

const rapidjson::Value* array_field(const rapidjson::Value& parent, const char* name,
                                    const std::string& path) {
  const rapidjson::Value* v = present(parent, name);
  if (v != nullptr && !v->IsArray()) fail_invalid(child(path, name), "expected a JSON array");
  return v;
}

std::optional<std::string> string_field(const rapidjson::Value& parent, const char* name,
                                        const std::string& path, bool required) {
  const std::string p = child(path, name);
  const rapidjson::Value* v = present(parent, name);
  if (v == nullptr) {
    if (required) fail_missing(p);
    return std::nullopt;
  }
  if (!v->IsString()) fail_invalid(p, "expected a string");
  return std::string(v->GetString(), v->GetStringLength());
}

std::string nonempty_string_field(const rapidjson::Value& parent, const char* name,
                                  const std::string& path) {
  std::string s = *string_field(parent, name, path, true);
  if (s.empty()) fail_invalid(child(path, name), "must not be empty");
  return s;
}

bool bool_field(const rapidjson::Value& parent, const char* name, const std::string& path,
                bool fallback) {
  const rapidjson::Value* v = present(parent, name);
  if (v == nullptr) return fallback;
  if (!v->IsBool()) fail_invalid(child(path, name), "expected true or false");
  return v->GetBool();
}

std::optional<std::string> enum_field(const rapidjson::Value& parent, const char* name,
                                      const std::string& path, bool required,
                                      std::initializer_list<std::string_view> allowed) {
  auto value = string_field(parent, name, path, required);
  if (!value) return value;
  std::string list;
  for (const std::string_view a : allowed) {
    if (*value == a) return value;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  fail_invalid(child(path, name),
               "[" + *value + "] is not supported, expected one of [" + list + "]");
}

void check_id(std::string_view value, const std::string& path) {
  if (value.empty()) fail_invalid(path, "must not be empty");
  if (value.find('/') != std::string_view::npos)
    fail_invalid(path, "cannot contain the '/' character");
  if (value.front() == '.') fail_invalid(path, "cannot start with the '.' character");
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f)
      fail_invalid(path, "cannot contain control characters or whitespace other than ' '");
  }
}

TimestampSpec timestamp_spec(const rapidjson::Value& data_schema, const std::string& path) {
  const std::string p = child(path, "timestampSpec");
  const rapidjson::Value& ts = *object_field(data_schema, "timestampSpec", path, true);
  TimestampSpec spec;
  spec.column = *string_field(ts, "column", p, true);
  if (const auto format = string_field(ts, "format", p, false)) {
    const auto parsed = parse_timestamp_format(*format);
    if (!parsed)
      fail_invalid(p + ".format", "[" + *format +
                                      "] is not supported by the mock, expected one of [iso, "
                                      "millis, posix, micro, nano, auto]");
    spec.format = *parsed;
  }
  if (const rapidjson::Value* missing = present(ts, "missingValue")) {
    std::optional<std::int64_t> millis;
    if (missing->IsString())
      millis = parse_iso(std::string_view(missing->GetString(), missing->GetStringLength()), true);
    else if (missing->IsInt64())
      millis = missing->GetInt64();
    if (!millis) fail_invalid(p + ".missingValue", "expected an ISO-8601 time or epoch millis");
    spec.missing_millis = millis;
  }
  return spec;
}

void check_dimensions_spec(const rapidjson::Value& data_schema, const std::string& path,
                           bool required) {
  const std::string p = child(path, "dimensionsSpec");
  const rapidjson::Value* dims_spec = object_field(data_schema, "dimensionsSpec", path, required);
  if (dims_spec == nullptr) return;
  const rapidjson::Value* dims = array_field(*dims_spec, "dimensions", p);
  if (dims == nullptr) return;
  std::set<std::string> seen;
  for (const auto& d : dims->GetArray()) {
    std::string name;
    if (d.IsString()) {
      name.assign(d.GetString(), d.GetStringLength());
    } else if (d.IsObject()) {
      name = nonempty_string_field(d, "name", p + ".dimensions[]");
    } else {
      fail_invalid(p + ".dimensions", "each dimension must be a name or an object");
    }
    if (name.empty()) fail_invalid(p + ".dimensions", "a dimension name must not be empty");
    if (!seen.insert(name).second)
      fail_invalid(p + ".dimensions", "Cannot specify a column more than once: [" + name +
                                          "] seen in dimensions list");
  }
}

}  // namespace druid_mock
