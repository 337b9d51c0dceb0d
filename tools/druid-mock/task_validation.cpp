#include "task_validation.h"

#include "json_util.h"

namespace druid_mock {
namespace {

Granularity segment_granularity(const rapidjson::Value& data_schema) {
  const std::string path = "spec.dataSchema.granularitySpec";
  const rapidjson::Value* spec =
      object_field(data_schema, "granularitySpec", "spec.dataSchema", false);
  if (spec == nullptr) return Granularity::day();
  enum_field(*spec, "type", path, false, {"uniform"});
  bool_field(*spec, "rollup", path, false);
  const rapidjson::Value* g = member(*spec, "segmentGranularity");
  if (g == nullptr || g->IsNull()) return Granularity::day();
  if (!g->IsString())
    fail_invalid(path + ".segmentGranularity",
                 "only named granularities (\"day\", \"hour\", ...) are supported by the mock");
  const std::string name(g->GetString(), g->GetStringLength());
  const auto parsed = Granularity::parse(name);
  if (!parsed) fail_invalid(path + ".segmentGranularity", "unknown granularity [" + name + "]");
  return *parsed;
}

void check_transforms(const rapidjson::Value& data_schema) {
  const std::string path = "spec.dataSchema.transformSpec";
  const rapidjson::Value* spec =
      object_field(data_schema, "transformSpec", "spec.dataSchema", false);
  if (spec == nullptr) return;
  const rapidjson::Value* transforms = array_field(*spec, "transforms", path);
  if (transforms == nullptr) return;
  for (const auto& t : transforms->GetArray()) {
    const std::string p = path + ".transforms[]";
    if (!t.IsObject()) fail_invalid(p, "expected a JSON object");
    enum_field(t, "type", p, true, {"expression"});
    nonempty_string_field(t, "name", p);
    string_field(t, "expression", p, true);
  }
}

void read_io_config(const rapidjson::Value& spec, TaskSpec& out) {
  const std::string path = "spec.ioConfig";
  const rapidjson::Value& io = *object_field(spec, "ioConfig", "spec", true);
  enum_field(io, "type", path, true, {"index_parallel"});
  const rapidjson::Value& source = *object_field(io, "inputSource", path, true);
  enum_field(source, "type", path + ".inputSource", true, {"inline"});
  out.data = *string_field(source, "data", path + ".inputSource", true);
  const rapidjson::Value& format = *object_field(io, "inputFormat", path, true);
  enum_field(format, "type", path + ".inputFormat", true, {"json"});
  out.append = bool_field(io, "appendToExisting", path, false);
  if (bool_field(io, "dropExisting", path, false) && out.append)
    fail_invalid(path + ".dropExisting", "cannot be true together with appendToExisting");
}

void read_tuning_config(const rapidjson::Value& spec, TaskSpec& out) {
  const std::string path = "spec.tuningConfig";
  const rapidjson::Value* tuning = object_field(spec, "tuningConfig", "spec", false);
  if (tuning == nullptr) return;
  enum_field(*tuning, "type", path, false, {"index_parallel"});
  if (const rapidjson::Value* partitions = object_field(*tuning, "partitionsSpec", path, false)) {
    const auto type = string_field(*partitions, "type", path + ".partitionsSpec", true);
    if (out.append && *type != "dynamic")
      fail_invalid(
          path + ".partitionsSpec.type",
          "appendToExisting needs the [dynamic] partitionsSpec (best-effort rollup), got [" +
              *type + "]");
  }
  if (const rapidjson::Value* max = member(*tuning, "maxParseExceptions");
      max != nullptr && !max->IsNull()) {
    if (!max->IsInt64() || max->GetInt64() < 0)
      fail_invalid(path + ".maxParseExceptions", "expected a non-negative integer");
    out.max_parse_exceptions = static_cast<long>(max->GetInt64());
  }
  if (bool_field(*tuning, "reportParseExceptions", path, false)) out.max_parse_exceptions = 0;
}

}  // namespace

std::optional<TaskSpec> validate_task(const rapidjson::Value& task, std::string& error) {
  try {
    if (!task.IsObject()) throw SpecError("The task must be a JSON object");
    TaskSpec out;
    enum_field(task, "type", "", true, {"index_parallel"});
    if (const auto id = string_field(task, "id", "", false)) {
      check_id(*id, "id");
      out.id = *id;
    }
    const rapidjson::Value& spec = *object_field(task, "spec", "", true);
    const rapidjson::Value& schema = *object_field(spec, "dataSchema", "spec", true);
    out.datasource = nonempty_string_field(schema, "dataSource", "spec.dataSchema");
    check_id(out.datasource, "spec.dataSchema.dataSource");
    out.timestamp = timestamp_spec(schema, "spec.dataSchema");
    check_dimensions_spec(schema, "spec.dataSchema", true);
    out.granularity = segment_granularity(schema);
    check_transforms(schema);
    array_field(schema, "metricsSpec", "spec.dataSchema");
    read_io_config(spec, out);
    read_tuning_config(spec, out);
    return out;
  } catch (const SpecError& e) {
    error = e.what();
    return std::nullopt;
  }
}

}  // namespace druid_mock
