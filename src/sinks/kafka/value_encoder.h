// Turns a record's JSON value into what goes on the wire for its stream: the JSON as is, or
// the Confluent Avro wire format once the stream's schema is registered as <topic>-value.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "config/options.h"
#include "core/stream.h"

namespace gw {

class AvroEncoder;
class SchemaRegistryClient;

class ValueEncoder {
 public:
  explicit ValueEncoder(const Options& options);
  ~ValueEncoder();
  ValueEncoder(ValueEncoder&&) noexcept;

  // Makes `stream` ready to encode (loads and registers its schema for avro). False with
  // `error` while that is not possible yet, e.g. the registry is unreachable: retry later.
  bool prepare(Stream stream, std::string& error);
  // `out` is what to send for `json`. False with `error` for a record the format cannot carry.
  bool encode(Stream stream, std::string_view json, std::string& out, std::string& error) const;
  bool is_avro(Stream stream) const;

 private:
  struct AvroStream;
  std::array<ValueFormat, kStreamCount> formats_;
  std::array<std::string, kStreamCount> subjects_;
  std::string schema_dir_;
  std::unique_ptr<SchemaRegistryClient> registry_;
  std::array<std::unique_ptr<AvroStream>, kStreamCount> avro_;
};

// Where the .avsc files are: $IOT_GATEWAY_SCHEMAS, else /usr/share/iot-gateway/schemas if it
// exists, else the source tree's schemas/.
std::string schema_directory();

}  // namespace gw
