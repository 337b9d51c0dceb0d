// Encodes the gateway's JSON records as Avro in the Confluent wire format (libavro, C API).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace gw {

// One encoder per schema. Thread-compatible: one encoder is used by one thread at a time
// (encode() reuses internal buffers although it is const).
class AvroEncoder {
 public:
  // Parses an Avro schema (the text of a .avsc file). nullptr and `error` if it is not JSON or
  // not a valid Avro schema.
  static std::unique_ptr<AvroEncoder> create(const std::string& schema_json, std::string& error);

  ~AvroEncoder();
  AvroEncoder(const AvroEncoder&) = delete;
  AvroEncoder& operator=(const AvroEncoder&) = delete;

  // Replaces `out` with the Confluent wire format of one JSON record: byte 0x00, the schema id
  // as 4 bytes big-endian, then the Avro binary encoding of the record. The JSON is matched to
  // the schema by field name: fields the schema does not have are ignored; a missing field is
  // an error unless its type is a union with null; a value of the wrong type (or an int out of
  // range) is an error. Unions take the first branch the value fits. false and `error` (naming
  // the field, e.g. "payload.location.city") on failure; `out` is then unspecified.
  bool encode(std::string_view json_record, std::int32_t schema_id, std::string& out,
              std::string& error) const;

  // The schema to register: the given text as compact JSON (docs and properties such as
  // "avro.java.string" kept, whitespace removed).
  const std::string& canonical_schema() const { return canonical_; }
  // The full name of a named top-level schema ("com.acosom.StoreSale"), else its type name.
  const std::string& full_name() const { return full_name_; }

 private:
  struct Impl;
  AvroEncoder(std::unique_ptr<Impl> impl, std::string canonical, std::string full_name);

  std::unique_ptr<Impl> impl_;
  std::string canonical_;
  std::string full_name_;
};

}  // namespace gw
