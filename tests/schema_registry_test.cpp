// SchemaRegistryClient and the HTTP client against tools/schema-registry-mock.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "http/http_client.h"
#include "schema_registry_mock.h"
#include "sinks/kafka/avro_encoder.h"
#include "sinks/kafka/schema_registry.h"

namespace {

std::string schema(const std::string& stream) {
  std::ifstream in(std::string(PROJECT_DIR) + "/schemas/" + stream + ".avsc");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string error;
  const auto enc = gw::AvroEncoder::create(ss.str(), error);
  REQUIRE(enc != nullptr);
  return enc->canonical_schema();
}

// A 127.0.0.1 port nothing listens on (bound, then released).
int closed_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

TEST_CASE("schema registry: the same schema twice gives the same id, another schema a new one") {
  MockRegistry mock;
  const gw::SchemaRegistryClient client(mock.url(), std::nullopt, std::nullopt);
  std::string error;
  const auto sales = client.register_schema("SALES-value", schema("sales"), error);
  INFO(error);
  REQUIRE(sales.has_value());
  CHECK(*sales == 1);
  CHECK(client.register_schema("SALES-value", schema("sales"), error) == sales);

  const auto events = client.register_schema(gw::value_subject("EVENTS"), schema("events"), error);
  REQUIRE(events.has_value());
  CHECK(*events != *sales);
  // A new schema in a subject that has one: a new id (a new version) as well.
  const auto alerts = client.register_schema("SALES-value", schema("alerts"), error);
  REQUIRE(alerts.has_value());
  CHECK(*alerts != *sales);
  CHECK(*alerts != *events);
  // The registry's ids are global: the same schema under another subject keeps its id.
  CHECK(client.register_schema("OTHER-value", schema("sales"), error) == sales);

  // The registry stored the schema as sent; fetch it back by id.
  const auto res =
      gw::http_request("GET", mock.url() + "/schemas/ids/" + std::to_string(*sales), "", {}, 5000);
  REQUIRE(res.error.empty());
  CHECK(res.status == 200);
  rapidjson::Document doc;
  doc.Parse(res.body.c_str());
  REQUIRE(doc.IsObject());
  CHECK(std::string(doc["schema"].GetString()) == schema("sales"));

  const auto subjects = gw::http_request("GET", mock.url() + "/subjects", "", {}, 5000);
  CHECK(subjects.body == R"(["EVENTS-value","OTHER-value","SALES-value"])");
}

TEST_CASE("schema registry: an invalid schema is refused with the registry's code and message") {
  MockRegistry mock;
  const gw::SchemaRegistryClient client(mock.url() + "/", std::nullopt, std::nullopt);
  std::string error;
  CHECK_FALSE(client.register_schema("X-value", R"({"type":"nope"})", error).has_value());
  CHECK(error.find("HTTP 422") != std::string::npos);
  CHECK(error.find("error_code 42201") != std::string::npos);
  CHECK(error.find("X-value") != std::string::npos);
}

TEST_CASE("schema registry: basic auth is sent when configured") {
  MockRegistry mock({"--user", "gw", "--password", "s3cret"});
  std::string error;

  const gw::SchemaRegistryClient anonymous(mock.url(), std::nullopt, std::nullopt);
  CHECK_FALSE(anonymous.register_schema("SALES-value", schema("sales"), error).has_value());
  CHECK(error.find("401") != std::string::npos);
  CHECK(error.find("unreachable") == std::string::npos);

  const gw::SchemaRegistryClient wrong(mock.url(), "gw", "nope");
  CHECK_FALSE(wrong.register_schema("SALES-value", schema("sales"), error).has_value());
  CHECK(error.find("401") != std::string::npos);

  const gw::SchemaRegistryClient right(mock.url(), "gw", "s3cret");
  error.clear();
  const auto id = right.register_schema("SALES-value", schema("sales"), error);
  INFO(error);
  CHECK(id == 1);
}

TEST_CASE("schema registry: a closed port is reported unreachable at once") {
  const gw::SchemaRegistryClient client("http://127.0.0.1:" + std::to_string(closed_port()),
                                        std::nullopt, std::nullopt);
  std::string error;
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(client.register_schema("SALES-value", schema("sales"), error).has_value());
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  CHECK(error.find("unreachable") != std::string::npos);
}

TEST_CASE("schema registry mock: exits when its stdin ends") {
  MockRegistry mock;
  mock.close_stdin();
  const auto status = mock.wait_exit(2000);
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}

TEST_CASE("http client: URLs, statuses, headers and timeouts") {
  std::string error;
  const auto u = gw::parse_http_url("http://registry:8081/a/b?c=1", error);
  REQUIRE(u.has_value());
  CHECK(u->host == "registry");
  CHECK(u->port == 8081);
  CHECK(u->target == "/a/b?c=1");
  const auto v6 = gw::parse_http_url("http://[::1]", error);
  REQUIRE(v6.has_value());
  CHECK(v6->host == "::1");
  CHECK(v6->port == 80);
  CHECK(v6->target == "/");
  CHECK_FALSE(gw::parse_http_url("http://h:99999/", error).has_value());
  CHECK_FALSE(gw::parse_http_url("ftp://h/", error).has_value());
  const auto tls = gw::parse_http_url("https://h/x", error);
  REQUIRE(tls.has_value());
  CHECK(tls->tls);
  CHECK(tls->port == 443);
  CHECK_FALSE(gw::parse_http_url("http://gw:pw-S3cret@h/", error).has_value());
  CHECK(error == "credentials in the URL are not supported: 'http://gw:***@h/'");

  CHECK(gw::base64_encode("") == "");
  CHECK(gw::base64_encode("f") == "Zg==");
  CHECK(gw::base64_encode("fo") == "Zm8=");
  CHECK(gw::base64_encode("foo") == "Zm9v");
  CHECK(gw::base64_encode("foob") == "Zm9vYg==");
  CHECK(gw::basic_auth_header("Aladdin", "open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");

  MockRegistry mock;
  // A status other than 2xx is a response, not a transport error.
  const auto missing = gw::http_request("GET", mock.url() + "/schemas/ids/99", "", {}, 5000);
  CHECK(missing.error.empty());
  CHECK(missing.status == 404);
  CHECK(missing.body.find("40403") != std::string::npos);
  // The caller's Content-Type reaches the server (the mock refuses text/plain).
  const auto media = gw::http_request("POST", mock.url() + "/subjects/X/versions", "{}",
                                      {{"Content-Type", "text/plain"}}, 5000);
  CHECK(media.status == 415);
  const auto bad = gw::http_request("POST", mock.url() + "/subjects/X/versions", "not json",
                                    {{"Content-Type", "application/json"}}, 5000);
  CHECK(bad.status == 422);
  CHECK(bad.body.find("42201") != std::string::npos);

  // A server that accepts the connection but never answers: the timeout bounds the request.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(fd, 4) == 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const auto start = std::chrono::steady_clock::now();
  const auto silent = gw::http_request(
      "GET", "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/", "", {}, 300);
  const auto took = std::chrono::steady_clock::now() - start;
  close(fd);
  CHECK(silent.error.find("timed out after 300 ms") != std::string::npos);
  CHECK(took >= std::chrono::milliseconds(250));
  CHECK(took < std::chrono::seconds(3));
}
