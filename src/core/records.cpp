#include "core/records.h"

#include <rapidjson/writer.h>

namespace gw {
namespace {

// RapidJSON output straight into the record's value: no intermediate buffer, no copy.
struct StringOut {
  using Ch = char;
  std::string* s;
  void Put(char c) { s->push_back(c); }
  void Flush() {}
};
using Writer = rapidjson::Writer<StringOut>;

void key(Writer& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}
void str(Writer& w, std::string_view v) {
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}
void field(Writer& w, std::string_view k, std::string_view v) {
  key(w, k);
  str(w, v);
}
void time_field(Writer& w, std::string_view k, TimeMs t) {
  char buf[kIso8601Size];
  write_iso8601(buf, t);
  field(w, k, std::string_view(buf, sizeof buf));
}

// A record of `stream` keyed `record_key`, with a value writer set up on it.
struct Building {
  Building(Stream stream, std::string_view record_key)
      : record{stream, std::string(record_key), {}}, out{&record.value}, w(out) {
    record.value.reserve(448);
  }
  Record record;
  StringOut out;
  Writer w;
};

}  // namespace

Record RecordEncoder::sale(const SaleEvent& e) const {
  Building b(Stream::sales, e.store_id);
  Writer& w = b.w;
  w.StartObject();
  field(w, "store_id", e.store_id);
  key(w, "sale_amount");
  w.Int64(e.amount);
  key(w, "sale_ts");
  w.Int64(e.sale_ts);
  field(w, "event_id", e.event_id);
  field(w, "gateway_id", gateway_id_);
  w.EndObject();
  return std::move(b.record);
}

Record RecordEncoder::device(const Device& d) const {
  Building b(Stream::devices, d.id);
  Writer& w = b.w;
  w.StartObject();
  field(w, "deviceId", d.id);
  field(w, "store_id", d.store_id);
  key(w, "payload");
  w.StartObject();
  key(w, "location");
  w.StartObject();
  field(w, "countryCode", d.country_code);
  field(w, "region", d.region);
  field(w, "city", d.city);
  field(w, "loc", d.loc);
  field(w, "timezone", d.timezone);
  w.EndObject();
  w.EndObject();
  field(w, "gateway_id", gateway_id_);
  w.EndObject();
  return std::move(b.record);
}

Record RecordEncoder::event(const AccessEvent& e) const {
  Building b(Stream::events, e.device_id);
  Writer& w = b.w;
  w.StartObject();
  field(w, "deviceId", e.device_id);
  field(w, "messageName", kAccessMessageName);
  key(w, "payload");
  w.StartObject();
  field(w, "notificationName", e.rejected ? kAccessRejected : kAccessGranted);
  time_field(w, "eventTimestamp", e.event_ts);
  w.EndObject();
  time_field(w, "timestamp", e.event_ts);
  field(w, "event_id", e.event_id);
  field(w, "gateway_id", gateway_id_);
  w.EndObject();
  return std::move(b.record);
}

Record RecordEncoder::event_geo(const AccessEvent& e, const Device& d) const {
  Building b(Stream::events_geo, e.device_id);
  Writer& w = b.w;
  w.StartObject();
  field(w, "deviceId", e.device_id);
  field(w, "store_id", d.store_id);
  field(w, "deviceCity", d.city);
  field(w, "deviceRegion", d.region);
  field(w, "deviceLocation", d.loc);
  field(w, "messageName", kAccessMessageName);
  field(w, "eventNotificationName", e.rejected ? kAccessRejected : kAccessGranted);
  time_field(w, "timestamp", e.event_ts);
  time_field(w, "eventTimestamp", e.event_ts);
  field(w, "event_id", e.event_id);
  field(w, "gateway_id", gateway_id_);
  w.EndObject();
  return std::move(b.record);
}

Record RecordEncoder::sales_aggregate(const SalesAggregate& a) const {
  Building b(Stream::sales_aggregate, a.store_id);
  Writer& w = b.w;
  w.StartObject();
  field(w, "store_id", a.store_id);
  time_field(w, "window_start", a.window_start);
  time_field(w, "window_end", a.window_end);
  key(w, "aggregated_sales");
  w.Int64(a.aggregated_sales);
  key(w, "sales_count");
  w.Int64(a.sales_count);
  field(w, "gateway_id", gateway_id_);
  w.EndObject();
  return std::move(b.record);
}

Record RecordEncoder::alert(const Alert& a) const {
  Building b(Stream::alerts, a.device->id);
  Writer& w = b.w;
  w.StartObject();
  time_field(w, "window_start", a.window_start);
  time_field(w, "window_end", a.window_end);
  key(w, "total_count_per_deviceid");
  w.Int64(a.total_count_per_deviceid);
  field(w, "deviceId", a.device->id);
  field(w, "store_id", a.device->store_id);
  field(w, "deviceLocation", a.device->loc);
  key(w, "avg_error_count");
  w.Double(a.avg_error_count);
  key(w, "std_error_count");
  w.Double(a.std_error_count);
  field(w, "gateway_id", gateway_id_);
  w.EndObject();
  return std::move(b.record);
}

}  // namespace gw
