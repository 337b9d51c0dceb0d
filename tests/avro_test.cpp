// AvroEncoder: the schemas in schemas/ against the gateway's own records, the Confluent wire
// format, and the Avro body decoded independently by Debian's python3-avro.
#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/records.h"
#include "process.h"
#include "sinks/kafka/avro_encoder.h"

namespace fs = std::filesystem;

namespace {

std::string schema_path(const std::string& stream) {
  return std::string(PROJECT_DIR) + "/schemas/" + stream + ".avsc";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::unique_ptr<gw::AvroEncoder> load(const std::string& stream) {
  std::string error;
  auto enc = gw::AvroEncoder::create(read_file(schema_path(stream)), error);
  INFO(stream, ": ", error);
  REQUIRE(enc != nullptr);
  return enc;
}

// A directory of this process's own, removed at exit.
const fs::path& temp_dir() {
  struct Dir {
    fs::path path = fs::temp_directory_path() / ("iot-gateway-avro-" + std::to_string(getpid()));
    Dir() { fs::create_directories(path); }
    ~Dir() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  };
  static const Dir dir;
  return dir.path;
}

// Decodes an Avro body (no wire header) with python3-avro; returns the record as JSON, or the
// Python error text.
std::string python_decode(const std::string& avsc_path, std::string_view body) {
  const fs::path body_path = temp_dir() / "body.bin";
  std::ofstream(body_path, std::ios::binary).write(body.data(), static_cast<long>(body.size()));
  const std::string script =
      "import io, json, sys\n"
      "import avro.io, avro.schema\n"
      "schema = avro.schema.parse(open(sys.argv[1]).read())\n"
      "data = open(sys.argv[2], \"rb\").read()\n"
      "buf = io.BytesIO(data)\n"
      "rec = avro.io.DatumReader(schema).read(avro.io.BinaryDecoder(buf))\n"
      "assert buf.tell() == len(data), \"trailing bytes\"\n"
      "print(json.dumps(rec))\n";
  const std::string cmd =
      "/usr/bin/python3 -c '" + script + "' '" + avsc_path + "' '" + body_path.string() + "' 2>&1";
  int status = -1;
  const std::string out = test::shell(cmd, &status);
  INFO("python3-avro: ", out);
  REQUIRE(status == 0);
  return out;
}

rapidjson::Document parse(const std::string& json) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseFullPrecisionFlag>(json.c_str());
  INFO(json);
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

// Encodes `json`, checks the wire header and returns the decoded record.
rapidjson::Document round_trip(const gw::AvroEncoder& enc, const std::string& avsc_path,
                               const std::string& json, std::int32_t id) {
  std::string out, error;
  const bool ok = enc.encode(json, id, out, error);
  INFO(error);
  REQUIRE(ok);
  REQUIRE(out.size() > 5);
  CHECK(out[0] == '\0');
  const auto u = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(out[i]));
  };
  CHECK(((u(1) << 24) | (u(2) << 16) | (u(3) << 8) | u(4)) == static_cast<std::uint32_t>(id));
  return parse(python_decode(avsc_path, std::string_view(out).substr(5)));
}

const gw::Device kDevice{"6f1c9a2e-0000-4000-8000-00000000002a",
                         "ABC",
                         47.3769,
                         8.5417,
                         "CH",
                         "Zürich",
                         "Zürich",
                         "Europe/Zurich",
                         "47.3769,8.5417"};

}  // namespace

TEST_CASE("avro: a sales record in the seed's StoreSale schema, wire format and body") {
  const auto enc = load("sales");
  CHECK(enc->full_name() == "com.acosom.StoreSale");
  const gw::RecordEncoder records("gw-01");
  const gw::Record r = records.sale(gw::SaleEvent{"ABC", 42, 1700000000123, "ev-1"});

  std::string out, error;
  REQUIRE(enc->encode(r.value, 0x01020304, out, error));
  // Header, then "ABC" (zigzag length 3 = 0x06) and the int 42 (zigzag 84 = 0x54).
  CHECK(out.substr(0, 10) == std::string("\x00\x01\x02\x03\x04\x06"
                                         "ABC\x54",
                                         10));

  const auto decoded = round_trip(*enc, schema_path("sales"), r.value, 7);
  REQUIRE(decoded.IsObject());
  CHECK(decoded.MemberCount() == 3);  // event_id and gateway_id are not in the seed's schema
  CHECK(std::string(decoded["store_id"].GetString()) == "ABC");
  CHECK(decoded["sale_amount"].GetInt() == 42);
  CHECK(decoded["sale_ts"].GetInt64() == 1700000000123);
}

TEST_CASE("avro: an events_geo record round-trips through python3-avro field by field") {
  const auto enc = load("events_geo");
  const gw::RecordEncoder records("gw-01");
  const gw::Record r = records.event_geo(
      gw::AccessEvent{std::string(kDevice.id), true, 1700000000123, "ev-2"}, kDevice);
  const auto decoded = round_trip(*enc, schema_path("events_geo"), r.value, 12345);
  const auto original = parse(r.value);
  CHECK(decoded == original);
  CHECK(std::string(decoded["deviceCity"].GetString()) == "Zürich");
  CHECK(std::string(decoded["eventNotificationName"].GetString()) == "accessRejected");
  CHECK(std::string(decoded["eventTimestamp"].GetString()) == "2023-11-14T22:13:20.123Z");
  CHECK(std::string(decoded["event_id"].GetString()) == "ev-2");
  CHECK(std::string(decoded["gateway_id"].GetString()) == "gw-01");
}

TEST_CASE("avro: every stream's schema takes the gateway's record exactly") {
  const gw::RecordEncoder records("gw-01");
  const gw::AccessEvent event{std::string(kDevice.id), false, 1700000000123, "ev-3"};
  gw::Alert alert;
  alert.window_start = 1700000000000;
  alert.window_end = 1700000060000;
  alert.total_count_per_deviceid = 17;
  alert.device = kDevice;
  alert.avg_error_count = 2.0 / 3.0;
  alert.std_error_count = 0.1;
  const std::pair<std::string, gw::Record> cases[] = {
      {"devices", records.device(kDevice)},
      {"events", records.event(event)},
      {"events_geo", records.event_geo(event, kDevice)},
      {"sales_aggregate", records.sales_aggregate(gw::SalesAggregate{
                              "ABC", 1700000000000, 1700000060000, 123456789012, 40})},
      {"alerts", records.alert(alert)},
  };
  for (const auto& [stream, record] : cases) {
    CAPTURE(stream);
    const auto enc = load(stream);
    CHECK(enc->full_name().rfind("io.iotgateway.", 0) == 0);
    const auto decoded = round_trip(*enc, schema_path(stream), record.value, 3);
    CHECK(decoded == parse(record.value));
  }
}

TEST_CASE("avro: one encoder encodes many records, each as a fresh encoder would") {
  const auto enc = load("devices");
  const auto fresh = load("devices");
  const gw::RecordEncoder records("gw-01");
  gw::Device other = kDevice;
  other.city = "Basel";
  other.id = "x";
  std::string a, b, error;
  REQUIRE(enc->encode(records.device(kDevice).value, 1, a, error));
  REQUIRE(enc->encode(records.device(other).value, 1, a, error));
  REQUIRE(fresh->encode(records.device(other).value, 1, b, error));
  CHECK(a == b);
}

TEST_CASE("avro: the schema to register is the file's JSON, compact, with docs and properties") {
  const auto enc = load("sales");
  const std::string& schema = enc->canonical_schema();
  CHECK(schema.find('\n') == std::string::npos);
  CHECK(schema.find("\"avro.java.string\":\"String\"") != std::string::npos);
  CHECK(schema.find("\"doc\":\"Epoch timestamp when the sale happened.\"") != std::string::npos);
  CHECK(parse(schema) == parse(read_file(schema_path("sales"))));
}

TEST_CASE("avro: a missing field, a wrong type or an out-of-range int is an error naming it") {
  const auto sales = load("sales");
  std::string out, error;
  CHECK_FALSE(sales->encode(R"({"store_id":"ABC","sale_amount":1})", 1, out, error));
  CHECK(error == "field 'sale_ts': missing");
  CHECK_FALSE(sales->encode(R"({"store_id":"ABC","sale_amount":"1","sale_ts":5})", 1, out, error));
  CHECK(error == "field 'sale_amount': expected int, got string");
  CHECK_FALSE(
      sales->encode(R"({"store_id":"ABC","sale_amount":3000000000,"sale_ts":5})", 1, out, error));
  CHECK(error.find("out of range for int") != std::string::npos);
  CHECK_FALSE(sales->encode(R"({"store_id":"ABC","sale_amount":1.5,"sale_ts":5})", 1, out, error));
  CHECK(error == "field 'sale_amount': expected int, got number");
  CHECK_FALSE(sales->encode(R"({"store_id":null,"sale_amount":1,"sale_ts":5})", 1, out, error));
  CHECK(error == "field 'store_id': expected string, got null");
  CHECK_FALSE(sales->encode(R"([1,2])", 1, out, error));
  CHECK(error == "record: expected record, got array");
  CHECK_FALSE(sales->encode(R"({"store_id":"ABC")", 1, out, error));
  CHECK(error.find("not valid JSON") != std::string::npos);

  const auto devices = load("devices");
  const std::string bad_city =
      R"({"deviceId":"d","store_id":"s","gateway_id":"g","payload":{"location":)"
      R"({"countryCode":"CH","region":"ZH","city":7,"loc":"1,2","timezone":"UTC"}}})";
  CHECK_FALSE(devices->encode(bad_city, 1, out, error));
  CHECK(error == "field 'payload.location.city': expected string, got integer");
  CHECK_FALSE(
      devices->encode(R"({"deviceId":"d","store_id":"s","gateway_id":"g"})", 1, out, error));
  CHECK(error == "field 'payload': missing");

  // The encoder is still usable after errors.
  CHECK(sales->encode(R"({"store_id":"ABC","sale_amount":1,"sale_ts":5})", 1, out, error));
}

TEST_CASE("avro: a schema that is not JSON or not Avro is refused") {
  std::string error;
  CHECK(gw::AvroEncoder::create("{not json", error) == nullptr);
  CHECK(error.find("not valid JSON") != std::string::npos);
  error.clear();
  CHECK(gw::AvroEncoder::create(
            R"({"type":"record","name":"X","fields":[{"name":"a","type":"nope"}]})", error) ==
        nullptr);
  CHECK(error.find("invalid Avro schema") != std::string::npos);
  error.clear();
  CHECK(gw::AvroEncoder::create(R"({"type":"frobnicate"})", error) == nullptr);
  CHECK(error.find("invalid Avro schema") != std::string::npos);
}

TEST_CASE("avro: optional fields, unions, enums, arrays and maps") {
  const std::string schema = R"({"type":"record","name":"Mixed","namespace":"t","fields":[
    {"name":"opt","type":["null","string"]},
    {"name":"num","type":["null","long","double"]},
    {"name":"flag","type":"boolean"},
    {"name":"kind","type":{"type":"enum","name":"Kind","symbols":["A","B"]}},
    {"name":"tags","type":{"type":"array","items":"string"}},
    {"name":"counts","type":{"type":"map","values":"int"}},
    {"name":"ratio","type":"float"}]})";
  std::string error;
  const auto enc = gw::AvroEncoder::create(schema, error);
  REQUIRE(enc != nullptr);
  const fs::path avsc = temp_dir() / "mixed.avsc";
  std::ofstream(avsc) << schema;

  const auto a = round_trip(*enc, avsc.string(),
                            R"({"num":2.5,"flag":true,"kind":"B","tags":["x","y"],)"
                            R"("counts":{"k":3},"ratio":0.5,"extra":"ignored"})",
                            1);
  CHECK(a["opt"].IsNull());
  CHECK(a["num"].GetDouble() == 2.5);
  CHECK(a["flag"].GetBool());
  CHECK(std::string(a["kind"].GetString()) == "B");
  CHECK(a["tags"].Size() == 2);
  CHECK(a["counts"]["k"].GetInt() == 3);
  CHECK(a["ratio"].GetDouble() == 0.5);

  const auto b = round_trip(*enc, avsc.string(),
                            R"({"opt":"here","num":9007199254740993,"flag":false,"kind":"A",)"
                            R"("tags":[],"counts":{},"ratio":1})",
                            1);
  CHECK(std::string(b["opt"].GetString()) == "here");
  CHECK(b["num"].GetInt64() == 9007199254740993);  // the long branch, not the double

  std::string out;
  CHECK_FALSE(
      enc->encode(R"({"flag":true,"kind":"C","tags":[],"counts":{},"ratio":1})", 1, out, error));
  CHECK(error == "field 'kind': 'C' is not a symbol of the enum");
  CHECK_FALSE(enc->encode(R"({"num":"x","flag":true,"kind":"A","tags":[],"counts":{},"ratio":1})",
                          1, out, error));
  CHECK(error == "field 'num': expected one of [null, long, double], got string");
  CHECK_FALSE(
      enc->encode(R"({"flag":true,"kind":"A","tags":[1],"counts":{},"ratio":1})", 1, out, error));
  CHECK(error == "field 'tags[0]': expected string, got integer");
}
