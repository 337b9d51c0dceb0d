#include "sinks/kafka/broker_states.h"

#include <rapidjson/document.h>

#include <string>

namespace gw {

std::optional<BrokerCounts> broker_counts(std::string_view stats) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(stats.data(), stats.size());
  if (d.HasParseError() || !d.IsObject()) return std::nullopt;
  const auto brokers = d.FindMember("brokers");
  if (brokers == d.MemberEnd() || !brokers->value.IsObject()) return std::nullopt;
  BrokerCounts c;
  for (const auto& b : brokers->value.GetObject()) {
    if (!b.value.IsObject()) continue;
    const auto id = b.value.FindMember("nodeid");
    if (id == b.value.MemberEnd() || !id->value.IsInt() || id->value.GetInt() < 0) continue;
    ++c.known;
    const auto state = b.value.FindMember("state");
    if (state != b.value.MemberEnd() && state->value.IsString() &&
        std::string(state->value.GetString()) == "UP")
      ++c.up;
  }
  return c;
}

}  // namespace gw
