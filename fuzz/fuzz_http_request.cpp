// HTTP requests as the local endpoint parses them (Beast's parser with the server's limits, then
// the handler's view: percent-decoded path, query, header map), each request then answered by
// the gateway's API handler with a small real context (an empty buffer in a temporary folder,
// an empty status board, no sinks, http.token set): routing, query parsing, the token check and
// the events endpoint's error paths. POST /api/v1/events never waits: the ingest queue is
// closed, so events that parse are answered 503 at once.
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "app/http_api.h"
#include "fuzz_input.h"
#include "http/request_parser.h"

namespace {

gw::Options fuzz_options(const std::string& data_dir) {
  gw::Options o;
  o.gateway.id = "fuzz-gw";
  o.gateway.data_dir = data_dir;
  o.http.token = "fuzz-token";  // required for POST (the endpoint listens on loopback)
  return o;
}

std::string make_temp_dir() {
  char dir[] = "/tmp/iot-gateway-fuzz-http-XXXXXX";
  if (!mkdtemp(dir)) __builtin_trap();
  return dir;
}

struct Context {
  Context() {
    gw::Device device;
    device.id = "0b7c4f3e-9a1d-4c55-8f2a-6d3e1b2c4a5f";
    device.store_id = "ABC";
    device.lat = 47.37;
    device.lon = 8.52;
    device.loc = "47.37,8.52";
    device.city = "Zürich";
    registry.add(device);
    ingest.close();
  }
  ~Context() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }

  const std::string dir = make_temp_dir();
  const gw::Options initial = fuzz_options(dir);
  gw::LiveOptions options{initial};
  gw::VirtualClock clock{1'767'225'600'000};
  gw::DeviceRegistry registry;
  gw::StatusBoard board;
  gw::Buffer buffer{initial.gateway, initial.buffer, std::vector<std::string>{}, clock};
  std::vector<std::unique_ptr<gw::SinkRunner>> runners;
  gw::IngestQueue ingest;
  gw::ApiContext api{options, registry, board, buffer, runners, clock, clock.now(), &ingest};
  gw::Handler handler = gw::make_api_handler(api);
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Context context;
  std::string error;
  auto request =
      gw::parse_http_request(fuzz::bytes(data, size), gw::HttpServerOptions{}.max_body, error);
  if (!request) {
    if (error.empty()) __builtin_trap();
    return 0;
  }
  if (request->method.empty() || request->target.empty() || request->path.empty()) __builtin_trap();
  request->remote = "127.0.0.1:40000";
  const gw::HttpReply reply = context.handler(*request);
  if (reply.status < 200 || reply.status > 599) __builtin_trap();
  return 0;
}
