// What a new user meets first (issue 19): a misspelt command, a port already taken.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>

#include "http/http_client.h"
#include "kafka_mock.h"
#include "process.h"

namespace fs = std::filesystem;

namespace {

// Runs the binary with `args` to its end; its stderr in `err`.
int run_to_end(const std::vector<std::string>& args, const fs::path& dir, std::string& err) {
  const fs::path log = dir / "stderr.log";
  const int code = test::wait_exit(test::spawn_gateway(args, log.string()));
  err = test::slurp(log);
  return code;
}

}  // namespace

TEST_CASE("a misspelt command is named, with the nearest one") {
  const fs::path dir = test::fresh_dir("newcomer-command");
  std::string err;
  CHECK(run_to_end({"chek-config"}, dir, err) == 2);
  CHECK_MESSAGE(
      err.find("unknown command 'chek-config'; did you mean 'check-config'?") != std::string::npos,
      err);
  CHECK(err.find("A subcommand is required") == std::string::npos);
  fs::remove(dir / "stderr.log");
  CHECK(run_to_end({"buffer", "stat"}, dir, err) == 2);
  CHECK_MESSAGE(err.find("iot-gateway buffer: unknown command 'stat'; did you mean 'stats'?") !=
                    std::string::npos,
                err);
}

TEST_CASE("a gateway whose endpoint cannot listen does not start, and says why") {
  const fs::path dir = test::fresh_dir("newcomer-port");
  // Hold a port, listening, for the whole test.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(listen(fd, 1) == 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const std::string listen_at = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  std::ofstream(dir / "gw.yaml") << "gateway: {id: port-gw, data_dir: " << (dir / "data").string()
                                 << "}\nsimulator: {clock: virtual, duration: 2m}\n"
                                 << "sinks:\n  kafka: {enabled: false}\n"
                                 << "  file: {enabled: true, path: " << (dir / "out").string()
                                 << "}\nhttp: {listen: '" << listen_at << "'}\n";
  std::string err;
  CHECK(run_to_end({"run", "-c", (dir / "gw.yaml").string()}, dir, err) == 1);
  close(fd);
  CHECK_MESSAGE(err.find("http: cannot listen on " + listen_at) != std::string::npos, err);
  CHECK(err.find("not starting") != std::string::npos);
  CHECK(err.find("bounded run complete") == std::string::npos);
}

TEST_CASE("readiness follows the Kafka brokers within seconds, both ways") {
  test::KafkaMock kafka(test::kKafkaMockTopics, 1, 1);
  const fs::path dir = test::fresh_dir("newcomer-ready");
  std::ofstream(dir / "gw.yaml") << "gateway: {id: ready-gw, data_dir: " << (dir / "data").string()
                                 << "}\nsimulator: {sales: {interval: 100ms}}\n"
                                 << "sinks:\n  kafka: {enabled: true, brokers: '"
                                 << kafka.bootstrap() << "'}\nhttp: {listen: '127.0.0.1:0'}\n";
  const pid_t pid =
      test::spawn_gateway({"run", "-c", (dir / "gw.yaml").string()}, (dir / "log").string());
  const test::ReapOnExit reap_pid(pid);
  const std::string base = test::await_http_base(dir / "log");
  REQUIRE_FALSE(base.empty());
  auto status = [&] { return gw::http_request("GET", base + "/readyz", "", {}, 5000).status; };
  // The time from a change of the brokers to /readyz showing it, in ms (-1: not within 10 s).
  auto follows = [&](const std::string& command, int want) {
    const auto from = std::chrono::steady_clock::now();
    REQUIRE(kafka.command(command).rfind("ok", 0) == 0);
    if (!test::await([&] { return status() == want; }, 10'000)) return -1L;
    return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now() - from)
                                 .count());
  };
  REQUIRE(test::await([&] { return status() == 200; }));
  const long down_ms = follows("all-down", 503);
  const std::string body = gw::http_request("GET", base + "/readyz", "", {}, 5000).body;
  const long up_ms = follows("all-up", 200);
  MESSAGE("/readyz followed the brokers going down in " << down_ms << " ms, coming back in "
                                                        << up_ms << " ms");
  CHECK(down_ms >= 0);
  CHECK(down_ms <= 3000);
  CHECK(body.find("sink kafka") != std::string::npos);
  CHECK(up_ms >= 0);
  CHECK(up_ms <= 3000);
  kill(pid, SIGTERM);
  CHECK(test::wait_exit(pid) == 0);
}

TEST_CASE("re-running a bounded run that completed says so, and does nothing else") {
  const fs::path dir = test::fresh_dir("newcomer-rerun");
  std::ofstream(dir / "gw.yaml") << "gateway: {id: rerun-gw, data_dir: " << (dir / "data").string()
                                 << "}\nsimulator: {clock: virtual, duration: 3m}\n"
                                 << "sinks:\n  kafka: {enabled: false}\n"
                                 << "  file: {enabled: true, path: " << (dir / "out").string()
                                 << "}\nhttp: {listen: '127.0.0.1:0'}\n";
  const std::vector<std::string> args = {"run", "-c", (dir / "gw.yaml").string()};
  std::string first, second;
  REQUIRE(run_to_end(args, dir, first) == 0);
  REQUIRE(first.find("bounded run complete") != std::string::npos);
  const auto sales = test::read_lines(dir / "out" / "SALES.ndjson").size();
  fs::remove(dir / "stderr.log");
  REQUIRE(run_to_end(args, dir, second) == 0);
  CHECK_MESSAGE(std::regex_search(second, std::regex("this bounded run completed earlier \\(20[0-9]"
                                                     "{2}-[0-9]{2}-[0-9]{2}T[^)]*Z\\): nothing "
                                                     "to run")),
                second);
  CHECK(second.find("empty gateway.data_dir") != std::string::npos);
  CHECK(second.find("watermark") == std::string::npos);
  CHECK(second.find("processed") == std::string::npos);
  CHECK(second.find("every window fired") == std::string::npos);
  CHECK(test::read_lines(dir / "out" / "SALES.ndjson").size() == sales);
  // The file sink says it appends to what the first run wrote.
  CHECK_MESSAGE(
      std::regex_search(second, std::regex("file sink: appending to [0-9]+ existing files? in "
                                           ".*out \\([0-9]+ bytes\\)")),
      second);
}
