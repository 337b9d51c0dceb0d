// The Schema Registry's JSON answers to a schema registration (gw::parse_registration_answer,
// as SchemaRegistryClient::register_schema reads them): the schema id, or the error text.
//
// Input layout: fuzz::http_answer() (the HTTP status on the first line, then the body).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_input.h"
#include "sinks/kafka/schema_registry.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::HttpAnswer in = fuzz::http_answer(fuzz::bytes(data, size));
  std::string error;
  const auto id = gw::parse_registration_answer(in.status, in.body, "registering", error);
  if (id) {
    if (*id < 0 || in.status < 200 || in.status > 299 || !error.empty()) __builtin_trap();
  } else if (error.rfind("registering", 0) != 0) {
    __builtin_trap();
  }
  return 0;
}
