// Field checks shared by the task and supervisor validation: each throws SpecError with a
// message naming the field by its path ("spec.dataSchema.dataSource"), as Druid's 400s do.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "timestamps.h"

namespace druid_mock {

struct SpecError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail_missing(const std::string& path);
[[noreturn]] void fail_invalid(const std::string& path, std::string_view why);

// parent[name] as an object; absent (or null) and not `required`: nullptr.
const rapidjson::Value* object_field(const rapidjson::Value& parent, const char* name,
                                     const std::string& path, bool required);
// parent[name] as an array; absent (or null): nullptr.
const rapidjson::Value* array_field(const rapidjson::Value& parent, const char* name,
                                    const std::string& path);
// parent[name] as a string; absent (or null) and not `required`: nullopt.
std::optional<std::string> string_field(const rapidjson::Value& parent, const char* name,
                                        const std::string& path, bool required);
// A required, non-empty string.
std::string nonempty_string_field(const rapidjson::Value& parent, const char* name,
                                  const std::string& path);
// parent[name] as a boolean; absent (or null): `fallback`.
bool bool_field(const rapidjson::Value& parent, const char* name, const std::string& path,
                bool fallback);
// A string field that must be one of `allowed` when present (`required`: must be present).
std::optional<std::string> enum_field(const rapidjson::Value& parent, const char* name,
                                      const std::string& path, bool required,
                                      std::initializer_list<std::string_view> allowed);

// Druid's rules for task ids, supervisor ids and dataSource names (IdUtils.validateId): not
// empty, no '/', not starting with '.', no whitespace but ' ', no control characters.
void check_id(std::string_view value, const std::string& path);

struct TimestampSpec {
  std::string column;
  TimestampFormat format = TimestampFormat::automatic;
  std::optional<std::int64_t> missing_millis;  // missingValue
};
// dataSchema.timestampSpec: column (string), format (iso, millis, posix, micro, nano or auto;
// absent: auto), missingValue (ISO string or millis number).
TimestampSpec timestamp_spec(const rapidjson::Value& data_schema, const std::string& path);

// dataSchema.dimensionsSpec (`required`: must be present): dimensions, when given, are strings or
// objects with a string name, each named once.
void check_dimensions_spec(const rapidjson::Value& data_schema, const std::string& path,
                           bool required);

}  // namespace druid_mock
