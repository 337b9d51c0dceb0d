#include "druid_state.h"

#include <algorithm>
#include <set>
#include <utility>

#include "core/time.h"
#include "json_util.h"

namespace druid_mock {
namespace {

gw::HttpReply not_found(const std::string& message) {
  return json_reply(404, "{\"error\":" + json_string(message) + "}");
}

gw::HttpReply no_task(const std::string& id) {
  return not_found("Cannot find any task with id: [" + id + "]");
}

gw::HttpReply no_supervisor(const std::string& id) {
  return not_found("[" + id + "] does not exist");
}

// A 200 reply of the JSON that `write(JsonWriter&)` writes.
template <typename Write>
gw::HttpReply json_ok(const Write& write) {
  return json_reply(200, written_json(write));
}

std::string reason_phrase(int status) {
  switch (status) {
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Injected error";
  }
}

void write_optional(JsonWriter& w, const std::optional<std::string>& text) {
  if (text)
    write_string(w, *text);
  else
    w.Null();
}

std::string task_reply(const std::string& id) {
  return "{\"task\":" + json_string(id) + "}";
}

}  // namespace

gw::HttpReply json_reply(int status, std::string body) {
  gw::HttpReply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

gw::HttpReply injected_reply(int status) {
  if (status == 400) return json_reply(400, invalid_input("injected"));
  return json_reply(status, legacy_error(reason_phrase(status), "injected"));
}

void DruidState::count_submission() {
  std::lock_guard lock(mutex_);
  ++submissions_;
}

void DruidState::count_status_request() {
  std::lock_guard lock(mutex_);
  ++status_requests_;
}

void DruidState::count_unauthorized() {
  std::lock_guard lock(mutex_);
  ++unauthorized_;
}

std::optional<int> DruidState::take_delay() {
  std::lock_guard lock(mutex_);
  return take(injections_.delay_ms);
}

std::optional<int> DruidState::take_submit_status() {
  std::lock_guard lock(mutex_);
  return take(injections_.submit_status);
}

DruidState::Task* DruidState::find_task(const std::string& id) {
  const auto it = task_index_.find(id);
  return it == task_index_.end() ? nullptr : &tasks_[it->second];
}

std::string DruidState::generate_task_id(const std::string& datasource) {
  for (;;) {
    std::string id = "index_parallel_" + datasource + "_" + std::to_string(++generated_ids_);
    if (task_index_.count(id) == 0) return id;
  }
}

gw::HttpReply DruidState::create_task(TaskSpec spec, std::string task_json) {
  TaskRows rows = read_rows(spec);
  std::lock_guard lock(mutex_);
  std::string id = spec.id.empty() ? generate_task_id(spec.datasource) : spec.id;
  if (task_index_.count(id) != 0)
    return json_reply(400, druid_exception("entryAlreadyExists", "INVALID_INPUT",
                                           "Task[" + id + "] already exists"));
  Task task;
  task.id = id;
  task.datasource = spec.datasource;
  task.json = std::move(task_json);
  task.append = spec.append;
  task.granularity = spec.granularity;
  task.final_error = rows.error;
  task.final_status = rows.error ? "FAILED" : "SUCCESS";
  task.rows = std::move(rows);
  if (take(injections_.task_result)) {
    task.final_status = "FAILED";
    task.final_error = "injected failure";
  }
  if (const auto n = take(injections_.thrown_away)) {  // Druid filters the last rows out
    const auto drop = std::min<std::size_t>(static_cast<std::size_t>(*n), task.rows.rows.size());
    task.rows.rows.resize(task.rows.rows.size() - drop);
    task.rows.thrown_away = static_cast<long>(drop);
  }
  task.created_millis = clock_.now();
  task.created_at = std::chrono::steady_clock::now();
  task_index_.emplace(id, tasks_.size());
  tasks_.push_back(std::move(task));
  if (const auto status = take(injections_.accept_then_status)) {
    if (*status < 300) return json_reply(*status, task_reply(id));
    return injected_reply(*status);
  }
  return json_reply(200, task_reply(id));
}

gw::HttpReply DruidState::task_payload(const std::string& id) {
  std::lock_guard lock(mutex_);
  const Task* task = find_task(id);
  if (task == nullptr) return no_task(id);
  return json_reply(200, "{\"task\":" + json_string(id) + ",\"payload\":" + task->json + "}");
}

void DruidState::finish(Task& task, const std::string& status,
                        const std::optional<std::string>& error) {
  if (task.status != "RUNNING") return;
  task.status = status;
  task.error = error;
  task.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - task.created_at)
                         .count();
  if (status == "SUCCESS") commit_rows(task);
}

void DruidState::commit_rows(const Task& task) {
  auto& rows = datasources_[task.datasource];
  if (!task.append && !task.rows.rows.empty()) {
    // Overwrite: the new segments overshadow every row in the time chunks they cover.
    std::set<std::int64_t> chunks;
    for (const Row& r : task.rows.rows) chunks.insert(task.granularity.chunk_start(r.millis));
    std::erase_if(rows, [&](const Row& r) {
      return chunks.count(task.granularity.chunk_start(r.millis)) != 0;
    });
  }
  rows.insert(rows.end(), task.rows.rows.begin(), task.rows.rows.end());
}

gw::HttpReply DruidState::task_status(const std::string& id) {
  std::lock_guard lock(mutex_);
  if (const auto status = take(injections_.status_status)) return injected_reply(*status);
  Task* task = find_task(id);
  if (task == nullptr) return no_task(id);
  if (task->status == "RUNNING" && ++task->polls > running_polls_)
    finish(*task, task->final_status, task->final_error);
  const bool running = task->status == "RUNNING";
  return json_ok([&](JsonWriter& w) {
    const std::string created = gw::format_iso8601(task->created_millis);
    w.StartObject();
    w.Key("task");
    write_string(w, id);
    w.Key("status");
    w.StartObject();
    write_strings(w, {{"id", id},
                      {"type", "index_parallel"},
                      {"createdTime", created},
                      {"queueInsertionTime", created},
                      {"statusCode", task->status},
                      {"status", task->status},
                      {"runnerStatusCode", running ? "RUNNING" : "NONE"}});
    w.Key("duration");
    w.Int64(task->duration_ms);
    w.Key("location");
    w.StartObject();
    w.Key("host");
    w.Null();
    write_numbers(w, {{"port", -1}, {"tlsPort", -1}});
    w.EndObject();
    w.Key("dataSource");
    write_string(w, task->datasource);
    w.Key("errorMsg");
    write_optional(w, task->error);
    w.EndObject();
    w.EndObject();
  });
}

gw::HttpReply DruidState::task_reports(const std::string& id) {
  std::lock_guard lock(mutex_);
  const Task* task = find_task(id);
  if (task == nullptr) return no_task(id);
  return json_ok([&](JsonWriter& w) {
    w.StartObject();
    w.Key("ingestionStatsAndErrors");
    w.StartObject();
    w.Key("type");
    w.String("ingestionStatsAndErrors");
    w.Key("taskId");
    write_string(w, id);
    w.Key("payload");
    w.StartObject();
    w.Key("ingestionState");
    w.String(task->status == "RUNNING" ? "BUILD_SEGMENTS" : "COMPLETED");
    w.Key("unparseableEvents");
    w.StartObject();
    w.EndObject();
    w.Key("rowStats");
    w.StartObject();
    w.Key("buildSegments");
    w.StartObject();
    write_numbers(w, {{"processed", static_cast<std::int64_t>(task->rows.rows.size())},
                      {"processedWithError", 0},
                      {"thrownAway", task->rows.thrown_away},
                      {"unparseable", task->rows.unparseable}});
    w.EndObject();
    w.EndObject();
    w.Key("errorMsg");
    write_optional(w, task->error);
    w.EndObject();
    w.EndObject();
    w.EndObject();
  });
}

gw::HttpReply DruidState::shutdown_task(const std::string& id) {
  std::lock_guard lock(mutex_);
  Task* task = find_task(id);
  if (task == nullptr) return no_task(id);
  finish(*task, "FAILED", std::string("Shutdown request from user"));
  return json_reply(200, task_reply(id));
}

gw::HttpReply DruidState::post_supervisor(const SupervisorSpec& spec, rapidjson::Document body,
                                          bool skip_restart_if_unmodified) {
  std::lock_guard lock(mutex_);
  auto [it, added] = supervisors_.try_emplace(spec.id);
  Supervisor& s = it->second;
  ++s.posts;
  const bool unchanged = !added && skip_restart_if_unmodified && s.spec == body;
  if (!unchanged) {
    s.spec = std::move(body);
    s.datasource = spec.datasource;
    s.topic = spec.topic;
    ++s.restarts;
    s.started_millis = clock_.now();
  }
  return json_reply(200, "{\"id\":" + json_string(spec.id) + "}");
}

gw::HttpReply DruidState::supervisor_ids() {
  std::lock_guard lock(mutex_);
  return json_ok([&](JsonWriter& w) {
    w.StartArray();
    for (const auto& [id, s] : supervisors_) write_string(w, id);
    w.EndArray();
  });
}

gw::HttpReply DruidState::supervisor_spec(const std::string& id) {
  std::lock_guard lock(mutex_);
  const auto it = supervisors_.find(id);
  if (it == supervisors_.end()) return no_supervisor(id);
  return json_reply(200, to_json(it->second.spec));
}

gw::HttpReply DruidState::supervisor_status(const std::string& id) {
  std::lock_guard lock(mutex_);
  const auto it = supervisors_.find(id);
  if (it == supervisors_.end()) return no_supervisor(id);
  const Supervisor& s = it->second;
  return json_ok([&](JsonWriter& w) {
    w.StartObject();
    write_strings(w, {{"id", id}, {"generationTime", gw::format_iso8601(clock_.now())}});
    w.Key("payload");
    w.StartObject();
    write_strings(w, {{"dataSource", s.datasource}, {"stream", s.topic}});
    w.Key("suspended");
    w.Bool(false);
    w.Key("state");
    w.String("RUNNING");
    w.Key("detailedState");
    w.String("RUNNING");
    w.Key("healthy");
    w.Bool(true);
    w.Key("aggregateLag");
    w.Int(0);
    w.Key("recentErrors");
    w.StartArray();
    w.EndArray();
    w.EndObject();
    w.EndObject();
  });
}

gw::HttpReply DruidState::terminate_supervisor(const std::string& id) {
  std::lock_guard lock(mutex_);
  if (supervisors_.erase(id) == 0) return no_supervisor(id);
  return json_reply(200, "{\"id\":" + json_string(id) + "}");
}

gw::HttpReply DruidState::inject(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  std::string error = "the body is not JSON";
  std::lock_guard lock(mutex_);
  if (doc.HasParseError() || !injections_.add(doc, error))
    return json_reply(400, "{\"error\":" + json_string(error) + "}");
  return json_reply(200, "{}");
}

gw::HttpReply DruidState::tasks_json() {
  std::lock_guard lock(mutex_);
  return json_ok([&](JsonWriter& w) {
    w.StartArray();
    for (const Task& t : tasks_) {
      w.StartObject();
      write_strings(w, {{"id", t.id}, {"dataSource", t.datasource}, {"status", t.status}});
      w.Key("errorMsg");
      write_optional(w, t.error);
      write_numbers(w, {{"rows", static_cast<std::int64_t>(t.rows.rows.size())},
                        {"unparseable", t.rows.unparseable}});
      w.Key("append_to_existing");
      w.Bool(t.append);
      w.Key("spec");
      w.RawValue(t.json.data(), t.json.size(), rapidjson::kObjectType);
      w.EndObject();
    }
    w.EndArray();
  });
}

gw::HttpReply DruidState::rows_ndjson(const std::string& datasource) {
  std::lock_guard lock(mutex_);
  gw::HttpReply reply;
  reply.content_type = "application/x-ndjson";
  const auto it = datasources_.find(datasource);
  if (it == datasources_.end()) return reply;
  for (const Row& r : it->second) {
    reply.body += r.line;
    reply.body += '\n';
  }
  return reply;
}

gw::HttpReply DruidState::supervisors_json() {
  std::lock_guard lock(mutex_);
  return json_ok([&](JsonWriter& w) {
    w.StartObject();
    for (const auto& [id, s] : supervisors_) {
      write_string(w, id);
      w.StartObject();
      write_numbers(w, {{"restarts", s.restarts}, {"posts", s.posts}});
      w.Key("spec");
      s.spec.Accept(w);
      w.EndObject();
    }
    w.EndObject();
  });
}

gw::HttpReply DruidState::stats_json() {
  std::lock_guard lock(mutex_);
  return json_ok([&](JsonWriter& w) {
    w.StartObject();
    write_numbers(w, {{"submissions", submissions_},
                      {"status_requests", status_requests_},
                      {"unauthorized", unauthorized_}});
    w.EndObject();
  });
}

gw::HttpReply DruidState::reset() {
  std::lock_guard lock(mutex_);
  tasks_.clear();
  task_index_.clear();
  datasources_.clear();
  supervisors_.clear();
  injections_ = Injections();
  generated_ids_ = 0;
  submissions_ = 0;
  status_requests_ = 0;
  unauthorized_ = 0;
  return json_reply(200, "{}");
}

gw::HttpReply DruidState::finish_tasks() {
  std::lock_guard lock(mutex_);
  for (Task& t : tasks_) finish(t, t.final_status, t.final_error);
  return json_reply(200, "{}");
}

}  // namespace druid_mock
