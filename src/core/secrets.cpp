#include "core/secrets.h"

#include <algorithm>
#include <array>

namespace gw {
namespace {

// librdkafka properties whose values are settings, never credentials. Everything else is
// masked: a key missing here costs a "***" in the status, a key wrongly here leaks a secret.
constexpr std::array<std::string_view, 34> kPublicKafkaKeys = {
    "acks",
    "batch.num.messages",
    "batch.size",
    "bootstrap.servers",
    "broker.address.family",
    "client.id",
    "compression.codec",
    "compression.type",
    "debug",
    "enable.idempotence",
    "enable.ssl.certificate.verification",
    "linger.ms",
    "max.in.flight.requests.per.connection",
    "message.max.bytes",
    "message.send.max.retries",
    "message.timeout.ms",
    "queue.buffering.max.kbytes",
    "queue.buffering.max.messages",
    "queue.buffering.max.ms",
    "reconnect.backoff.max.ms",
    "reconnect.backoff.ms",
    "request.required.acks",
    "request.timeout.ms",
    "retries",
    "retry.backoff.ms",
    "sasl.kerberos.service.name",
    "sasl.mechanism",
    "sasl.mechanisms",
    "sasl.oauthbearer.method",
    "security.protocol",
    "socket.connection.setup.timeout.ms",
    "ssl.ca.location",
    "ssl.endpoint.identification.algorithm",
    "statistics.interval.ms",
};

bool ends_authority(char c) {
  return c == '/' || c == '?' || c == '#' || c == '"' || c == '\'' || c == '<' || c == '>' ||
         c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

bool kafka_property_is_public(std::string_view key) {
  return std::find(kPublicKafkaKeys.begin(), kPublicKafkaKeys.end(), key) != kPublicKafkaKeys.end();
}

std::string shown_kafka_property(std::string_view key, std::string_view value) {
  return kafka_property_is_public(key) ? mask_url_credentials(value) : std::string(kMasked);
}

std::string mask_kafka_value_in(std::string_view text, std::string_view key,
                                std::string_view value) {
  std::string out(text);
  if (kafka_property_is_public(key) || value.empty()) return mask_url_credentials(out);
  for (std::size_t at = 0; (at = out.find(value, at)) != std::string::npos; at += kMasked.size())
    out.replace(at, value.size(), kMasked);
  return mask_url_credentials(out);
}

std::string mask_url_credentials(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  for (std::size_t sep; (sep = text.find("://", pos)) != std::string_view::npos;) {
    const std::size_t start = sep + 3;
    std::size_t end = start;
    while (end < text.size() && !ends_authority(text[end])) ++end;
    const std::string_view authority = text.substr(start, end - start);
    out.append(text.substr(pos, start - pos));
    if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
      const std::size_t colon = authority.substr(0, at).find(':');
      if (colon != std::string_view::npos) out.append(authority.substr(0, colon + 1));
      out.append(kMasked);
      out.append(authority.substr(at));
    } else {
      out.append(authority);
    }
    pos = end;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace gw
