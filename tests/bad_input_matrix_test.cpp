// The bad-input matrix (issue 18): a realtime gateway fed only over HTTP, Kafka (mock cluster)
// and the file sink behind it. Each bad input is sent, and the test prints its HTTP status and
// what /metrics counted for it; then a round of normal sales follows, whose window must come out
// exact (in the file sink and in Kafka) and whose raw records must reach Kafka: no bad input
// crashes the gateway, poisons its windows or blocks a sink.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "core/time.h"
#include "http/http_client.h"
#include "kafka_mock.h"
#include "process.h"
#include "raw_client.h"

namespace fs = std::filesystem;

namespace {

constexpr gw::TimeMs kWindow = 2'000;  // pipeline.sales_window

struct BadInput {
  std::string name;
  std::string request;  // the whole HTTP request, as sent
  int want_status;
  bool closes = false;  // the connection must be closed after the answer
};

std::string post(const std::string& body, const std::string& headers) {
  return "POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}
std::string ndjson(const std::string& body) {
  return post(body, "Content-Type: application/x-ndjson\r\n");
}
std::string sale_line(const std::string& store, const std::string& amount, const std::string& ts) {
  return R"({"store_id":")" + store + R"(","sale_amount":)" + amount + R"(,"sale_ts":)" + ts +
         "}\n";
}

// iot_gateway_* samples of /metrics, by name and labels; counters and gauges alike.
std::map<std::string, double> samples(const std::string& base) {
  std::map<std::string, double> out;
  const std::string text = gw::http_request("GET", base + "/metrics", "", {}, 5000).body;
  static const std::regex line("^(iot_gateway_[^ ]+) ([-0-9.e+]+)$", std::regex::multiline);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), line); it != std::sregex_iterator();
       ++it)
    out[(*it)[1].str()] = std::stod((*it)[2].str());
  return out;
}

// The counters that moved between two readings (not the ones that move by themselves).
std::string counted(const std::map<std::string, double>& before,
                    const std::map<std::string, double>& after) {
  std::string out;
  for (const auto& [name, v] : after) {
    if (name.find("_total") == std::string::npos || name.find("connections") != std::string::npos ||
        name.find("code=\"2xx\"") != std::string::npos ||
        name.find("latency") != std::string::npos || name.find("produced") != std::string::npos ||
        name.find("delivered") != std::string::npos || name.find("_in_total") != std::string::npos)
      continue;
    const auto b = before.find(name);
    const double d = v - (b == before.end() ? 0 : b->second);
    if (d != 0) out += (out.empty() ? "" : ", ") + name + " +" + std::to_string(long(d));
  }
  return out.empty() ? "(answer only)" : out;
}

}  // namespace

TEST_CASE("bad-input matrix: each bad input answered and counted, the next records exact") {
  test::KafkaMock kafka(test::kKafkaMockTopics, 1, 3);
  const fs::path dir =
      fs::temp_directory_path() / ("iot-gateway-badinput-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "gw.yaml") << "gateway: {id: bad-gw, data_dir: " << dir.string() << "}\n"
                                 << "simulator: {enabled: false}\n"
                                 << "pipeline: {sales_window: 2s, watermark_delay: 500ms}\n"
                                 << "sinks:\n  file: {enabled: true, path: out}\n"
                                 << "  kafka: {enabled: true, brokers: '" << kafka.bootstrap()
                                 << "'}\nhttp: {listen: '127.0.0.1:0'}\n";
  const pid_t pid =
      test::spawn_gateway({"run", "-c", (dir / "gw.yaml").string()}, (dir / "log").string());
  const test::ReapOnExit reap_pid(pid);
  const std::string base = test::await_http_base(dir / "log");
  REQUIRE_FALSE(base.empty());
  const int port = std::stoi(base.substr(base.rfind(':') + 1));

  // Normal rounds use windows a little ahead of the clock (ahead of the idle watermark), one
  // every two windows: the sales of round k, then a closing sale one window later that moves the
  // watermark past round k's window.
  const gw::TimeMs now = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  gw::TimeMs next_window = (now / kWindow + 10) * kWindow;
  int round = 0;
  // One round: 40 sales of 1..40 for store R<k>; true if their window came out exact in the
  // file sink and in Kafka, and the raw sales reached Kafka.
  auto normal_round = [&](std::string& why) {
    const gw::TimeMs w = next_window;
    next_window += 2 * kWindow;
    const std::string store = "R" + std::to_string(++round);
    std::string body;
    for (int i = 1; i <= 40; ++i)
      body += sale_line(store, std::to_string(i), std::to_string(w + i));
    body += sale_line("CLOSE", "1", std::to_string(w + kWindow + 600));
    const auto r = gw::http_request("POST", base + "/api/v1/events", body,
                                    {{"Content-Type", "application/x-ndjson"}}, 30'000);
    if (r.status != 202) {
      why = "normal POST answered " + std::to_string(r.status) + " " + r.body;
      return false;
    }
    const std::string want = "\"store_id\":\"" + store + "\",\"window_start\":\"" +
                             gw::format_iso8601(w) + "\",\"window_end\":\"" +
                             gw::format_iso8601(w + kWindow) +
                             "\",\"aggregated_sales\":820,\"sales_count\":40";
    if (!test::await([&] {
          return test::slurp(dir / "out" / "SALES_AGGREGATE.ndjson").find(want) !=
                 std::string::npos;
        })) {
      why = "no exact aggregate for " + store + " in the file sink";
      return false;
    }
    const bool in_kafka = test::await([&] {
      std::size_t aggregates = 0, sales = 0;
      for (const auto& v : test::consume_with_kcat(kafka.bootstrap(), "SALES_AGGREGATE", "%s\n"))
        aggregates += v.find(want) != std::string::npos;
      for (const auto& v : test::consume_with_kcat(kafka.bootstrap(), "SALES", "%s\n"))
        sales += v.find("\"store_id\":\"" + store + "\"") != std::string::npos;
      return aggregates == 1 && sales == 40;
    });
    if (!in_kafka) why = "Kafka lacks the aggregate or the 40 sales of " + store;
    return in_kafka;
  };

  std::string why;
  REQUIRE_MESSAGE(normal_round(why), why);

  const std::string ok_sale = sale_line("X", "1", std::to_string(now));
  std::string invalid_utf8 = sale_line("X", "1", std::to_string(now));
  invalid_utf8.replace(invalid_utf8.find("\"X\""), 3, "\"\xc3\x28\"");
  const std::vector<BadInput> inputs = {
      {"300 KB of nested '['", ndjson(std::string(300'000, '[')), 400},
      {"a line of 1,000,084 bytes",
       ndjson(sale_line(std::string(1'000'000, 'S'), "1", std::to_string(now))), 400},
      {"sale_ts = INT64_MAX", ndjson(sale_line("X", "1", "9223372036854775807")), 400},
      {"sale_ts 1 hour ahead", ndjson(sale_line("X", "1", std::to_string(now + 3'600'000))), 400},
      {"sale_ts 30 days ago", ndjson(sale_line("X", "1", std::to_string(now - 30 * 86'400'000LL))),
       400},
      {"sale_amount = INT64_MAX",
       ndjson(sale_line("X", "9223372036854775807", std::to_string(now))), 400},
      {"sale_amount = -5", ndjson(sale_line("X", "-5", std::to_string(now))), 400},
      {"store_id of 100 bytes", ndjson(sale_line(std::string(100, 's'), "1", std::to_string(now))),
       400},
      {"invalid UTF-8 in store_id", ndjson(invalid_utf8), 400},
      {"eventTimestamp 2026-02-29",
       ndjson(R"({"deviceId":"d1","payload":{"notificationName":"accessGranted",)"
              R"("eventTimestamp":"2026-02-29T10:00:00.000Z"}})"
              "\n"),
       400},
      {"one bad line among good ones", ndjson(ok_sale + "{\"store_id\":\n" + ok_sale), 400},
      {"Content-Type: text/plain", post(ok_sale, "Content-Type: text/plain\r\n"), 415},
      {"Origin: http://evil.example",
       post(ok_sale, "Content-Type: application/x-ndjson\r\nOrigin: http://evil.example\r\n"), 403},
      {"Host: evil.example (DNS rebinding)",
       "GET /api/v1/status HTTP/1.1\r\nHost: evil.example\r\n\r\n", 421},
      {"Transfer-Encoding: gzip",
       "POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\n"
       "Transfer-Encoding: gzip\r\n\r\nGET /api/v1/devices HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
       400, true},
      {"GET /api/v1/events", "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 405},
      {"malformed HTTP", "PST /api/v1/events HTTP/9\r\n\r\n", 400, true},
  };

  std::printf("\nbad-input matrix (each input, then a round of 40 normal sales)\n");
  std::printf("%-36s | %-6s | %-70s | next records\n", "input", "status", "counted");
  for (const auto& in : inputs) {
    INFO("input: " << in.name);
    const auto before = samples(base);
    test::RawClient c(port);
    c.send(in.request);
    const std::string answer = c.read(10'000, "\r\n\r\n");
    std::smatch m;
    const int status = std::regex_search(answer, m, std::regex("^HTTP/1\\.1 ([0-9]{3})"))
                           ? std::stoi(m[1].str())
                           : 0;
    CHECK(status == in.want_status);
    if (in.closes) {
      c.read(5'000);
      CHECK(c.closed());
      CHECK(c.read(0).find("HTTP/1.1 200") == std::string::npos);  // no smuggled second request
    }
    c.close();
    const std::string what = counted(before, samples(base));
    std::string round_why;
    const bool exact = normal_round(round_why);
    CHECK_MESSAGE(exact, round_why);
    std::printf("%-36s | %-6d | %-70s | %s\n", in.name.c_str(), status, what.c_str(),
                exact ? "exact windows, in Kafka" : round_why.c_str());
  }
  int code = 0;
  CHECK_FALSE(test::has_exited(pid, code));
  kill(pid, SIGTERM);
  CHECK(test::wait_exit(pid) == 0);
  fs::remove_all(dir);
}
