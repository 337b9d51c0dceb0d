// Client of a Confluent Schema Registry: registers the Avro schemas of the Kafka sink.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "http/http_client.h"

namespace gw {

class SchemaRegistryClient {
 public:
  // `url` is the registry's base URL (http(s)://host:port[/prefix]); with a `user`, every request
  // carries HTTP basic auth (`password` may be absent: empty).
  SchemaRegistryClient(std::string url, std::optional<std::string> user,
                       std::optional<std::string> password);

  // POST /subjects/{subject}/versions with body {"schema": "<schema_json>"}: the schema's id
  // (registering the same schema again gives the same id). nullopt and `error` otherwise: the
  // HTTP status with the registry's error_code and message when it gave them (e.g. 409 for an
  // incompatible schema, 422/42201 for an invalid one, 401/403 for auth), or, when no response
  // came, a message saying the registry is unreachable.
  std::optional<std::int32_t> register_schema(const std::string& subject,
                                              const std::string& schema_json,
                                              std::string& error) const;

  // Bound on one request (connect, send, receive); default 10 s.
  void set_timeout_ms(int timeout_ms) { timeout_ms_ = timeout_ms; }
  // The CAs (PEM file) an https registry's certificate must chain to; default: the system's.
  void set_ca_file(std::string ca_file) { tls_.ca_file = std::move(ca_file); }
  const std::string& url() const { return url_; }

 private:
  std::string url_;  // without a trailing '/'
  std::optional<std::string> authorization_;
  int timeout_ms_ = 10000;
  TlsOptions tls_;
};

// The registry's answer to a registration (any HTTP status, its body): the schema id, or
// nullopt and `error` (starting with `what`) as register_schema() reports them.
std::optional<std::int32_t> parse_registration_answer(int http_status, const std::string& body,
                                                      const std::string& what, std::string& error);

// The subject of a topic's values under the default TopicNameStrategy: "<topic>-value".
inline std::string value_subject(const std::string& topic) {
  return topic + "-value";
}

}  // namespace gw
