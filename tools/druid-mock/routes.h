// The HTTP face of druid-mock: Druid's endpoints (basic auth when configured, injected delays)
// and the /mock/* control endpoints, as one gw::Handler.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "druid_state.h"
#include "http/server.h"

namespace druid_mock {

struct MockOptions {
  std::optional<std::string> user;  // set: Druid endpoints need this basic auth
  std::string password;
  std::size_t max_payload = 62'914'560;  // druid.indexer.queue.maxTaskPayloadSize
  bool verbose = false;                  // log every request to stderr
};

// The handler for gw::HttpServer; `state` and `options` must outlive the server.
gw::Handler make_handler(DruidState& state, const MockOptions& options);

}  // namespace druid_mock
