// Test helper: tools/druid-mock as a child process. Needs DRUID_MOCK_BIN.
#pragma once

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "http/http_client.h"
#include "mock_process.h"

namespace {

// A druid-mock process for the lifetime of the object (started with --listen 127.0.0.1:0 and
// `args`, e.g. {"--running-polls", "0"} or {"--user", "u", "--password", "p"}); terminate(),
// close_stdin() and wait_exit() are test::MockProcess's.
class MockDruid : public test::MockProcess {
 public:
  explicit MockDruid(const std::vector<std::string>& args = {})
      : MockProcess(DRUID_MOCK_BIN, test::listen_args("127.0.0.1:0", args), "druid-mock") {}

  std::string url() const { return "http://" + address(); }

  // One request to the mock; `path` starts with '/'.
  gw::HttpResponse request(const std::string& method, const std::string& path,
                           const std::string& body = "", const gw::HttpHeaders& headers = {},
                           int timeout_ms = 10000) const {
    return gw::http_request(method, url() + path, body, headers, timeout_ms);
  }
  // A POST with Content-Type: application/json (plus `headers`).
  gw::HttpResponse post_json(const std::string& path, const std::string& body,
                             gw::HttpHeaders headers = {}, int timeout_ms = 10000) const {
    headers.emplace_back("Content-Type", "application/json");
    return request("POST", path, body, headers, timeout_ms);
  }

  // POST /mock/inject, e.g. {"submit_status":503,"count":2}.
  void inject(const std::string& json) const { control("POST", "/mock/inject", json); }
  // GET /mock/tasks: one object per created task, in creation order.
  std::string tasks_json() const { return control("GET", "/mock/tasks"); }
  rapidjson::Document tasks() const { return parse(tasks_json()); }
  // GET /mock/rows/{datasource}: the datasource's rows, each the original inline line.
  std::vector<std::string> rows(const std::string& datasource) const {
    const std::string body = control("GET", "/mock/rows/" + datasource);
    std::vector<std::string> lines;
    std::size_t pos = 0;
    while (pos < body.size()) {
      const std::size_t nl = body.find('\n', pos);
      const std::size_t end = nl == std::string::npos ? body.size() : nl;
      lines.push_back(body.substr(pos, end - pos));
      pos = end + 1;
    }
    return lines;
  }
  // GET /mock/supervisors: {"<id>":{"restarts":N,"posts":M,"spec":…}}.
  rapidjson::Document supervisors() const { return parse(control("GET", "/mock/supervisors")); }
  // GET /mock/stats: {"submissions":N,"status_requests":M,"unauthorized":K}.
  rapidjson::Document stats() const { return parse(control("GET", "/mock/stats")); }
  void reset() const { control("POST", "/mock/reset"); }
  // Every running task reaches its final status now.
  void complete_tasks() const { control("POST", "/mock/complete"); }

  static rapidjson::Document parse(const std::string& json) {
    rapidjson::Document doc;
    doc.Parse(json.data(), json.size());
    INFO("JSON: ", json);
    REQUIRE_FALSE(doc.HasParseError());
    return doc;
  }

 private:
  std::string control(const std::string& method, const std::string& path,
                      const std::string& body = "") const {
    const gw::HttpResponse r = request(method, path, body);
    INFO(method, " ", path, ": ", r.error, r.body);
    REQUIRE(r.status == 200);
    return r.body;
  }
};

}  // namespace
