// Input events as sources deliver them to the pipeline.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "core/time.h"

namespace gw {

struct SaleEvent {
  std::string store_id;
  std::int64_t amount = 0;
  TimeMs sale_ts = 0;
  std::string event_id;
};

inline constexpr std::uint32_t kNoDeviceIndex = UINT32_MAX;

struct AccessEvent {
  std::string device_id;
  bool rejected = false;
  TimeMs event_ts = 0;
  std::string event_id;
  // Where the source knows it (the simulator): the device's index in the registry, which the
  // pipeline then need not look up (it checks that the id matches).
  std::uint32_t device_index = kNoDeviceIndex;
};

using Event = std::variant<SaleEvent, AccessEvent>;

inline TimeMs event_time(const Event& e) {
  return std::visit(
      [](const auto& v) {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, SaleEvent>)
          return v.sale_ts;
        else
          return v.event_ts;
      },
      e);
}

}  // namespace gw
