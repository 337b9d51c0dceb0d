// formats.sales: avro -- every SALES value is 0x00, the schema id the registry returned and an
// Avro body that Debian's python3-avro decodes with the seed's schema; with the registry down
// at start, the records wait in the buffer and flow once it is up. On the mock cluster and on a
// real Apache Kafka (label kafka-real).
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <rapidjson/document.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "kafka_mock.h"
#include "kafka_real.h"
#include "process.h"
#include "schema_registry_mock.h"
#include "sinks/kafka/schema_registry.h"

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// kcat's "%S:%s" output: "<value size>:<value bytes>" for each message.
std::vector<std::string> split_sized(const std::string& raw) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < raw.size()) {
    const std::size_t colon = raw.find(':', pos);
    REQUIRE(colon != std::string::npos);
    const std::size_t n = std::stoul(raw.substr(pos, colon - pos));
    out.push_back(raw.substr(colon + 1, n));
    pos = colon + 1 + n;
  }
  return out;
}

// On a mock or a real cluster (test::KafkaMock, test::RealKafka).
template <typename Cluster>
void avro_with_registry_late(Cluster& kafka, const std::string& name) {
  const int port = test::free_port();
  const std::string registry_url = "http://127.0.0.1:" + std::to_string(port);
  const fs::path dir = fs::temp_directory_path() / ("iot-gateway-kafka-avro" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "gateway.yaml")
      << "gateway: {id: avro-gw, data_dir: " << dir.string() << "}\n"
      << "simulator: {clock: virtual, duration: 5m}\n"
      << "http: {listen: '127.0.0.1:0'}\n"
      << "sinks:\n  file: {enabled: true, path: out}\n"
      << "  kafka:\n    brokers: " << kafka.bootstrap() << "\n"
      << "    formats: {sales: avro}\n    schema_registry: {url: '" << registry_url << "'}\n";
  const pid_t pid =
      test::spawn_gateway({"run", "-c", (dir / "gateway.yaml").string()}, (dir / "log").string());
  const test::ReapOnExit reap_pid(pid);
  // The registry is down: the sales wait in the buffer, the gateway says so and stays up.
  bool waiting = false;
  for (int i = 0; i < 3000 && !waiting; ++i) {
    waiting = slurp(dir / "log").find("is unreachable") != std::string::npos;
    if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(waiting);
  int code = 0;
  CHECK_FALSE(test::has_exited(pid, code));
  CHECK(test::consume_with_kcat(kafka.bootstrap(), "SALES", "%s\n").empty());

  MockRegistry registry({}, "127.0.0.1:" + std::to_string(port));
  REQUIRE(test::wait_exit(pid) == 0);

  // The id the registry gives the seed's schema under SALES-value.
  std::string error;
  const auto id = gw::SchemaRegistryClient(registry.url(), std::nullopt, std::nullopt)
                      .register_schema("SALES-value",
                                       slurp(fs::path(PROJECT_DIR) / "schemas/sales.avsc"), error);
  REQUIRE_MESSAGE(id, error);

  const auto r = test::run_command({"kcat", "-C", "-b", kafka.bootstrap(), "-t", "SALES", "-o",
                                    "beginning", "-e", "-q", "-f", "%S:%s"});
  REQUIRE(r.exit_code == 0);
  const auto values = split_sized(r.out);
  const std::string file = slurp(dir / "out" / "SALES.ndjson");
  const auto sales_in_file = static_cast<std::size_t>(std::count(file.begin(), file.end(), '\n'));
  REQUIRE(values.size() == sales_in_file);
  REQUIRE(values.size() > 50);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto& v = values[i];
    REQUIRE(v.size() > 5);
    CHECK(v[0] == '\0');
    const std::int32_t got =
        (static_cast<unsigned char>(v[1]) << 24) | (static_cast<unsigned char>(v[2]) << 16) |
        (static_cast<unsigned char>(v[3]) << 8) | static_cast<unsigned char>(v[4]);
    CHECK(got == *id);
    std::ofstream(dir / ("body-" + std::to_string(i)), std::ios::binary) << v.substr(5);
  }
  // An independent decoder: Debian's python3-avro with the seed's schema.
  const std::string script =
      "import avro.schema, avro.io, io, json, sys\n"
      "s = avro.schema.parse(open(sys.argv[1]).read())\n"
      "for i in range(int(sys.argv[3])):\n"
      "  b = open(sys.argv[2] + '/body-' + str(i), 'rb').read()\n"
      "  d = avro.io.BinaryDecoder(io.BytesIO(b))\n"
      "  print(json.dumps(avro.io.DatumReader(s).read(d), sort_keys=True))\n";
  std::ofstream(dir / "decode.py") << script;
  const auto py = test::run_command({"/usr/bin/python3", (dir / "decode.py").string(),
                                     (fs::path(PROJECT_DIR) / "schemas/sales.avsc").string(),
                                     dir.string(), std::to_string(values.size())});
  REQUIRE_MESSAGE(py.exit_code == 0, py.err);
  // Each decoded record is one of the file sink's sales, with the same three fields.
  std::multiset<std::string> expected, decoded;
  std::istringstream lines(file);
  for (std::string line; std::getline(lines, line);) {
    rapidjson::Document d;
    d.Parse(line.c_str());
    expected.insert("{\"sale_amount\": " + std::to_string(d["sale_amount"].GetInt()) +
                    ", \"sale_ts\": " + std::to_string(d["sale_ts"].GetInt64()) +
                    ", \"store_id\": \"" + d["store_id"].GetString() + "\"}");
  }
  for (const auto& line : test::split_lines(py.out)) decoded.insert(line);
  CHECK(decoded == expected);
}

}  // namespace

TEST_CASE("avro sales: Confluent wire format, decodable with the seed's schema, registry late") {
  test::KafkaMock kafka;
  avro_with_registry_late(kafka, "");
}

TEST_CASE("real Kafka: avro sales through the registry while it starts late" *
          doctest::test_suite("kafka-real")) {
  test::RealKafka kafka("avro");
  avro_with_registry_late(kafka, "-real");
}
