#include "sinks/druid/druid_specs.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <vector>

namespace gw {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

enum class ColumnType { string, long_, double_ };

struct Column {
  const char* name;
  ColumnType type = ColumnType::string;
  const char* json_path = nullptr;  // flattened from a nested field
  bool in_avro = true;              // also in the stream's Avro schema (schemas/*.avsc)
};

struct TimeColumn {
  const char* name;
  const char* format;         // iso, millis
  const char* json_path;      // nested: flattened first
  const char* missing_value;  // no time in the record: this one
};

struct StreamColumns {
  TimeColumn time;
  std::vector<Column> columns;
  const char* location = nullptr;  // a "lat,lon" column to split into latitude, longitude
};

constexpr const char* kNoTime = "2000-01-01T00:00:00.000Z";

const StreamColumns& columns_of(Stream s) {
  using T = ColumnType;
  static const std::array<StreamColumns, kStreamCount> table = {{
      // sales
      {{"sale_ts", "millis", nullptr, nullptr},
       {{"store_id"},
        {"sale_amount", T::long_},
        {"event_id", T::string, nullptr, false},
        {"gateway_id", T::string, nullptr, false}}},
      // devices
      {{"!!!_no_time_column_!!!", "auto", nullptr, kNoTime},
       {{"deviceId"},
        {"store_id"},
        {"countryCode", T::string, "$.payload.location.countryCode"},
        {"region", T::string, "$.payload.location.region"},
        {"city", T::string, "$.payload.location.city"},
        {"loc", T::string, "$.payload.location.loc"},
        {"timezone", T::string, "$.payload.location.timezone"},
        {"gateway_id"}},
       "loc"},
      // events
      {{"eventTimestamp", "iso", "$.payload.eventTimestamp", nullptr},
       {{"deviceId"},
        {"messageName"},
        {"notificationName", T::string, "$.payload.notificationName"},
        {"timestamp"},
        {"event_id"},
        {"gateway_id"}}},
      // events_geo
      {{"eventTimestamp", "iso", nullptr, nullptr},
       {{"deviceId"},
        {"store_id"},
        {"deviceCity"},
        {"deviceRegion"},
        {"deviceLocation"},
        {"messageName"},
        {"eventNotificationName"},
        {"timestamp"},
        {"event_id"},
        {"gateway_id"}},
       "deviceLocation"},
      // sales_aggregate
      {{"window_end", "iso", nullptr, nullptr},
       {{"store_id"},
        {"window_start"},
        {"aggregated_sales", T::long_},
        {"sales_count", T::long_},
        {"gateway_id"}}},
      // alerts
      {{"window_end", "iso", nullptr, nullptr},
       {{"window_start"},
        {"deviceId"},
        {"store_id"},
        {"deviceLocation"},
        {"total_count_per_deviceid", T::long_},
        {"avg_error_count", T::double_},
        {"std_error_count", T::double_},
        {"gateway_id"}},
       "deviceLocation"},
  }};
  return table[stream_index(s)];
}

const char* type_name(ColumnType t) {
  switch (t) {
    case ColumnType::long_:
      return "long";
    case ColumnType::double_:
      return "double";
    case ColumnType::string:
      break;
  }
  return "string";
}

void dimension(Writer& w, const char* name, ColumnType type) {
  w.StartObject();
  w.Key("type");
  w.String(type_name(type));
  w.Key("name");
  w.String(name);
  w.EndObject();
}

void expression_transform(Writer& w, const char* name, const std::string& expression) {
  w.StartObject();
  w.Key("type");
  w.String("expression");
  w.Key("name");
  w.String(name);
  w.Key("expression");
  w.String(expression);
  w.EndObject();
}

// dataSchema: datasource, __time, dimensions, lat/lon transforms, no rollup.
void data_schema(Writer& w, const std::string& datasource, Stream stream, bool avro) {
  const StreamColumns& c = columns_of(stream);
  w.StartObject();
  w.Key("dataSource");
  w.String(datasource);
  w.Key("timestampSpec");
  w.StartObject();
  w.Key("column");
  w.String(c.time.name);
  w.Key("format");
  w.String(c.time.format);
  if (c.time.missing_value) {
    w.Key("missingValue");
    w.String(c.time.missing_value);
  }
  w.EndObject();
  w.Key("dimensionsSpec");
  w.StartObject();
  w.Key("dimensions");
  w.StartArray();
  for (const Column& col : c.columns)
    if (!avro || col.in_avro) dimension(w, col.name, col.type);
  if (c.location) {
    dimension(w, "latitude", ColumnType::double_);
    dimension(w, "longitude", ColumnType::double_);
  }
  w.EndArray();
  w.EndObject();
  if (c.location) {
    const std::string col = std::string("\"") + c.location + "\"";
    w.Key("transformSpec");
    w.StartObject();
    w.Key("transforms");
    w.StartArray();
    expression_transform(w, "latitude",
                         "cast(trim(regexp_extract(" + col + ", '^([^,]*),', 1)), 'DOUBLE')");
    expression_transform(w, "longitude",
                         "cast(trim(regexp_extract(" + col + ", ',([^,]*)$', 1)), 'DOUBLE')");
    w.EndArray();
    w.EndObject();
  }
  w.Key("granularitySpec");
  w.StartObject();
  w.Key("type");
  w.String("uniform");
  w.Key("segmentGranularity");
  w.String("day");
  w.Key("queryGranularity");
  w.String("none");
  w.Key("rollup");
  w.Bool(false);
  w.EndObject();
  w.EndObject();
}

// Nested fields (and a nested time) are flattened to top-level columns.
void flatten_spec(Writer& w, Stream stream) {
  const StreamColumns& c = columns_of(stream);
  std::vector<std::pair<const char*, const char*>> paths;
  if (c.time.json_path) paths.emplace_back(c.time.name, c.time.json_path);
  for (const Column& col : c.columns)
    if (col.json_path) paths.emplace_back(col.name, col.json_path);
  if (paths.empty()) return;
  w.Key("flattenSpec");
  w.StartObject();
  w.Key("useFieldDiscovery");
  w.Bool(true);
  w.Key("fields");
  w.StartArray();
  for (const auto& [name, path] : paths) {
    w.StartObject();
    w.Key("type");
    w.String("path");
    w.Key("name");
    w.String(name);
    w.Key("expr");
    w.String(path);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

}  // namespace

std::string druid_index_task(const DruidSinkOptions& druid, Stream stream,
                             const std::string& task_id, const std::string& inline_data) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("type");
  w.String("index_parallel");
  w.Key("id");
  w.String(task_id);
  w.Key("spec");
  w.StartObject();
  w.Key("dataSchema");
  data_schema(w, druid.datasource(stream), stream, false);
  w.Key("ioConfig");
  w.StartObject();
  w.Key("type");
  w.String("index_parallel");
  w.Key("inputSource");
  w.StartObject();
  w.Key("type");
  w.String("inline");
  w.Key("data");
  w.String(inline_data);
  w.EndObject();
  w.Key("inputFormat");
  w.StartObject();
  w.Key("type");
  w.String("json");
  flatten_spec(w, stream);
  w.EndObject();
  w.Key("appendToExisting");
  w.Bool(true);
  w.EndObject();
  w.Key("tuningConfig");
  w.StartObject();
  w.Key("type");
  w.String("index_parallel");
  w.Key("partitionsSpec");
  w.StartObject();
  w.Key("type");
  w.String("dynamic");
  w.EndObject();
  w.Key("maxNumConcurrentSubTasks");
  w.Int(1);
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return buf.GetString();
}

std::string druid_supervisor_spec(const Options& options, Stream stream) {
  const DruidSinkOptions& druid = options.sinks.druid;
  const bool avro = options.sinks.kafka.formats[stream_index(stream)] == ValueFormat::avro;
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("type");
  w.String("kafka");
  w.Key("spec");
  w.StartObject();
  w.Key("dataSchema");
  data_schema(w, druid.datasource(stream), stream, avro);
  w.Key("ioConfig");
  w.StartObject();
  w.Key("type");
  w.String("kafka");
  w.Key("topic");
  w.String(options.sinks.topic(stream));
  w.Key("consumerProperties");
  w.StartObject();
  w.Key("bootstrap.servers");
  w.String(druid.kafka_bootstrap);
  w.EndObject();
  w.Key("inputFormat");
  w.StartObject();
  w.Key("type");
  if (avro) {
    w.String("avro_stream");
    w.Key("binaryAsString");
    w.Bool(false);
    w.Key("avroBytesDecoder");
    w.StartObject();
    w.Key("type");
    w.String("schema_registry");
    w.Key("url");
    w.String(druid.schema_registry_url);
    w.EndObject();
  } else {
    w.String("json");
  }
  flatten_spec(w, stream);
  w.EndObject();
  w.Key("useEarliestOffset");
  w.Bool(true);
  w.Key("taskCount");
  w.Int(1);
  w.Key("replicas");
  w.Int(1);
  w.Key("taskDuration");
  w.String("PT1H");
  w.EndObject();
  w.Key("tuningConfig");
  w.StartObject();
  w.Key("type");
  w.String("kafka");
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return buf.GetString();
}

StreamSet druid_supervisor_streams(const Options& options) {
  StreamSet out{};
  for (std::size_t i = 0; i < kStreamCount; ++i) out[i] = !options.sinks.druid.streams[i];
  return out;
}

}  // namespace gw
