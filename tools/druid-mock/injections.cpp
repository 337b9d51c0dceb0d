#include "injections.h"

#include <string_view>

namespace druid_mock {
namespace {

// body[name] as an integer within [low, high], if present; false and `error` when not.
bool read_int(const rapidjson::Value& body, const char* name, long low, long high,
              std::optional<long>& out, std::string& error) {
  const auto it = body.FindMember(name);
  if (it == body.MemberEnd()) return true;
  if (!it->value.IsInt64() || it->value.GetInt64() < low || it->value.GetInt64() > high) {
    error = std::string(name) + " must be an integer in [" + std::to_string(low) + ", " +
            std::to_string(high) + "]";
    return false;
  }
  out = static_cast<long>(it->value.GetInt64());
  return true;
}

}  // namespace

bool Injections::add(const rapidjson::Value& body, std::string& error) {
  if (!body.IsObject()) {
    error = "the body must be a JSON object";
    return false;
  }
  static constexpr std::string_view kKeys[] = {"submit_status", "accept_then_status", "task_result",
                                               "status_status", "delay_ms",           "thrown_away",
                                               "count"};
  for (const auto& m : body.GetObject()) {
    const std::string_view key(m.name.GetString(), m.name.GetStringLength());
    bool known = false;
    for (const auto k : kKeys) known = known || k == key;
    if (!known) {
      error = "unknown key [" + std::string(key) + "]";
      return false;
    }
  }
  std::optional<long> count, submit, accept, status, delay, thrown;
  if (!read_int(body, "count", 1, 1'000'000, count, error) ||
      !read_int(body, "submit_status", 400, 599, submit, error) ||
      !read_int(body, "accept_then_status", 200, 599, accept, error) ||
      !read_int(body, "status_status", 400, 599, status, error) ||
      !read_int(body, "delay_ms", 0, 600'000, delay, error) ||
      !read_int(body, "thrown_away", 1, 1'000'000, thrown, error))
    return false;
  std::optional<std::string> result;
  if (const auto it = body.FindMember("task_result"); it != body.MemberEnd()) {
    if (!it->value.IsString() || std::string_view(it->value.GetString()) != "FAILED") {
      error = "task_result must be \"FAILED\"";
      return false;
    }
    result = "FAILED";
  }
  if (!submit && !accept && !status && !delay && !result && !thrown) {
    error = "nothing to inject";
    return false;
  }
  const long n = count.value_or(1);
  if (submit) submit_status.push_back({static_cast<int>(*submit), n});
  if (accept) accept_then_status.push_back({static_cast<int>(*accept), n});
  if (status) status_status.push_back({static_cast<int>(*status), n});
  if (delay) delay_ms.push_back({static_cast<int>(*delay), n});
  if (result) task_result.push_back({*result, n});
  if (thrown) thrown_away.push_back({static_cast<int>(*thrown), n});
  return true;
}

}  // namespace druid_mock
