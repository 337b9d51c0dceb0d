#include "sinks/kafka/broker_states.h"

#include <rapidjson/document.h>

#include <string_view>

#include "core/json.h"

namespace gw {

std::optional<BrokerCounts> broker_counts(std::string_view stats) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(stats.data(), stats.size());
  if (d.HasParseError()) return std::nullopt;
  const rapidjson::Value* brokers = json::member(d, "brokers");
  if (!brokers || !brokers->IsObject()) return std::nullopt;
  BrokerCounts c;
  for (auto b = brokers->MemberBegin(); b != brokers->MemberEnd(); ++b) {
    const rapidjson::Value* id = json::member(b->value, "nodeid");
    if (!id || !id->IsInt() || id->GetInt() < 0) continue;
    ++c.known;
    const rapidjson::Value* state = json::member(b->value, "state");
    if (state && state->IsString() && json::text(*state) == "UP") ++c.up;
  }
  return c;
}

}  // namespace gw
