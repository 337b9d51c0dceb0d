// Issue 18 at the door: POST /api/v1/events answered by the API handler itself (a real context:
// a buffer in a temporary folder, a closed ingest queue, so events that pass are answered 503
// at once). Deep nesting and oversize lines are a 400 naming the line, not a crash; a time
// beyond pipeline.max_future is a 400; a record larger than Kafka's message.max.bytes allows
// is a 413 naming that limit. /metrics counts the events the pipeline kept out of its windows.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "app/http_api.h"

namespace fs = std::filesystem;

namespace {

constexpr gw::TimeMs kNow = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

struct Endpoint {
  explicit Endpoint(gw::Options o) : initial(with_dir(std::move(o), dir)) { ingest.close(); }
  ~Endpoint() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
  gw::HttpReply get(const std::string& path) {
    gw::HttpRequest r;
    r.method = "GET";
    r.target = r.path = path;
    r.headers = {{"host", "localhost"}};
    r.remote = "127.0.0.1:40000";
    return handler(r);
  }
  gw::HttpReply post(std::string body) {
    gw::HttpRequest r;
    r.method = "POST";
    r.target = r.path = "/api/v1/events";
    r.headers = {{"content-type", "application/x-ndjson"}, {"host", "localhost"}};
    r.body = std::move(body);
    r.remote = "127.0.0.1:40000";
    gw::HttpReply reply = handler(r);
    if (!reply.deferred) return reply;
    // Events that pass the door are answered later; the closed queue answers at once.
    gw::HttpReply later;
    later.status = 0;
    reply.deferred([&later](gw::HttpReply answer) { later = std::move(answer); });
    return later;
  }

  static gw::Options with_dir(gw::Options o, const std::string& d) {
    o.gateway.id = "test-gw";
    o.gateway.data_dir = d;
    return o;
  }
  static std::string temp_dir() {
    char d[] = "/tmp/iot-gateway-ingest-limits-XXXXXX";
    REQUIRE(mkdtemp(d) != nullptr);
    return d;
  }

  const std::string dir = temp_dir();
  const gw::Options initial;
  gw::LiveOptions options{initial};
  gw::VirtualClock clock{kNow};
  gw::DeviceRegistry registry;
  gw::StatusBoard board;
  gw::Buffer buffer{initial.gateway, initial.buffer, std::vector<std::string>{}, clock};
  std::vector<std::unique_ptr<gw::SinkRunner>> runners;
  gw::IngestQueue ingest;
  gw::ApiContext api{options, registry, board, buffer, runners, clock, clock.now(), &ingest};
  gw::Handler handler = gw::make_api_handler(api);
};

std::string sale(gw::TimeMs ts, const std::string& store = "ABC") {
  return R"({"store_id":")" + store + R"(","sale_amount":1,"sale_ts":)" + std::to_string(ts) +
         "}\n";
}

}  // namespace

TEST_CASE("POST /api/v1/events: nesting, line size and event time are refused with 400") {
  Endpoint e{gw::Options{}};
  const gw::HttpReply deep = e.post(std::string(300'000, '['));  // finding 1: was a crash
  CHECK(deep.status == 400);
  CHECK(deep.body.find("line 1: the line has 300000 bytes, more than the 65536 allowed") !=
        std::string::npos);
  const gw::HttpReply nested = e.post(sale(kNow) + std::string(60'000, '['));
  CHECK(nested.status == 400);
  CHECK(nested.body.find("line 2: JSON nested deeper than 16 levels") != std::string::npos);
  const gw::HttpReply ahead = e.post(sale(kNow) + sale(kNow + 10 * 60'000));
  CHECK(ahead.status == 400);
  CHECK(ahead.body.find("line 2: sale_ts 2026-01-01T00:10:00.000Z is more than 5m ahead of the "
                        "gateway's clock (pipeline.max_future)") != std::string::npos);
  // A valid body passes the door (the closed queue then answers 503).
  CHECK(e.post(sale(kNow)).status == 503);
}

TEST_CASE("POST /api/v1/events: a record over Kafka's message.max.bytes is refused with 413") {
  gw::Options o;
  o.sinks.kafka.enabled = true;
  o.sinks.kafka.properties["message.max.bytes"] = "2300";  // 245 bytes a record, key + value
  Endpoint e{o};
  CHECK(e.post(sale(kNow)).status == 503);
  const gw::HttpReply big =
      e.post(sale(kNow) + sale(kNow, std::string(64, 'S')) + sale(kNow, std::string(64, 'T')));
  CHECK(big.status == 413);
  CHECK(big.body.find("line 2: its record would have ") != std::string::npos);
  CHECK(big.body.find("more than the 245 the sinks can carry (the Kafka sink's message.max.bytes "
                      "less headers and framing)") != std::string::npos);
}

TEST_CASE("/metrics: events kept out of the windows, by reason") {
  Endpoint e{gw::Options{}};
  gw::PipelineStatus st;
  st.counters.too_far_ahead = 2;
  st.counters.window_refused = 7;
  e.board.publish(st, {});
  const std::string metrics = e.get("/metrics").body;
  CHECK(metrics.find("# TYPE iot_gateway_window_refused_events_total counter") !=
        std::string::npos);
  CHECK(metrics.find("iot_gateway_window_refused_events_total{reason=\"too_far_ahead\"} 2") !=
        std::string::npos);
  CHECK(metrics.find("iot_gateway_window_refused_events_total{reason=\"full\"} 7") !=
        std::string::npos);
}
