// Plain option structs: the validated configuration, with the defaults of contract section 2.
// Produced by load_config(); consumed by the components' builders. No behaviour here.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/stream.h"
#include "core/time.h"

namespace gw {

struct GatewayOptions {
  std::string id;  // default: host name
  std::string data_dir = "/var/lib/iot-gateway";
  DurationMs shutdown_timeout = 30'000;
  bool operator==(const GatewayOptions&) const = default;
};

struct StoreOptions {
  std::string id, name, city, region;
  std::string country_code = "CH";
  std::string timezone = "Europe/Zurich";
  double lat = 0, lon = 0;
  std::int64_t devices = 0;
  bool operator==(const StoreOptions&) const = default;
};

// A point in time given either absolutely (RFC 3339) or as an offset from the start.
struct TimeSpec {
  bool is_offset = true;
  std::int64_t value = 0;  // epoch ms, or ms after start
  TimeMs resolve(TimeMs start) const { return is_offset ? start + value : value; }
  bool operator==(const TimeSpec&) const = default;
};

struct DisruptionOptions {
  std::optional<std::string> store;  // centre at this store instead of lat/lon
  double lat = 0, lon = 0;
  double radius_m = 100;
  double rejected_ratio = 0.99;
  TimeSpec from{true, 0};
  TimeSpec until{true, INT64_MAX / 4};
  bool operator==(const DisruptionOptions&) const = default;
};

enum class ClockKind { realtime, virtual_time };

struct SimulatorOptions {
  bool enabled = true;
  std::uint64_t seed = 42;
  ClockKind clock = ClockKind::realtime;
  TimeMs start_time = 1767225600000;  // 2026-01-01T00:00:00Z
  std::optional<DurationMs> duration;
  std::vector<StoreOptions> stores;
  std::optional<std::string> devices_file;  // resolved against the config file's folder
  DurationMs sales_interval = 3000;
  std::int64_t amount_min = 100, amount_max = 1000;
  DurationMs access_interval = 10'000;
  double rejected_ratio = 0.01;
  std::vector<DisruptionOptions> disruptions;
  DurationMs max_delay = 0;
  bool operator==(const SimulatorOptions&) const = default;
};

struct AlertOptions {
  DurationMs window = 60'000;
  DurationMs slide = 30'000;
  double k_sigma = 3;
  double min_excess = 5;
  bool operator==(const AlertOptions&) const = default;
};

struct PipelineOptions {
  DurationMs watermark_delay = 5000;
  DurationMs idle_timeout = 10'000;
  DurationMs sales_window = 60'000;
  AlertOptions alerts;
  // Realtime clock: event times taken from outside must lie in [now - max_past, now +
  // max_future]; the watermark never passes now + max_future.
  DurationMs max_future = 5 * 60'000;
  DurationMs max_past = 7 * 86'400'000LL;
  // Per stream: open (sales window, store) sums and (alert window, device) counts at once.
  std::int64_t max_open_windows = 1'000'000;
  bool operator==(const PipelineOptions&) const = default;
};

struct FileSinkOptions {
  bool enabled = false;
  std::string path = "/var/lib/iot-gateway/out";
  bool operator==(const FileSinkOptions&) const = default;
};

enum class ValueFormat { json, avro };

struct SchemaRegistryOptions {
  std::optional<std::string> url, username, password;
  std::string ca_file;  // PEM CAs for an https url; empty: the system's trust store
  bool operator==(const SchemaRegistryOptions&) const = default;
};

struct KafkaSinkOptions {
  bool enabled = true;
  std::string brokers = "localhost:9092";
  std::map<std::string, std::string> properties;    // librdkafka settings, override the defaults
  std::array<ValueFormat, kStreamCount> formats{};  // json unless set
  SchemaRegistryOptions schema_registry;
  bool operator==(const KafkaSinkOptions&) const = default;
};

struct DruidSinkOptions {
  bool enabled = false;
  std::string url = "http://localhost:8888";  // the router
  std::optional<std::string> username, password;
  std::string ca_file;  // PEM CAs for an https url; empty: the system's trust store
  // Pushed as batch tasks: sales_aggregate and alerts unless configured.
  StreamSet streams{false, false, false, false, true, true};
  std::array<std::string, kStreamCount> datasources;  // default: the stream's topic
  DurationMs flush_interval = 60'000;
  std::int64_t max_batch_bytes = 4 << 20;
  bool provision_supervisors = false;
  std::string kafka_bootstrap;      // as Druid sees Kafka; default sinks.kafka.brokers
  std::string schema_registry_url;  // as Druid sees it; default sinks.kafka.schema_registry.url
  DurationMs request_timeout = 30'000;
  const std::string& datasource(Stream s) const { return datasources[stream_index(s)]; }
  bool pushes(Stream s) const { return streams[stream_index(s)]; }
  bool operator==(const DruidSinkOptions&) const = default;
};

struct SinkOptions {
  FileSinkOptions file;
  KafkaSinkOptions kafka;
  DruidSinkOptions druid;
  // Topic per stream (sinks.kafka.topics); also the file sink's file names.
  std::array<std::string, kStreamCount> topics;
  const std::string& topic(Stream s) const { return topics[stream_index(s)]; }
  bool operator==(const SinkOptions&) const = default;
};

enum class WhenFull { drop_oldest, block };
enum class SyncMode { normal, full };

struct BufferOptions {
  std::int64_t max_bytes = 1LL << 30;
  DurationMs max_age = 7 * 86'400'000LL;
  WhenFull when_full = WhenFull::drop_oldest;
  SyncMode sync = SyncMode::normal;
  bool operator==(const BufferOptions&) const = default;
};

struct HttpOptions {
  std::string listen = "127.0.0.1:8080";
  std::optional<std::string> token;  // bearer token
  std::int64_t max_body = 1 << 20;
  std::int64_t max_connections = 64;
  DurationMs request_timeout = 10'000;
  // Host names (name, or name:port) the endpoint answers to besides the loopback names and the
  // listen address; other Host headers get 421.
  std::vector<std::string> allowed_hosts;
  // Origins ("scheme://host[:port]") whose web pages may send requests; besides the endpoint's
  // own, every other Origin gets 403.
  std::vector<std::string> allowed_origins;
  // True if `listen` is a loopback address (127.0.0.0/8, ::1, localhost).
  bool loopback() const;
  // The host of `listen` ("127.0.0.1", "[::1]", "localhost"); empty for a wildcard (0.0.0.0, [::]).
  std::string listen_host() const;
  bool operator==(const HttpOptions&) const = default;
};

struct Options {
  std::string source_file;  // the config file this came from
  GatewayOptions gateway;
  SimulatorOptions simulator;
  PipelineOptions pipeline;
  BufferOptions buffer;
  SinkOptions sinks;
  HttpOptions http;
  bool operator==(const Options&) const = default;
};

// The seed's three stores, used when simulator.stores is absent.
std::vector<StoreOptions> default_stores();

}  // namespace gw
