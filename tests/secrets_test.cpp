// Secrets (Kafka SASL, Schema Registry and Druid passwords, the HTTP token) never show: not in
// the log, not in /api/v1/status or /metrics, not in check-config, buffer stats or druid
// provision --dry-run, not in the error of a refused configuration.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "druid_mock.h"
#include "http/http_client.h"
#include "kafka_mock.h"
#include "process.h"
#include "schema_registry_mock.h"

namespace fs = std::filesystem;

namespace {

constexpr const char* kSecrets[] = {"kafka-S3cret-1", "registry-S3cret-2", "druid-S3cret-3",
                                    "token-S3cret-4"};

void check_no_secret(const std::string& where, const std::string& text) {
  for (const char* secret : kSecrets) {
    INFO(where, ": ", text.substr(0, 2000));
    CHECK(text.find(secret) == std::string::npos);
  }
}

}  // namespace

TEST_CASE("secrets never appear in logs, status, metrics, or command output") {
  test::KafkaMock kafka;
  MockRegistry registry({"--user", "gw", "--password", "registry-S3cret-2"});
  MockDruid druid({"--user", "gw", "--password", "druid-S3cret-3"});
  const fs::path dir = fs::temp_directory_path() / "iot-gateway-secrets";
  fs::remove_all(dir);
  fs::create_directories(dir);
  setenv("GW_TEST_KAFKA_PW", "kafka-S3cret-1", 1);
  setenv("GW_TEST_REGISTRY_PW", "registry-S3cret-2", 1);
  setenv("GW_TEST_DRUID_PW", "druid-S3cret-3", 1);
  setenv("GW_TEST_TOKEN", "token-S3cret-4", 1);
  const fs::path config = dir / "gateway.yaml";
  std::ofstream(config)
      << "gateway: {id: secret-gw, data_dir: " << dir.string() << ", shutdown_timeout: 3s}\n"
      << "simulator: {clock: realtime, sales: {interval: 100ms}}\n"
      << "sinks:\n"
      << "  kafka:\n    brokers: " << kafka.bootstrap() << "\n"
      << "    formats: {sales: avro}\n"
      << "    schema_registry: {url: " << registry.url()
      << ", username: gw, password: '${GW_TEST_REGISTRY_PW}'}\n"
      << "    properties: {sasl.username: gw, sasl.password: '${GW_TEST_KAFKA_PW}', "
         "ssl.key.password: '${GW_TEST_KAFKA_PW}'}\n"
      << "  druid: {enabled: true, url: " << druid.url()
      << ", username: gw, password: '${GW_TEST_DRUID_PW}', flush_interval: 200ms}\n"
      << "http: {listen: '127.0.0.1:0', token: '${GW_TEST_TOKEN}'}\n";
  const std::string bin = IOT_GATEWAY_BIN;
  const std::string c = " -c " + config.string();

  check_no_secret("check-config", test::shell(bin + " check-config" + c + " 2>&1"));

  const pid_t pid = test::spawn_gateway({"run", "-c", config.string(), "--log-level", "debug"},
                                        (dir / "log").string());
  const std::string base = test::await_http_base(dir / "log");
  REQUIRE(!base.empty());
  // Wait until records went to Druid with the password and to the registry with its own.
  REQUIRE(test::await([&] { return druid.tasks().Size() > 0; }, 60'000));
  const gw::HttpHeaders auth = {{"Authorization", "Bearer token-S3cret-4"}};
  const auto status = gw::http_request("GET", base + "/api/v1/status", "", auth, 5000);
  CHECK(status.status == 200);
  CHECK(status.body.find("\"druid_password\":\"***\"") != std::string::npos);
  CHECK(status.body.find("\"sasl.password\":\"***\"") != std::string::npos);
  check_no_secret("/api/v1/status", status.body);
  check_no_secret("/metrics", gw::http_request("GET", base + "/metrics", "", auth, 5000).body);
  check_no_secret("/api/v1/aggregates",
                  gw::http_request("GET", base + "/api/v1/aggregates", "", auth, 5000).body);
  kill(pid, SIGTERM);
  CHECK(test::wait_exit(pid) == 0);
  check_no_secret("log", test::slurp(dir / "log"));

  check_no_secret("buffer stats", test::shell(bin + " buffer stats --json" + c + " 2>&1"));
  check_no_secret("druid provision --dry-run",
                  test::shell(bin + " druid provision --dry-run" + c + " 2>&1"));
  // A refused configuration names the problem, not the secrets beside it.
  check_no_secret("refused config",
                  test::shell(bin + " check-config" + c + " --set buffer.max_bytes=x 2>&1"));
  // The buffer is the owner's only.
  CHECK((fs::status(dir / "gateway.db").permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));
  for (const char* v :
       {"GW_TEST_KAFKA_PW", "GW_TEST_REGISTRY_PW", "GW_TEST_DRUID_PW", "GW_TEST_TOKEN"})
    unsetenv(v);
}
