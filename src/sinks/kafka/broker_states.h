// How many Kafka brokers librdkafka is connected to, read from its statistics JSON
// (statistics.interval.ms; the "brokers" object, one entry per broker connection). The
// bootstrap connections (nodeid -1) are left out: only brokers known from the cluster's
// metadata count.
#pragma once

#include <optional>
#include <string_view>

namespace gw {

struct BrokerCounts {
  int up = 0;     // state "UP"
  int known = 0;  // every broker of the metadata, whatever its state
};

// nullopt if `stats` is not librdkafka's statistics JSON.
std::optional<BrokerCounts> broker_counts(std::string_view stats);

}  // namespace gw
