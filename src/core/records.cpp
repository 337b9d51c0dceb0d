#include "core/records.h"

#include <rapidjson/internal/dtoa.h>

#include <charconv>
#include <cmath>
#include <cstring>

namespace gw {
namespace {

// A JSON object writer straight into the record's value, byte for byte what RapidJSON's
// Writer wrote before (same escapes, same number formats), but appending whole strings: the
// per-character writer was the largest single cost of a virtual run.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void StartObject() {
    out_ += '{';
    first_ = true;
  }
  void EndObject() {
    out_ += '}';
    first_ = false;  // the enclosing object, if any, has this member now
  }
  // `k` is one of the contract's field names: nothing in it needs escaping.
  void Key(std::string_view k) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_.append(k);
    out_.append("\":", 2);
  }
  // A string known to need no escaping (timestamps, the contract's constants).
  void PlainString(std::string_view v) {
    out_ += '"';
    out_.append(v);
    out_ += '"';
  }
  // Already-encoded JSON, e.g. the closing `,"gateway_id":"..."}` every record ends with.
  void Raw(std::string_view json) {
    out_.append(json);
    first_ = false;
  }
  void String(std::string_view v) {
    out_ += '"';
    const char* p = v.data();
    const char* const end = p + v.size();
    const char* from = p;  // not yet appended
    while (p < end) {
      if (end - p >= 8) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        if (!needs_escape(w)) {
          p += 8;
          continue;
        }
      }
      const auto c = static_cast<unsigned char>(*p);
      if (c >= 0x20 && c != '"' && c != '\\') {
        ++p;
        continue;
      }
      out_.append(from, static_cast<std::size_t>(p - from));
      from = ++p;
      escape(c);
    }
    out_.append(from, static_cast<std::size_t>(end - from));
    out_ += '"';
  }
  void Int64(std::int64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, static_cast<std::size_t>(r.ptr - buf));
  }
  void Double(double v) {
    if (!std::isfinite(v)) {
      out_ += "null";
      return;
    }
    char buf[32];
    const char* end = rapidjson::internal::dtoa(v, buf, 324);
    out_.append(buf, static_cast<std::size_t>(end - buf));
  }

 private:
  // Whether one of the 8 bytes is a control character, '"' or '\\' (exact; bit-twiddling
  // "has less than" / "has zero byte").
  static bool needs_escape(std::uint64_t w) {
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
    const auto has_zero = [](std::uint64_t x) { return (x - kOnes) & ~x & kHighs; };
    return (((w - kOnes * 0x20) & ~w & kHighs) | has_zero(w ^ (kOnes * '"')) |
            has_zero(w ^ (kOnes * '\\'))) != 0;
  }
  void escape(unsigned char c) {
    out_ += '\\';
    switch (c) {
      case '"':
      case '\\':
        out_ += static_cast<char>(c);
        break;
      case '\b':
        out_ += 'b';
        break;
      case '\f':
        out_ += 'f';
        break;
      case '\n':
        out_ += 'n';
        break;
      case '\r':
        out_ += 'r';
        break;
      case '\t':
        out_ += 't';
        break;
      default: {
        static constexpr char kHex[] = "0123456789ABCDEF";
        const char u[] = {'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out_.append(u, sizeof u);
      }
    }
  }

  std::string& out_;
  bool first_ = true;
};

void key(Writer& w, std::string_view k) {
  w.Key(k);
}
void str(Writer& w, std::string_view v) {
  w.String(v);
}
void field(Writer& w, std::string_view k, std::string_view v) {
  key(w, k);
  str(w, v);
}
void plain_field(Writer& w, std::string_view k, std::string_view v) {
  key(w, k);
  w.PlainString(v);
}
void time_field(Writer& w, std::string_view k, TimeMs t) {
  char buf[kIso8601Size];
  write_iso8601(buf, t);
  plain_field(w, k, std::string_view(buf, sizeof buf));
}

// Makes `r` a record of `stream` keyed `record_key` (its strings' storage reused), with a
// writer of its value.
struct Building {
  Building(Record& r, Stream stream, std::string_view record_key) : w(r.value) {
    r.stream = stream;
    r.key.assign(record_key);
    r.value.clear();
    r.value.reserve(448);
  }
  Writer w;
};

}  // namespace

RecordEncoder::RecordEncoder(std::string gateway_id) : gateway_id_(std::move(gateway_id)) {
  Writer w(closing_);
  w.Raw("");  // after the record's other fields
  field(w, "gateway_id", gateway_id_);
  closing_ += '}';
}

void RecordEncoder::sale(const SaleEvent& e, Record& r) const {
  Building b(r, Stream::sales, e.store_id);
  Writer& w = b.w;
  w.StartObject();
  field(w, "store_id", e.store_id);
  key(w, "sale_amount");
  w.Int64(e.amount);
  key(w, "sale_ts");
  w.Int64(e.sale_ts);
  field(w, "event_id", e.event_id);
  w.Raw(closing_);
}

void RecordEncoder::device(const Device& d, Record& r) const {
  Building b(r, Stream::devices, d.id);
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
  w.Raw(closing_);
}

void RecordEncoder::event(const AccessEvent& e, Record& r) const {
  Building b(r, Stream::events, e.device_id);
  Writer& w = b.w;
  w.StartObject();
  field(w, "deviceId", e.device_id);
  plain_field(w, "messageName", kAccessMessageName);
  key(w, "payload");
  w.StartObject();
  plain_field(w, "notificationName", e.rejected ? kAccessRejected : kAccessGranted);
  time_field(w, "eventTimestamp", e.event_ts);
  w.EndObject();
  time_field(w, "timestamp", e.event_ts);
  field(w, "event_id", e.event_id);
  w.Raw(closing_);
}

void RecordEncoder::event_geo(const AccessEvent& e, const Device& d, Record& r) const {
  Building b(r, Stream::events_geo, e.device_id);
  Writer& w = b.w;
  w.StartObject();
  field(w, "deviceId", e.device_id);
  field(w, "store_id", d.store_id);
  field(w, "deviceCity", d.city);
  field(w, "deviceRegion", d.region);
  field(w, "deviceLocation", d.loc);
  plain_field(w, "messageName", kAccessMessageName);
  plain_field(w, "eventNotificationName", e.rejected ? kAccessRejected : kAccessGranted);
  time_field(w, "timestamp", e.event_ts);
  time_field(w, "eventTimestamp", e.event_ts);
  field(w, "event_id", e.event_id);
  w.Raw(closing_);
}

void RecordEncoder::sales_aggregate(const SalesAggregate& a, Record& r) const {
  Building b(r, Stream::sales_aggregate, a.store_id);
  Writer& w = b.w;
  w.StartObject();
  field(w, "store_id", a.store_id);
  time_field(w, "window_start", a.window_start);
  time_field(w, "window_end", a.window_end);
  key(w, "aggregated_sales");
  w.Int64(a.aggregated_sales);
  key(w, "sales_count");
  w.Int64(a.sales_count);
  w.Raw(closing_);
}

void RecordEncoder::alert(const Alert& a, Record& r) const {
  Building b(r, Stream::alerts, a.device.id);
  Writer& w = b.w;
  w.StartObject();
  time_field(w, "window_start", a.window_start);
  time_field(w, "window_end", a.window_end);
  key(w, "total_count_per_deviceid");
  w.Int64(a.total_count_per_deviceid);
  field(w, "deviceId", a.device.id);
  field(w, "store_id", a.device.store_id);
  field(w, "deviceLocation", a.device.loc);
  key(w, "avg_error_count");
  w.Double(a.avg_error_count);
  key(w, "std_error_count");
  w.Double(a.std_error_count);
  w.Raw(closing_);
}

}  // namespace gw
