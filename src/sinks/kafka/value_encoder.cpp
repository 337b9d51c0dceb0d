#include "sinks/kafka/value_encoder.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/interpolate.h"
#include "sinks/kafka/avro_encoder.h"
#include "sinks/kafka/schema_registry.h"

namespace gw {

struct ValueEncoder::AvroStream {
  std::unique_ptr<AvroEncoder> encoder;
  std::int32_t schema_id = -1;  // -1: not registered yet
};

std::string schema_directory() {
  if (auto v = process_environment()("IOT_GATEWAY_SCHEMAS"); v && !v->empty()) return *v;
  const std::string installed = "/usr/share/iot-gateway/schemas";
  if (std::filesystem::is_directory(installed)) return installed;
  return IOT_GATEWAY_SOURCE_DIR "/schemas";
}

ValueEncoder::ValueEncoder(const Options& options)
    : formats_(options.sinks.kafka.formats), schema_dir_(schema_directory()) {
  for (std::size_t i = 0; i < kStreamCount; ++i) subjects_[i] = options.sinks.topics[i] + "-value";
  const auto& sr = options.sinks.kafka.schema_registry;
  if (!sr.url) return;
  registry_ = std::make_unique<SchemaRegistryClient>(*sr.url, sr.username, sr.password);
  registry_->set_ca_file(sr.ca_file);
}

ValueEncoder::~ValueEncoder() = default;
ValueEncoder::ValueEncoder(ValueEncoder&&) noexcept = default;

bool ValueEncoder::is_avro(Stream s) const {
  return formats_[stream_index(s)] == ValueFormat::avro;
}

bool ValueEncoder::prepare(Stream stream, std::string& error) {
  if (!is_avro(stream)) return true;
  auto& slot = avro_[stream_index(stream)];
  if (!slot) {
    const std::string path = schema_dir_ + "/" + std::string(stream_name(stream)) + ".avsc";
    std::ifstream f(path);
    if (!f) {
      error = "cannot read the Avro schema " + path;
      return false;
    }
    std::ostringstream text;
    text << f.rdbuf();
    auto encoder = AvroEncoder::create(text.str(), error);
    if (!encoder) {
      error = path + ": " + error;
      return false;
    }
    slot = std::make_unique<AvroStream>();
    slot->encoder = std::move(encoder);
  }
  if (slot->schema_id >= 0) return true;
  if (!registry_) {
    error = "sinks.kafka.schema_registry.url is not set";
    return false;
  }
  const auto id = registry_->register_schema(subjects_[stream_index(stream)],
                                             slot->encoder->canonical_schema(), error);
  if (!id) return false;
  slot->schema_id = *id;
  return true;
}

bool ValueEncoder::encode(Stream stream, std::string_view json, std::string& out,
                          std::string& error) const {
  if (!is_avro(stream)) {
    out.assign(json);
    return true;
  }
  const auto& slot = avro_[stream_index(stream)];
  return slot->encoder->encode(json, slot->schema_id, out, error);
}

}  // namespace gw
