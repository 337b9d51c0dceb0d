// Secrets (Kafka SASL, Schema Registry and Druid passwords, the HTTP token) never show: not in
// the log, not in /api/v1/status or /metrics, not in check-config, buffer stats or druid
// provision --dry-run, not in the error of a refused configuration. librdkafka property values
// show only for a short list of non-secret keys; credentials inside URLs are masked.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/secrets.h"
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
  // Per process: another checkout's test run on this machine must not share the folder.
  const fs::path dir =
      fs::temp_directory_path() / ("iot-gateway-secrets-" + std::to_string(getpid()));
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
         "ssl.key.password: '${GW_TEST_KAFKA_PW}', linger.ms: '5', "
         "sasl.oauthbearer.config: 'principal=gw extension_pw=${GW_TEST_KAFKA_PW}'}\n"
      << "  druid: {enabled: true, url: " << druid.url()
      << ", username: gw, password: '${GW_TEST_DRUID_PW}', flush_interval: 200ms,\n"
      << "          schema_registry_url: "
         "'http://druid:${GW_TEST_REGISTRY_PW}@registry.internal:8081'}\n"
      << "http: {listen: '127.0.0.1:0', token: '${GW_TEST_TOKEN}'}\n";
  const std::string bin = IOT_GATEWAY_BIN;
  const std::string c = " -c " + config.string();

  check_no_secret("check-config", test::shell(bin + " check-config" + c + " 2>&1"));

  const pid_t pid = test::spawn_gateway({"run", "-c", config.string(), "--log-level", "debug"},
                                        (dir / "log").string());
  const test::ReapOnExit reap(pid);
  const std::string base = test::await_http_base(dir / "log");
  REQUIRE(!base.empty());
  // Wait until records went to Druid with the password and to the registry with its own.
  REQUIRE(test::await([&] { return druid.tasks().Size() > 0; }, 60'000));
  const gw::HttpHeaders auth = {{"Authorization", "Bearer token-S3cret-4"}};
  const auto status = gw::http_request("GET", base + "/api/v1/status", "", auth, 5000);
  CHECK(status.status == 200);
  CHECK(status.body.find("\"druid_password\":\"***\"") != std::string::npos);
  CHECK(status.body.find("\"sasl.password\":\"***\"") != std::string::npos);
  CHECK(status.body.find("\"sasl.oauthbearer.config\":\"***\"") != std::string::npos);
  CHECK(status.body.find("\"linger.ms\":\"5\"") != std::string::npos);  // not a secret
  check_no_secret("/api/v1/status", status.body);
  check_no_secret("/metrics", gw::http_request("GET", base + "/metrics", "", auth, 5000).body);
  check_no_secret("/api/v1/aggregates",
                  gw::http_request("GET", base + "/api/v1/aggregates", "", auth, 5000).body);
  kill(pid, SIGTERM);
  CHECK(test::wait_exit(pid) == 0);
  check_no_secret("log", test::slurp(dir / "log"));

  check_no_secret("buffer stats", test::shell(bin + " buffer stats --json" + c + " 2>&1"));
  const std::string dry_run = test::shell(bin + " druid provision --dry-run" + c + " 2>&1");
  check_no_secret("druid provision --dry-run", dry_run);
  CHECK(dry_run.find("http://druid:***@registry.internal:8081") != std::string::npos);
  // A refused configuration names the problem, not the secrets beside it.
  check_no_secret("refused config",
                  test::shell(bin + " check-config" + c + " --set buffer.max_bytes=x 2>&1"));
  // Credentials inside a URL the gateway calls: refused (username/password are the keys for
  // them), by check-config and the run alike, without showing them.
  for (const std::string set : {"sinks.druid.url=http://gw:druid-S3cret-3@127.0.0.1:1",
                                "sinks.kafka.schema_registry.url=https://gw:registry-S3cret-2@h"}) {
    for (const std::string command : {" check-config", " run"}) {
      int code = 0;
      const std::string out = test::shell(bin + command + c + " --set " + set + " 2>&1", &code);
      check_no_secret(command + " --set " + set, out);
      CHECK(out.find("credentials in the URL are not supported: 'http") != std::string::npos);
      CHECK(out.find("://gw:***@") != std::string::npos);
      CHECK(code != 0);
    }
  }
  // The buffer is the owner's only.
  CHECK((fs::status(dir / "gateway.db").permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));
  for (const char* v :
       {"GW_TEST_KAFKA_PW", "GW_TEST_REGISTRY_PW", "GW_TEST_DRUID_PW", "GW_TEST_TOKEN"})
    unsetenv(v);
  fs::remove_all(dir);
}

TEST_CASE("a Kafka property librdkafka refuses is named without its value") {
  const fs::path dir =
      fs::temp_directory_path() / ("iot-gateway-secrets-refused-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path config = dir / "gateway.yaml";
  // Debian's librdkafka is built without OIDC: it refuses this key (and names it).
  std::ofstream(config) << "gateway: {id: refused-gw, data_dir: " << dir.string() << "}\n"
                        << "simulator: {clock: virtual, duration: 1m}\n"
                        << "http: {listen: '127.0.0.1:0'}\n"
                        << "sinks:\n  kafka:\n    brokers: 127.0.0.1:1\n"
                        << "    properties: {sasl.oauthbearer.client.secret: kafka-S3cret-1}\n";
  int code = 0;
  const std::string out =
      test::shell(std::string(IOT_GATEWAY_BIN) + " run -c " + config.string() + " 2>&1", &code);
  CHECK(code != 0);
  CHECK(out.find("sinks.kafka: sasl.oauthbearer.client.secret=***: ") != std::string::npos);
  check_no_secret("refused property", out);
  fs::remove_all(dir);
}

TEST_CASE("secrets: the allow-list of Kafka keys and the URL credential mask") {
  CHECK(gw::shown_kafka_property("bootstrap.servers", "k1:9092") == "k1:9092");
  CHECK(gw::shown_kafka_property("security.protocol", "SASL_SSL") == "SASL_SSL");
  for (const char* key :
       {"sasl.oauthbearer.config", "sasl.oauthbearer.client.secret", "sasl.password", "ssl.key.pem",
        "ssl_key", "sasl.jaas.config", "some.future.property"})
    CHECK(gw::shown_kafka_property(key, "v") == "***");
  // librdkafka quoting a refused value in its message.
  CHECK(gw::mask_kafka_value_in(R"(Invalid value "s3cr3t" for "ssl.key.password")",
                                "ssl.key.password",
                                "s3cr3t") == R"(Invalid value "***" for "ssl.key.password")");
  CHECK(gw::mask_kafka_value_in(R"(Invalid value "zstdd" for "compression.type")",
                                "compression.type",
                                "zstdd") == R"(Invalid value "zstdd" for "compression.type")");

  CHECK(gw::mask_url_credentials("http://user:pass@host:8081/x") == "http://user:***@host:8081/x");
  CHECK(gw::mask_url_credentials("https://token@host") == "https://***@host");
  CHECK(gw::mask_url_credentials("http://u:p@ss@h/?q=a@b") == "http://u:***@h/?q=a@b");
  CHECK(gw::mask_url_credentials("POST http://a:b@h1/x failed; 'https://c:d@[::1]:8' too") ==
        "POST http://a:***@h1/x failed; 'https://c:***@[::1]:8' too");
  CHECK(gw::mask_url_credentials("no URL: mail me at a@b") == "no URL: mail me at a@b");
  CHECK(gw::mask_url_credentials("http://host:8081/a@b") == "http://host:8081/a@b");
}
