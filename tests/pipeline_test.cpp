#include <doctest/doctest.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <span>

#include "pipeline/pipeline.h"

using namespace gw;

namespace {

constexpr TimeMs kT0 = 1767225600000;

std::string dev(int i) {
  std::string s = "dev-";  // (not "dev-" + to_string: GCC 12's -Wrestrict false positive)
  s += std::to_string(i);
  return s;
}

DeviceRegistry registry(int n) {
  DeviceRegistry r;
  for (int i = 0; i < n; ++i) {
    DeviceSpec d;
    d.id = dev(i);
    d.store_id = "S";
    d.loc = "47.0,8.0";
    d.city = "Zürich";
    d.region = "Zurich";
    r.add(d);
  }
  return r;
}

std::vector<Record> of(std::span<const Record> all, Stream s) {
  std::vector<Record> out;
  for (const auto& r : all)
    if (r.stream == s) out.push_back(r);
  return out;
}

rapidjson::Document json(const Record& r) {
  rapidjson::Document d;
  d.Parse(r.value.c_str());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

}  // namespace

TEST_CASE("enrichment: known devices become events_geo, unknown ones are dropped and counted") {
  const DeviceRegistry reg = registry(2);
  Pipeline p(PipelineOptions{}, reg, RecordEncoder("gw-1"));
  RecordBatch out;
  p.process(AccessEvent{"dev-1", true, kT0 + 1234, "e1"}, out);
  p.process(AccessEvent{"stranger", false, kT0 + 1235, "e2"}, out);
  CHECK(of(out, Stream::events).size() == 2);
  const auto geo = of(out, Stream::events_geo);
  REQUIRE(geo.size() == 1);
  CHECK(geo[0].key == "dev-1");
  CHECK(geo[0].value ==
        R"({"deviceId":"dev-1","store_id":"S","deviceCity":"Zürich","deviceRegion":"Zurich",)"
        R"("deviceLocation":"47.0,8.0","messageName":"operatingNotification",)"
        R"("eventNotificationName":"accessRejected","timestamp":"2026-01-01T00:00:01.234Z",)"
        R"("eventTimestamp":"2026-01-01T00:00:01.234Z","event_id":"e1","gateway_id":"gw-1"})");
  CHECK(p.counters().unknown_device_dropped == 1);
}

TEST_CASE("late sales are forwarded raw, left out of the aggregate and counted") {
  const DeviceRegistry reg = registry(0);
  PipelineOptions o;
  o.watermark_delay = 5000;
  Pipeline p(o, reg, RecordEncoder("gw"));
  RecordBatch out;
  p.process(SaleEvent{"ABC", 100, kT0 + 10'000, "a"}, out);
  p.process(SaleEvent{"ABC", 200, kT0 + 66'000, "b"}, out);  // watermark 61 s: first window fires
  p.process(SaleEvent{"ABC", 400, kT0 + 20'000, "c"}, out);  // late
  p.finish(out);
  CHECK(of(out, Stream::sales).size() == 3);
  const auto agg = of(out, Stream::sales_aggregate);
  REQUIRE(agg.size() == 2);
  CHECK(agg[0].value ==
        R"({"store_id":"ABC","window_start":"2026-01-01T00:00:00.000Z",)"
        R"("window_end":"2026-01-01T00:01:00.000Z","aggregated_sales":100,"sales_count":1,)"
        R"("gateway_id":"gw"})");
  CHECK(json(agg[1])["aggregated_sales"].GetInt() == 200);
  CHECK(p.counters().late_sales == 1);
}

TEST_CASE("alerts: one noisy device among quiet ones alerts in both of its hopping windows") {
  const DeviceRegistry reg = registry(31);
  Pipeline p(PipelineOptions{}, reg, RecordEncoder("gw"));
  RecordBatch out;
  // Devices 1..30 reject once each at 10 s; device 0 rejects 30 times in [10 s, 40 s).
  for (int d = 1; d < 31; ++d) p.process(AccessEvent{dev(d), true, kT0 + 10'000, "q"}, out);
  for (int i = 0; i < 30; ++i)
    p.process(AccessEvent{"dev-0", true, kT0 + 10'000 + i * 1000, "n"}, out);
  p.finish(out);
  const auto alerts = of(out, Stream::alerts);
  // Windows containing t in [10 s, 40 s) with size 60 s / slide 30 s: [-30 s, 30 s), [0, 60 s),
  // [30 s, 90 s). The last one holds only device 0 (10 rejections): fewer than 2 devices.
  REQUIRE(alerts.size() == 2);
  auto a = json(alerts[0]);
  CHECK(std::string(a["deviceId"].GetString()) == "dev-0");
  CHECK(std::string(a["window_start"].GetString()) == "2025-12-31T23:59:30.000Z");
  CHECK(a["total_count_per_deviceid"].GetInt() == 20);
  const double avg = (20.0 + 30) / 31;
  double sq = (20 - avg) * (20 - avg) + 30 * (1 - avg) * (1 - avg);
  CHECK(a["avg_error_count"].GetDouble() == doctest::Approx(avg));
  CHECK(a["std_error_count"].GetDouble() == doctest::Approx(std::sqrt(sq / 30)));
  auto b = json(alerts[1]);
  CHECK(std::string(b["window_start"].GetString()) == "2026-01-01T00:00:00.000Z");
  CHECK(b["total_count_per_deviceid"].GetInt() == 30);
  CHECK(std::string(b["store_id"].GetString()) == "S");
}

TEST_CASE("windows close on the watermark only, and the end of a bounded run fires all") {
  const DeviceRegistry reg = registry(0);
  Pipeline p(PipelineOptions{}, reg, RecordEncoder("gw"));
  RecordBatch out;
  p.process(SaleEvent{"ABC", 1, kT0 + 1, "a"}, out);
  p.process(SaleEvent{"ABC", 1, kT0 + 64'999, "b"}, out);  // watermark 59.999 s
  CHECK(of(out, Stream::sales_aggregate).empty());
  p.advance_watermark(kT0 + 60'000, out);  // e.g. the idle rule
  CHECK(of(out, Stream::sales_aggregate).size() == 1);
  p.finish(out);
  CHECK(of(out, Stream::sales_aggregate).size() == 2);
  CHECK(p.watermark() == kTimeMax);
}

namespace {

// RapidJSON's Writer: the reference for the encoder's own JSON writer.
struct Reference {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  void field(const char* k, std::string_view v) {
    w.Key(k);
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  }
  std::string text() const { return {buf.GetString(), buf.GetSize()}; }
};

}  // namespace

TEST_CASE("records: escapes and numbers are byte for byte what RapidJSON's Writer writes") {
  // The encoder writes JSON itself for speed; RapidJSON's Writer is the reference it matches.
  const std::string tricky = std::string("a\"b\\c/d\x01\x1f\b\f\n\r\tZ\xc3\xbcrich ") + '\0' + "e";
  Device d;
  d.id = "dev-\"1\"";
  d.store_id = tricky;
  d.loc = "47.1,8.5";
  d.city = "Z\xc3\xbcrich";
  d.region = "R\n";
  d.country_code = "CH";
  d.timezone = "Europe/Zurich";
  const RecordEncoder enc("gw-\\1");
  for (const double avg : {0.0, 1.0, 0.1, 1.0 / 3.0, 2.5e-7, 123456789.125, 1e300, -4.75}) {
    const Alert a{kT0, kT0 + 60'000, 17, d, avg, avg * 2};
    Reference ref;
    auto& w = ref.w;
    auto field = [&](const char* k, std::string_view v) { ref.field(k, v); };
    w.StartObject();
    field("window_start", format_iso8601(a.window_start));
    field("window_end", format_iso8601(a.window_end));
    w.Key("total_count_per_deviceid");
    w.Int64(a.total_count_per_deviceid);
    field("deviceId", d.id);
    field("store_id", d.store_id);
    field("deviceLocation", d.loc);
    w.Key("avg_error_count");
    w.Double(a.avg_error_count);
    w.Key("std_error_count");
    w.Double(a.std_error_count);
    field("gateway_id", enc.gateway_id());
    w.EndObject();
    CHECK(enc.alert(a).value == ref.text());
  }
  Reference ref;
  auto& w = ref.w;
  auto field = [&](const char* k, std::string_view v) { ref.field(k, v); };
  w.StartObject();
  field("deviceId", d.id);
  field("store_id", d.store_id);
  w.Key("payload");
  w.StartObject();
  w.Key("location");
  w.StartObject();
  field("countryCode", d.country_code);
  field("region", d.region);
  field("city", d.city);
  field("loc", d.loc);
  field("timezone", d.timezone);
  w.EndObject();
  w.EndObject();
  field("gateway_id", enc.gateway_id());
  w.EndObject();
  CHECK(enc.device(d).value == ref.text());
}
