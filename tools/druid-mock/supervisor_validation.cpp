#include "supervisor_validation.h"

#include "json_util.h"
#include "spec_checks.h"

namespace druid_mock {
namespace {

void check_input_format(const rapidjson::Value& io, const std::string& path) {
  const std::string p = path + ".inputFormat";
  const rapidjson::Value& format = *object_field(io, "inputFormat", path, true);
  const auto type = enum_field(format, "type", p, true, {"json", "avro_stream"});
  if (*type != "avro_stream") return;
  const std::string d = p + ".avroBytesDecoder";
  const rapidjson::Value& decoder = *object_field(format, "avroBytesDecoder", p, true);
  enum_field(decoder, "type", d, true, {"schema_registry"});
  if (const rapidjson::Value* urls = array_field(decoder, "urls", d)) {
    if (urls->Empty()) fail_invalid(d + ".urls", "must not be empty");
    for (const auto& u : urls->GetArray())
      if (!u.IsString() || u.GetStringLength() == 0)
        fail_invalid(d + ".urls", "expected non-empty strings");
    return;
  }
  nonempty_string_field(decoder, "url", d);
}

}  // namespace

std::optional<SupervisorSpec> validate_supervisor(const rapidjson::Value& body,
                                                  std::string& error) {
  try {
    if (!body.IsObject()) throw SpecError("The supervisor spec must be a JSON object");
    enum_field(body, "type", "", true, {"kafka"});
    const rapidjson::Value* nested = object_field(body, "spec", "", false);
    const rapidjson::Value& spec = nested != nullptr ? *nested : body;
    const std::string base = nested != nullptr ? "spec" : "";
    const auto at = [&](const char* name) {
      return base.empty() ? std::string(name) : base + "." + name;
    };

    SupervisorSpec out;
    const rapidjson::Value& schema = *object_field(spec, "dataSchema", base, true);
    out.datasource = nonempty_string_field(schema, "dataSource", at("dataSchema"));
    check_id(out.datasource, at("dataSchema") + ".dataSource");
    timestamp_spec(schema, at("dataSchema"));
    check_dimensions_spec(schema, at("dataSchema"), false);

    const std::string io_path = at("ioConfig");
    const rapidjson::Value& io = *object_field(spec, "ioConfig", base, true);
    enum_field(io, "type", io_path, false, {"kafka"});
    out.topic = nonempty_string_field(io, "topic", io_path);
    const rapidjson::Value& consumer = *object_field(io, "consumerProperties", io_path, true);
    nonempty_string_field(consumer, "bootstrap.servers", io_path + ".consumerProperties");
    check_input_format(io, io_path);

    if (const rapidjson::Value* tuning = object_field(spec, "tuningConfig", base, false))
      enum_field(*tuning, "type", at("tuningConfig"), false, {"kafka"});

    if (const auto id = string_field(body, "id", "", false)) {
      check_id(*id, "id");
      out.id = *id;
    } else if (nested != nullptr) {
      if (const auto spec_id = string_field(spec, "id", "spec", false)) {
        check_id(*spec_id, "spec.id");
        out.id = *spec_id;
      }
    }
    if (out.id.empty()) out.id = out.datasource;
    return out;
  } catch (const SpecError& e) {
    error = e.what();
    return std::nullopt;
  }
}

}  // namespace druid_mock
