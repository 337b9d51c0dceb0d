// https to the schema registry (and so to Druid: the same client): the server's certificate
// must chain to the configured CA file (or the system's CAs) and name the host; what
// check-config accepts the run can use.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include <filesystem>
#include <fstream>
#include <regex>

#include "http/http_client.h"
#include "kafka_mock.h"
#include "process.h"
#include "schema_registry_mock.h"
#include "sinks/druid/druid_client.h"
#include "tls_certs.h"

namespace fs = std::filesystem;

namespace {

// A folder of this process's own (other checkouts may run the same tests at the same time).
fs::path temp_dir(const std::string& name) {
  return fs::temp_directory_path() / ("iot-gateway-tls-" + name + "-" + std::to_string(getpid()));
}

std::vector<std::string> tls_args(const test::TlsCerts& certs, const std::string& name) {
  return {"--tls-cert", certs.cert(name), "--tls-key", certs.key(name)};
}

std::string port_of(const MockRegistry& m) {
  return m.address().substr(m.address().rfind(':') + 1);
}

gw::HttpResponse get(const std::string& url, const std::string& ca_file) {
  return gw::http_request("GET", url, "", {}, 5000, gw::TlsOptions{ca_file});
}

}  // namespace

TEST_CASE("https: served with the configured CA's certificate, refused with another CA") {
  test::TlsCerts certs(temp_dir("ca"));
  certs.server("loopback", "DNS:localhost,IP:127.0.0.1");
  MockRegistry registry(tls_args(certs, "loopback"));

  const auto by_ip = get(registry.https_url() + "/subjects", certs.ca());
  INFO(by_ip.error);
  CHECK(by_ip.error.empty());
  CHECK(by_ip.status == 200);
  CHECK(by_ip.body == "[]");
  // By name: SNI and the DNS name in the certificate.
  const auto by_name = get("https://localhost:" + port_of(registry) + "/subjects", certs.ca());
  INFO(by_name.error);
  CHECK(by_name.status == 200);

  const auto wrong_ca = get(registry.https_url() + "/subjects", certs.other_ca());
  CHECK(wrong_ca.status == 0);
  CHECK(wrong_ca.error.find("TLS handshake: certificate verify failed: unable to get local "
                            "issuer certificate") != std::string::npos);
  // Without a CA file the system's CAs decide: they do not know this test CA.
  const auto system_cas = get(registry.https_url() + "/subjects", "");
  CHECK(system_cas.status == 0);
  CHECK(system_cas.error.find("certificate verify failed") != std::string::npos);
  // http:// to an https server is an error, not a hang.
  CHECK_FALSE(get(registry.url() + "/subjects", "").error.empty());
  CHECK(get(registry.https_url(), "/nonexistent/ca.pem").error.find("cannot load CA file") !=
        std::string::npos);
}

TEST_CASE("https: a certificate for another host is refused") {
  test::TlsCerts certs(temp_dir("name"));
  certs.server("elsewhere", "DNS:registry.example");
  MockRegistry registry(tls_args(certs, "elsewhere"));
  const auto by_ip = get(registry.https_url() + "/subjects", certs.ca());
  CHECK(by_ip.status == 0);
  CHECK(by_ip.error.find("certificate verify failed: IP address mismatch") != std::string::npos);
  const auto by_name = get("https://localhost:" + port_of(registry) + "/subjects", certs.ca());
  CHECK(by_name.status == 0);
  CHECK(by_name.error.find("certificate verify failed: hostname mismatch") != std::string::npos);
}

TEST_CASE("https: a server that never answers the handshake times out") {
  // Listening but never accepting: the kernel completes the TCP handshake, nobody speaks TLS.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(fd, 4) == 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string url = "https://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";
  const auto start = std::chrono::steady_clock::now();
  const auto r = gw::http_request("GET", url, "", {}, 300);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  CHECK(r.error == "GET " + url + ": TLS handshake: timed out after 300 ms");
  close(fd);
}

TEST_CASE("https: the Druid client takes sinks.druid.ca_file") {
  test::TlsCerts certs(temp_dir("druid"));
  certs.server("loopback", "IP:127.0.0.1");
  MockRegistry server(tls_args(certs, "loopback"));  // any https server: the answer is a 404
  gw::DruidSinkOptions o;
  o.url = server.https_url();
  o.request_timeout = 5000;
  const auto refused = gw::DruidClient(o).task_status("t1");
  CHECK_FALSE(refused.answer.reached);
  CHECK(refused.answer.message.find("certificate verify failed") != std::string::npos);
  o.ca_file = certs.ca();
  const auto reached = gw::DruidClient(o).task_status("t1");
  INFO(reached.answer.message);
  CHECK(reached.answer.reached);
  CHECK(reached.answer.status == 404);
}

TEST_CASE("https: check-config and the run agree on the registry's URL and CA file") {
  const fs::path dir = temp_dir("run");
  test::TlsCerts certs(dir / "certs");
  certs.server("loopback", "IP:127.0.0.1");
  MockRegistry registry(tls_args(certs, "loopback"));
  test::KafkaMock kafka;
  const auto write_config = [&](const std::string& registry_yaml) {
    std::ofstream(dir / "gateway.yaml")
        << "gateway: {id: tls-gw, data_dir: " << dir.string() << "}\n"
        << "simulator: {clock: virtual, duration: 2m}\n"
        << "sinks:\n  kafka:\n    brokers: " << kafka.bootstrap() << "\n"
        << "    formats: {sales: avro}\n"
        << "    schema_registry: " << registry_yaml << "\n";
  };
  const std::string bin = IOT_GATEWAY_BIN;
  const std::string check = bin + " check-config -c " + (dir / "gateway.yaml").string() + " 2>&1";
  const auto refused = [&](const std::string& registry_yaml, const std::string& message) {
    write_config(registry_yaml);
    int status = 0;
    const std::string out = test::shell(check, &status);
    INFO(registry_yaml, " -> ", out);
    CHECK(status != 0);
    CHECK(std::regex_search(out, std::regex("gateway\\.yaml:7:[0-9]+: error: " + message)));
  };
  const std::string url = registry.https_url();
  refused("{url: " + url + ", ca_file: certs/missing.pem}",
          "sinks\\.kafka\\.schema_registry\\.ca_file: no file at .*certs/missing\\.pem");
  std::ofstream(dir / "certs" / "junk.pem") << "not a certificate\n";
  refused("{url: " + url + ", ca_file: certs/junk.pem}",
          "sinks\\.kafka\\.schema_registry\\.ca_file: cannot load CA file");
  refused("{url: " + registry.url() + ", ca_file: certs/ca.pem}",
          "sinks\\.kafka\\.schema_registry\\.ca_file: only used for an https:// URL");
  refused("{url: 'ftp://" + registry.address() + "'}",
          "sinks\\.kafka\\.schema_registry\\.url: not an http:// or https:// URL");

  // Relative to the file's folder, like other paths.
  write_config("{url: " + url + ", ca_file: certs/ca.pem}");
  int status = -1;
  const std::string out = test::shell(check, &status);
  INFO(out);
  REQUIRE(status == 0);
  const pid_t pid =
      test::spawn_gateway({"run", "-c", (dir / "gateway.yaml").string()}, (dir / "log").string());
  const test::ReapOnExit reap_pid(pid);
  CHECK(test::wait_exit(pid) == 0);
  const std::string log = test::slurp(dir / "log");
  INFO(log);
  CHECK(log.find("certificate") == std::string::npos);
  CHECK(get(url + "/subjects", certs.ca()).body == "[\"SALES-value\"]");
  CHECK(test::consume_with_kcat(kafka.bootstrap(), "SALES", "%s\n").size() > 10);
  fs::remove_all(dir);
}
