// A sink ships batches of records to one destination. Adding a sink = one folder under
// src/sinks/ plus one line in sinks/sink_factory.cpp.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/stream.h"

namespace gw {

enum class DeliveryStatus {
  delivered,  // every record of the batch is durable at the destination
  retry,      // nothing may be assumed delivered; send the batch again later
  rejected,   // the destination will never take this batch; drop it (counted)
};

struct DeliveryResult {
  DeliveryStatus status = DeliveryStatus::delivered;
  std::string message;  // why, for retry and rejected
};

struct SinkHealth {
  bool ok = true;
  std::string reason;
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual std::string_view name() const = 0;
  // Called from one thread at a time. `delivered` only once the records are durable there.
  virtual DeliveryResult deliver(std::span<const Record> batch) = 0;
  virtual SinkHealth health() const = 0;
  // Whether the sink can reach its destination's servers (e.g. Kafka brokers), where it knows.
  // Thread-safe: read by the HTTP thread.
  virtual std::optional<bool> connected() const { return std::nullopt; }
};

}  // namespace gw
