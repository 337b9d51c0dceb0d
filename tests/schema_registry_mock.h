// Test helper: tools/schema-registry-mock as a child process. Needs SCHEMA_REGISTRY_MOCK_BIN.
#pragma once

#include <string>
#include <vector>

#include "mock_process.h"

namespace {

// A schema-registry-mock process for the lifetime of the object; close_stdin() and wait_exit()
// are test::MockProcess's.
class MockRegistry : public test::MockProcess {
 public:
  explicit MockRegistry(const std::vector<std::string>& args = {},
                        const std::string& listen = "127.0.0.1:0")
      : MockProcess(SCHEMA_REGISTRY_MOCK_BIN, test::listen_args(listen, args)) {}

  // With {"--tls-cert", ..., "--tls-key", ...} among the arguments, use https_url().
  std::string url() const { return "http://" + address(); }
  std::string https_url() const { return "https://" + address(); }
};

}  // namespace
