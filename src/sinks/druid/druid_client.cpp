#include "sinks/druid/druid_client.h"

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

}  // namespace

std::string druid_error_text(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  if (!d.HasParseError() && d.IsObject()) {
    for (const char* key : {"errorMessage", "error", "message"}) {
      auto it = d.FindMember(key);
      if (it != d.MemberEnd() && it->value.IsString() && it->value.GetStringLength() > 0 &&
          std::string(it->value.GetString()) != "druidException")
        return it->value.GetString();
    }
  }
  return excerpt(body);
}

DruidClient::DruidClient(const DruidSinkOptions& options)
    : base_(options.url), timeout_ms_(static_cast<int>(options.request_timeout)) {
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
  headers_.emplace_back("Content-Type", "application/json");
  headers_.emplace_back("Accept", "application/json");
  if (options.username && options.password)
    headers_.emplace_back("Authorization", basic_auth_header(*options.username, *options.password));
}

HttpResponse DruidClient::call(const std::string& method, const std::string& path,
                               const std::string& body) const {
  return http_request(method, base_ + path, body, headers_, timeout_ms_);
}

DruidAnswer DruidClient::answer_of(const HttpResponse& r, const std::string& what) const {
  DruidAnswer a;
  if (!r.error.empty()) {
    a.message = what + ": no answer from Druid at " + base_ + ": " + r.error;
    return a;
  }
  a.reached = true;
  a.status = r.status;
  if (r.status >= 200 && r.status < 300) return a;
  a.message = what + ": Druid answered " + std::to_string(r.status);
  if (r.status == 401 || r.status == 403)
    a.message += " (check sinks.druid.username and password, and the user's permissions)";
  const std::string text = druid_error_text(r.body);
  if (!text.empty()) a.message += ": " + text;
  return a;
}

DruidAnswer DruidClient::submit_task(const std::string& task_json) const {
  return answer_of(call("POST", "/druid/indexer/v1/task", task_json), "submitting a task");
}

DruidTaskStatus DruidClient::task_status(const std::string& id) const {
  const HttpResponse r =
      call("GET", "/druid/indexer/v1/task/" + percent_encode(id) + "/status", "");
  DruidTaskStatus st;
  st.answer = answer_of(r, "status of task " + id);
  if (!st.answer.reached || r.status != 200) return st;
  rapidjson::Document d;
  d.Parse(r.body.data(), r.body.size());
  const rapidjson::Value* status = nullptr;
  if (!d.HasParseError() && d.IsObject()) {
    auto it = d.FindMember("status");
    if (it != d.MemberEnd() && it->value.IsObject()) status = &it->value;
  }
  if (!status) {
    st.answer.reached = true;
    st.answer.status = 502;  // an answer we cannot read counts as a server failure
    st.answer.message = "status of task " + id + ": unreadable answer: " + excerpt(r.body);
    return st;
  }
  auto text = [&](const char* key) -> std::string {
    auto it = status->FindMember(key);
    return it != status->MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
  };
  std::string code = text("status");
  if (code.empty()) code = text("statusCode");
  if (code == "SUCCESS")
    st.state = DruidTaskState::success;
  else if (code == "FAILED")
    st.state = DruidTaskState::failed;
  else
    st.state = DruidTaskState::running;  // RUNNING, or a state we do not know: not final
  st.error = text("errorMsg");
  return st;
}

DruidAnswer DruidClient::post_supervisor(const std::string& spec_json) const {
  return answer_of(
      call("POST", "/druid/indexer/v1/supervisor?skipRestartIfUnmodified=true", spec_json),
      "posting a supervisor");
}

}  // namespace gw
