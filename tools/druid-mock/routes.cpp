#include "routes.h"

#include <rapidjson/error/en.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <initializer_list>
#include <iostream>
#include <memory>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "http/http_client.h"
#include "json_util.h"
#include "supervisor_validation.h"
#include "task_validation.h"

namespace druid_mock {
namespace {

using Segments = std::vector<std::string>;

Segments split_path(const std::string& path) {
  Segments out;
  std::size_t pos = 0;
  while (pos < path.size()) {
    const std::size_t slash = path.find('/', pos);
    const std::size_t end = slash == std::string::npos ? path.size() : slash;
    if (end > pos) out.push_back(path.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

// True if `seg` is the path `pattern`, in which "*" stands for any one segment.
bool matches(const Segments& seg, const std::string& pattern) {
  const Segments want = split_path(pattern);
  return seg.size() == want.size() &&
         std::equal(want.begin(), want.end(), seg.begin(),
                    [](const std::string& w, const std::string& s) { return w == "*" || w == s; });
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

gw::HttpReply not_found(const gw::HttpRequest& req) {
  return json_reply(404,
                    legacy_error("Not Found", "No resource at " + req.method + " " + req.path));
}

gw::HttpReply method_not_allowed(const gw::HttpRequest& req) {
  return json_reply(405, legacy_error("Method Not Allowed", "HTTP method " + req.method +
                                                                " is not allowed for " + req.path));
}

bool is_json(const gw::HttpRequest& req) {
  const auto it = req.headers.find("content-type");
  return it != req.headers.end() && lower(it->second).rfind("application/json", 0) == 0;
}

// The request body as JSON, or the answer Druid gives to a body it cannot use.
std::optional<gw::HttpReply> read_json(const gw::HttpRequest& req, rapidjson::Document& doc) {
  if (!is_json(req))
    return json_reply(
        415, legacy_error("Unsupported Media Type", "Content-Type must be application/json"));
  doc.Parse<rapidjson::kParseFullPrecisionFlag>(req.body.data(), req.body.size());
  if (doc.HasParseError())
    return json_reply(500, legacy_error("Unknown exception",
                                        std::string("Malformed JSON at offset ") +
                                            std::to_string(doc.GetErrorOffset()) + ": " +
                                            rapidjson::GetParseError_En(doc.GetParseError()),
                                        "com.fasterxml.jackson.core.JsonParseException"));
  return std::nullopt;
}

// Sends `r` after `delay_ms`: the status line and headers at once, the body (chunked) when the
// delay is over, from a stream thread of gw::HttpServer, so other requests are not held up.
gw::HttpReply delayed(gw::HttpReply r, int delay_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms);
  auto body = std::make_shared<std::string>(std::move(r.body));
  r.body.clear();
  r.stream = [deadline, body](std::string& chunk) {
    const auto now = std::chrono::steady_clock::now();
    if (now < deadline) {
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
          deadline - now, std::chrono::milliseconds(100)));
      return true;
    }
    chunk = std::move(*body);
    return false;
  };
  return r;
}

// An endpoint: its method, its path pattern (see matches()) and what answers it.
struct Route {
  std::string_view method;
  std::string_view path;
  std::function<gw::HttpReply()> serve;
};

// The answer of the route for the request's method and path (`base` + a route's path); 405 when
// only other methods have that path, 404 when no route has it.
gw::HttpReply dispatch(const gw::HttpRequest& req, const Segments& seg, const std::string& base,
                       std::initializer_list<Route> routes) {
  bool path_known = false;
  for (const Route& r : routes) {
    if (!matches(seg, base + std::string(r.path))) continue;
    if (req.method == r.method) return r.serve();
    path_known = true;
  }
  return path_known ? method_not_allowed(req) : not_found(req);
}

class Router {
 public:
  Router(DruidState& state, const MockOptions& options) : state_(state), options_(options) {
    if (options.user) authorization_ = gw::base64_encode(*options.user + ":" + options.password);
  }

  gw::HttpReply handle(const gw::HttpRequest& req) {
    gw::HttpReply r = route(req);
    if (options_.verbose)
      std::cerr << "druid-mock: " << req.method << ' ' << req.target << " -> " << r.status << ' '
                << r.body.substr(0, 300) << (r.stream ? " (delayed)" : "") << std::endl;
    return r;
  }

 private:
  gw::HttpReply route(const gw::HttpRequest& req) {
    const Segments seg = split_path(req.path);
    if (!seg.empty() && seg[0] == "mock") return control(req, seg);
    // Druid leaves /status/health out of authentication (its unsecured paths).
    if (matches(seg, "status/health"))
      return req.method == "GET" ? json_reply(200, "true") : method_not_allowed(req);

    if (matches(seg, "druid/indexer/v1/task") && req.method == "POST") state_.count_submission();
    if (matches(seg, "druid/indexer/v1/task/*/status") && req.method == "GET")
      state_.count_status_request();
    if (!authorized(req)) {
      state_.count_unauthorized();
      return json_reply(401, legacy_error("Unauthorized", "User authentication failed."));
    }
    std::optional<int> delay;
    if (!seg.empty() && seg[0] == "druid") delay = state_.take_delay();
    gw::HttpReply r = druid(req, seg);
    if (delay && *delay > 0) return delayed(std::move(r), *delay);
    return r;
  }

  bool authorized(const gw::HttpRequest& req) const {
    if (!authorization_) return true;
    const auto it = req.headers.find("authorization");
    if (it == req.headers.end()) return false;
    const std::string& value = it->second;
    const std::size_t space = value.find(' ');
    if (space == std::string::npos || lower(value.substr(0, space)) != "basic") return false;
    const std::size_t start = value.find_first_not_of(' ', space);
    return start != std::string::npos &&
           value.compare(start, std::string::npos, *authorization_) == 0;
  }

  // Druid's endpoints; seg[4] is the task or supervisor id.
  gw::HttpReply druid(const gw::HttpRequest& req, const Segments& seg) {
    return dispatch(
        req, seg, "druid/indexer/v1/",
        {
            {"POST", "task", [&] { return submit_task(req); }},
            {"GET", "task/*", [&] { return state_.task_payload(seg[4]); }},
            {"GET", "task/*/status", [&] { return state_.task_status(seg[4]); }},
            {"GET", "task/*/reports", [&] { return state_.task_reports(seg[4]); }},
            {"POST", "task/*/shutdown", [&] { return state_.shutdown_task(seg[4]); }},
            {"GET", "supervisor", [&] { return state_.supervisor_ids(); }},
            {"POST", "supervisor", [&] { return post_supervisor(req); }},
            {"GET", "supervisor/*", [&] { return state_.supervisor_spec(seg[4]); }},
            {"GET", "supervisor/*/status", [&] { return state_.supervisor_status(seg[4]); }},
            {"POST", "supervisor/*/terminate", [&] { return state_.terminate_supervisor(seg[4]); }},
        });
  }

  gw::HttpReply submit_task(const gw::HttpRequest& req) {
    if (const auto status = state_.take_submit_status()) return injected_reply(*status);
    if (!is_json(req))
      return json_reply(
          415, legacy_error("Unsupported Media Type", "Content-Type must be application/json"));
    if (req.body.size() > options_.max_payload)
      return json_reply(400, invalid_input("Task payload size[" + std::to_string(req.body.size()) +
                                           "] exceeds the maximum allowed payload size[" +
                                           std::to_string(options_.max_payload) +
                                           "] (druid.indexer.queue.maxTaskPayloadSize)"));
    rapidjson::Document doc;
    if (auto error = read_json(req, doc)) return *error;
    std::string message;
    auto spec = validate_task(doc, message);
    if (!spec) return json_reply(400, invalid_input(message));
    return state_.create_task(std::move(*spec), to_json(doc));
  }

  gw::HttpReply post_supervisor(const gw::HttpRequest& req) {
    rapidjson::Document doc;
    if (auto error = read_json(req, doc)) return *error;
    std::string message;
    const auto spec = validate_supervisor(doc, message);
    if (!spec) return json_reply(400, invalid_input(message));
    const auto skip = req.query.find("skipRestartIfUnmodified");
    const bool skip_if_unmodified = skip != req.query.end() && lower(skip->second) == "true";
    return state_.post_supervisor(*spec, std::move(doc), skip_if_unmodified);
  }

  // The /mock/* control endpoints.
  gw::HttpReply control(const gw::HttpRequest& req, const Segments& seg) {
    return dispatch(req, seg, "mock/",
                    {
                        {"GET", "rows/*", [&] { return state_.rows_ndjson(seg[2]); }},
                        {"POST", "inject", [&] { return state_.inject(req.body); }},
                        {"GET", "tasks", [&] { return state_.tasks_json(); }},
                        {"GET", "supervisors", [&] { return state_.supervisors_json(); }},
                        {"GET", "stats", [&] { return state_.stats_json(); }},
                        {"POST", "reset", [&] { return state_.reset(); }},
                        {"POST", "complete", [&] { return state_.finish_tasks(); }},
                    });
  }

  DruidState& state_;
  const MockOptions& options_;
  std::optional<std::string> authorization_;  // the expected base64(user:password)
};

}  // namespace

gw::Handler make_handler(DruidState& state, const MockOptions& options) {
  auto router = std::make_shared<Router>(state, options);
  return [router](const gw::HttpRequest& req) { return router->handle(req); };
}

}  // namespace druid_mock
