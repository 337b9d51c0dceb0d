// The gateway as a systemd service: sd_notify messages on our own NOTIFY_SOCKET, SIGHUP with a
// valid and an invalid config, and SIGTERM with open windows that continue after the restart.
#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "core/time.h"
#include "http/http_client.h"
#include "process.h"

namespace fs = std::filesystem;

namespace {

// A datagram socket standing in for systemd's notification socket.
class NotifySocket {
 public:
  explicit NotifySocket(const fs::path& path) : path_(path.string()) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path_.size() < sizeof addr.sun_path);
    std::copy(path_.begin(), path_.end(), addr.sun_path);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~NotifySocket() { close(fd_); }
  // Messages until one containing `want` arrived (true) or `timeout_ms` passed.
  bool await(const std::string& want, int timeout_ms = 20'000) {
    return test::await(
        [&] {
          char buf[4096];
          ssize_t n;
          while ((n = recv(fd_, buf, sizeof buf, MSG_DONTWAIT)) > 0)
            messages_.emplace_back(buf, static_cast<std::size_t>(n));
          for (; seen_ < messages_.size(); ++seen_)
            if (messages_[seen_].find(want) != std::string::npos) {
              ++seen_;
              return true;
            }
          return false;
        },
        timeout_ms);
  }
  const std::vector<std::string>& messages() const { return messages_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::vector<std::string> messages_;
  std::size_t seen_ = 0;  // messages already matched or passed over
};

std::string realtime_config(const fs::path& dir, const std::string& token,
                            const std::string& extra = "") {
  return "gateway: {id: svc-gw, data_dir: " + dir.string() + ", shutdown_timeout: 5s}\n" +
         "simulator:\n  clock: realtime\n  sales: {interval: 50ms}\n  access: {interval: 1h}\n" +
         "pipeline: {sales_window: 2s, watermark_delay: 300ms}\n" +
         "sinks:\n  file: {enabled: true, path: out}\n  kafka: {enabled: false}\n" +
         "http: {listen: '127.0.0.1:0', token: " + token + "}\n" + extra;
}

gw::HttpResponse post_sale(const std::string& base, const std::string& token) {
  const std::string body = R"({"store_id":"ABC","sale_amount":100,"sale_ts":)" +
                           std::to_string(std::time(nullptr) * 1000LL) + "}\n";
  return gw::http_request(
      "POST", base + "/api/v1/events", body,
      {{"Authorization", "Bearer " + token}, {"Content-Type", "application/x-ndjson"}}, 10'000);
}

}  // namespace

TEST_CASE("sd_notify: READY once the endpoint listens, STATUS, WATCHDOG, RELOADING, STOPPING") {
  const fs::path dir = test::fresh_dir("service-notify");
  std::ofstream(dir / "gateway.yaml") << realtime_config(dir, "t0k3n");
  NotifySocket sock(dir / "notify.sock");
  setenv("NOTIFY_SOCKET", (dir / "notify.sock").c_str(), 1);
  setenv("WATCHDOG_USEC", "400000", 1);
  const pid_t pid =
      test::spawn_gateway({"run", "-c", (dir / "gateway.yaml").string()}, (dir / "log").string());
  const test::ReapOnExit reap_pid(pid);
  unsetenv("NOTIFY_SOCKET");
  unsetenv("WATCHDOG_USEC");

  REQUIRE(sock.await("READY=1"));
  // READY comes after the buffer is open and the endpoint listens.
  const std::string base = test::await_http_base(dir / "log");
  REQUIRE(!base.empty());
  CHECK(gw::http_request("GET", base + "/healthz", "", {}, 5000).status == 200);
  CHECK(fs::exists(dir / "gateway.db"));
  REQUIRE(sock.await("STATUS="));
  CHECK(sock.messages().back().find("events/s; backlog file") != std::string::npos);
  REQUIRE(sock.await("WATCHDOG=1"));
  REQUIRE(sock.await("WATCHDOG=1"));  // kept up every 200 ms

  kill(pid, SIGHUP);
  REQUIRE(sock.await("RELOADING=1"));
  REQUIRE(sock.await("READY=1"));
  kill(pid, SIGTERM);
  REQUIRE(sock.await("STOPPING=1"));
  CHECK(test::wait_exit(pid) == 0);
}

TEST_CASE("SIGHUP: a valid config applies live, an invalid one is refused and the old one kept") {
  const fs::path dir = test::fresh_dir("service-reload");
  const fs::path config = dir / "gateway.yaml";
  std::ofstream(config) << realtime_config(dir, "old-token");
  const pid_t pid = test::spawn_gateway({"run", "-c", config.string()}, (dir / "log").string());
  const test::ReapOnExit reap_pid(pid);
  const std::string base = test::await_http_base(dir / "log");
  REQUIRE(!base.empty());
  REQUIRE(post_sale(base, "old-token").status == 202);

  // Valid: a live key (the token) and one that needs a restart (the file sink's path).
  std::ofstream(config) << realtime_config(dir, "new-token")
                               .replace(realtime_config(dir, "new-token").find("path: out"), 9,
                                        "path: elsewhere");
  kill(pid, SIGHUP);
  REQUIRE(test::await([&] {
    return test::slurp(dir / "log").find("reload applied: http.token") != std::string::npos;
  }));
  CHECK(
      test::slurp(dir / "log").find("sinks.file changed; these take effect only after a restart") !=
      std::string::npos);
  CHECK(post_sale(base, "new-token").status == 202);
  CHECK(post_sale(base, "old-token").status == 401);

  // Invalid: refused with its problem, FILE:LINE:COL; the running config stays.
  std::ofstream(config) << realtime_config(dir, "newer-token", "buffer: {max_bytes: lots}\n");
  kill(pid, SIGHUP);
  REQUIRE(test::await(
      [&] { return test::slurp(dir / "log").find("reload refused") != std::string::npos; }));
  CHECK(test::slurp(dir / "log").find(config.string() + ":11:21: error: buffer.max_bytes") !=
        std::string::npos);
  CHECK(post_sale(base, "new-token").status == 202);
  CHECK(post_sale(base, "newer-token").status == 401);
  const auto metrics = gw::http_request("GET", base + "/metrics", "", {}, 5000).body;
  CHECK(metrics.find("iot_gateway_config_reloads_total{result=\"applied\"} 1") !=
        std::string::npos);
  CHECK(metrics.find("iot_gateway_config_reloads_total{result=\"refused\"} 1") !=
        std::string::npos);

  kill(pid, SIGTERM);
  CHECK(test::wait_exit(pid) == 0);
  // The records kept going to the running file sink's path.
  CHECK(fs::exists(dir / "out" / "SALES.ndjson"));
  CHECK_FALSE(fs::exists(dir / "elsewhere"));
}

TEST_CASE("SIGTERM: open windows stay in the buffer's state and fire complete after a restart") {
  const fs::path dir = test::fresh_dir("service-drain");
  const fs::path config = dir / "gateway.yaml";
  std::ofstream(config) << realtime_config(dir, "t");
  const std::vector<std::string> args = {"run", "-c", config.string()};
  const fs::path aggregates = dir / "out" / "SALES_AGGREGATE.ndjson";
  auto lines = [&] { return test::read_lines(aggregates).size(); };

  for (int run = 0; run < 3; ++run) {
    const std::size_t before = lines();
    const pid_t pid = test::spawn_gateway(args, (dir / "log").string());
    const test::ReapOnExit reap_pid(pid);
    // Stop in the middle of a window, a little after some windows fired.
    REQUIRE(test::await([&] { return lines() >= before + 4; }));
    kill(pid, SIGTERM);
    CHECK(test::wait_exit(pid) == 0);
  }
  // Every aggregate counts exactly the sales of its store and window, also those windows that
  // were open at a stop: their sales before the stop and after the restart are all in.
  std::map<std::pair<std::string, std::int64_t>, std::pair<std::int64_t, std::int64_t>> sales;
  for (const auto& line : test::read_lines(dir / "out" / "SALES.ndjson")) {
    rapidjson::Document d;
    d.Parse(line.c_str());
    const std::int64_t ts = d["sale_ts"].GetInt64();
    auto& [n, sum] = sales[{d["store_id"].GetString(), ts - ts % 2000}];
    ++n;
    sum += d["sale_amount"].GetInt64();
  }
  const auto all = test::read_lines(aggregates);
  const std::set<std::string> unique(all.begin(), all.end());
  std::set<std::pair<std::string, std::int64_t>> windows;
  for (const auto& line : unique) {
    rapidjson::Document d;
    d.Parse(line.c_str());
    const std::pair<std::string, std::int64_t> key{
        d["store_id"].GetString(), gw::parse_rfc3339(d["window_start"].GetString()).value()};
    INFO(line);
    CHECK(windows.insert(key).second);  // fired once (a duplicate is byte-identical)
    CHECK(d["sales_count"].GetInt64() == sales[key].first);
    CHECK(d["aggregated_sales"].GetInt64() == sales[key].second);
  }
  CHECK(windows.size() >= 12);
  CHECK(test::slurp(dir / "log").find("resumed from the buffer's last commit") !=
        std::string::npos);
}
