// What of a secret may be shown: one place for the masking used by logs, /api/v1/status,
// check-config, the druid and buffer commands.
#pragma once

#include <string>
#include <string_view>

namespace gw {

// What is shown instead of a secret.
inline constexpr std::string_view kMasked = "***";

// Whether the value of librdkafka property `key` may be shown: true only for a short list of
// keys known to hold no secret (bootstrap.servers, security.protocol, acks, ...).
bool kafka_property_is_public(std::string_view key);

// `value` (its URL credentials masked) when `key` is public, else "***".
std::string shown_kafka_property(std::string_view key, std::string_view value);

// `text` (e.g. librdkafka's message refusing property `key`) with every copy of `value` masked
// unless `key` is public.
std::string mask_kafka_value_in(std::string_view text, std::string_view key,
                                std::string_view value);

// `text` with the credentials of every URL inside it masked: "scheme://user:pass@host" becomes
// "scheme://user:***@host", "scheme://token@host" becomes "scheme://***@host".
std::string mask_url_credentials(std::string_view text);

}  // namespace gw
