// The six output streams of contract section 3.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"

namespace gw {

enum class Stream : std::uint8_t { sales, devices, events, events_geo, sales_aggregate, alerts };
inline constexpr std::size_t kStreamCount = 6;
inline constexpr std::array<Stream, kStreamCount> kAllStreams = {
    Stream::sales,      Stream::devices,         Stream::events,
    Stream::events_geo, Stream::sales_aggregate, Stream::alerts};

inline constexpr std::array<std::string_view, kStreamCount> kStreamNames = {
    "sales", "devices", "events", "events_geo", "sales_aggregate", "alerts"};
inline constexpr std::array<std::string_view, kStreamCount> kDefaultTopics = {
    "SALES", "DEVICES", "EVENTS", "EVENTS_GEO", "SALES_AGGREGATE", "ALERTS"};

constexpr std::string_view stream_name(Stream s) {
  return kStreamNames[static_cast<std::size_t>(s)];
}
constexpr std::size_t stream_index(Stream s) {
  return static_cast<std::size_t>(s);
}
std::optional<Stream> stream_from_name(std::string_view name);

// Which streams a component takes, indexed by stream_index().
using StreamSet = std::array<bool, kStreamCount>;
inline constexpr StreamSet kEveryStream = {true, true, true, true, true, true};

// One output record: the key and JSON value a sink ships, ready-made.
struct Record {
  Stream stream;
  std::string key;
  std::string value;  // one JSON object, no newline
};

// A record as a sink sees it: views into the decoded buffer chunk that holds its bytes.
struct RecordView {
  Stream stream;
  std::string_view key;
  std::string_view value;
};

}  // namespace gw
