#include "sinks/druid/druid_client.h"
#include "core/json.h"

#include <rapidjson/document.h>

namespace gw {
namespace {

std::string excerpt(const std::string& body) {
  constexpr std::size_t kMax = 300;
  std::string s = body.size() > kMax ? body.substr(0, kMax) + "…" : body;
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

using json::member;

// The string member `key` of `object`, or "" when it is missing or not a string.
std::string string_member(const rapidjson::Value& object, const char* key) {
  const rapidjson::Value* v = member(object, key);
  return v && v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : "";
}

}  // namespace

std::string druid_error_text(const std::string& body) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (!d.HasParseError() && d.IsObject()) {
    for (const char* key : {"errorMessage", "error", "message"}) {
      std::string text = string_member(d, key);
      if (!text.empty() && text != "druidException") return text;
    }
  }
  return excerpt(body);
}

DruidAnswer druid_answer(int http_status, const std::string& body, const std::string& what) {
  DruidAnswer a;
  a.reached = true;
  a.status = http_status;
  if (http_status >= 200 && http_status < 300) return a;
  a.message = what + ": Druid answered " + std::to_string(http_status);
  if (http_status == 401 || http_status == 403)
    a.message += " (check sinks.druid.username and password, and the user's permissions)";
  const std::string text = druid_error_text(body);
  if (!text.empty()) a.message += ": " + text;
  return a;
}

DruidTaskStatus parse_task_status(const std::string& id, int http_status, const std::string& body) {
  DruidTaskStatus st;
  st.answer = druid_answer(http_status, body, "status of task " + id);
  if (http_status != 200) return st;
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  const rapidjson::Value* status =
      !d.HasParseError() && d.IsObject() ? member(d, "status") : nullptr;
  if (!status || !status->IsObject()) {
    st.answer.status = 502;  // an answer we cannot read counts as a server failure
    st.answer.message = "status of task " + id + ": unreadable answer: " + excerpt(body);
    return st;
  }
  std::string code = string_member(*status, "status");
  if (code.empty()) code = string_member(*status, "statusCode");
  if (code == "SUCCESS")
    st.state = DruidTaskState::success;
  else if (code == "FAILED")
    st.state = DruidTaskState::failed;
  else
    st.state = DruidTaskState::running;  // RUNNING, or a state we do not know: not final
  st.error = string_member(*status, "errorMsg");
  return st;
}

std::optional<DruidRowStats> parse_task_row_stats(const std::string& body) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (d.HasParseError() || !d.IsObject()) return std::nullopt;
  const rapidjson::Value* v = member(d, "ingestionStatsAndErrors");
  for (const char* key : {"payload", "rowStats"})
    v = v && v->IsObject() ? member(*v, key) : nullptr;
  if (!v || !v->IsObject()) return std::nullopt;
  const rapidjson::Value* phase = member(*v, "buildSegments");
  if (!phase && v->MemberCount() == 1) phase = &v->MemberBegin()->value;
  if (!phase || !phase->IsObject()) return std::nullopt;
  auto count = [&](const char* key) {
    const rapidjson::Value* n = member(*phase, key);
    return n && n->IsInt64() && n->GetInt64() > 0 ? n->GetInt64() : 0;  // counts, never negative
  };
  return DruidRowStats{count("processed"), count("processedWithError"), count("thrownAway"),
                       count("unparseable")};
}

DruidClient::DruidClient(const DruidSinkOptions& options)
    : base_(options.url),
      timeout_ms_(static_cast<int>(options.request_timeout)),
      tls_{options.ca_file} {
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
  headers_.emplace_back("Content-Type", "application/json");
  headers_.emplace_back("Accept", "application/json");
  if (options.username && options.password)
    headers_.emplace_back("Authorization", basic_auth_header(*options.username, *options.password));
}

HttpResponse DruidClient::call(const std::string& method, const std::string& path,
                               const std::string& body) const {
  return http_request(method, base_ + path, body, headers_, timeout_ms_, tls_);
}

DruidAnswer DruidClient::answer_of(const HttpResponse& r, const std::string& what) const {
  if (r.error.empty()) return druid_answer(r.status, r.body, what);
  DruidAnswer a;
  a.message = what + ": no answer from Druid at " + base_ + ": " + r.error;
  return a;
}

DruidAnswer DruidClient::submit_task(const std::string& task_json) const {
  return answer_of(call("POST", "/druid/indexer/v1/task", task_json), "submitting a task");
}

DruidTaskStatus DruidClient::task_status(const std::string& id) const {
  const HttpResponse r =
      call("GET", "/druid/indexer/v1/task/" + percent_encode(id) + "/status", "");
  if (r.error.empty()) return parse_task_status(id, r.status, r.body);
  DruidTaskStatus st;
  st.answer = answer_of(r, "status of task " + id);
  return st;
}

std::optional<DruidRowStats> DruidClient::task_row_stats(const std::string& id) const {
  const HttpResponse r =
      call("GET", "/druid/indexer/v1/task/" + percent_encode(id) + "/reports", "");
  if (!r.error.empty() || r.status != 200) return std::nullopt;
  return parse_task_row_stats(r.body);
}

DruidAnswer DruidClient::post_supervisor(const std::string& spec_json) const {
  return answer_of(
      call("POST", "/druid/indexer/v1/supervisor?skipRestartIfUnmodified=true", spec_json),
      "posting a supervisor");
}

}  // namespace gw
