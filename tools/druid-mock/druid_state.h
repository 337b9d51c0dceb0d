// The mock Druid's state: tasks, datasources, supervisors, injected failures and counters, all
// behind one mutex. Each Druid call is answered as gw::HttpReply (JSON bodies shaped as Druid's).
#pragma once

#include <rapidjson/document.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "http/server.h"
#include "injections.h"
#include "supervisor_validation.h"
#include "task_rows.h"
#include "task_validation.h"

namespace druid_mock {

// A reply of `status` with the JSON `body`.
gw::HttpReply json_reply(int status, std::string body);

// The answer of an injected failure: 400 in Druid's invalidInput shape, other statuses as
// {"error":"<reason>","errorMessage":"injected",…}.
gw::HttpReply injected_reply(int status);

class DruidState {
 public:
  // Tasks answer RUNNING to their first `running_polls` status requests.
  explicit DruidState(int running_polls) : running_polls_(running_polls) {}

  // Counters and injections consumed before a request is served.
  void count_submission();
  void count_status_request();
  void count_unauthorized();
  std::optional<int> take_delay();
  std::optional<int> take_submit_status();

  // POST /druid/indexer/v1/task with a valid spec; `task_json` is the task as posted.
  gw::HttpReply create_task(TaskSpec spec, std::string task_json);
  gw::HttpReply task_payload(const std::string& id);
  gw::HttpReply task_status(const std::string& id);
  gw::HttpReply task_reports(const std::string& id);
  gw::HttpReply shutdown_task(const std::string& id);

  // POST /druid/indexer/v1/supervisor with a valid spec.
  gw::HttpReply post_supervisor(const SupervisorSpec& spec, rapidjson::Document body,
                                bool skip_restart_if_unmodified);
  gw::HttpReply supervisor_ids();
  gw::HttpReply supervisor_spec(const std::string& id);
  gw::HttpReply supervisor_status(const std::string& id);
  gw::HttpReply terminate_supervisor(const std::string& id);

  // Control endpoints (/mock/*).
  gw::HttpReply inject(const std::string& body);
  gw::HttpReply tasks_json();
  gw::HttpReply rows_ndjson(const std::string& datasource);
  gw::HttpReply supervisors_json();
  gw::HttpReply stats_json();
  gw::HttpReply reset();
  gw::HttpReply finish_tasks();  // every RUNNING task reaches its final status now

 private:
  struct Task {
    std::string id;
    std::string datasource;
    std::string json;  // as posted
    bool append = false;
    Granularity granularity = Granularity::day();
    TaskRows rows;
    std::string final_status;  // SUCCESS or FAILED, decided at creation
    std::optional<std::string> final_error;
    std::string status = "RUNNING";
    std::optional<std::string> error;
    std::int64_t created_millis = 0;
    std::chrono::steady_clock::time_point created_at;
    int polls = 0;
    std::int64_t duration_ms = -1;
  };
  struct Supervisor {
    rapidjson::Document spec;  // as posted
    std::string datasource;
    std::string topic;
    long restarts = 0;
    long posts = 0;
    std::int64_t started_millis = 0;
  };

  Task* find_task(const std::string& id);
  // Ends a RUNNING task with `status`; a SUCCESS commits its rows to the datasource.
  void finish(Task& task, const std::string& status, const std::optional<std::string>& error);
  void commit_rows(const Task& task);
  std::string generate_task_id(const std::string& datasource);

  const int running_polls_;
  gw::SystemClock clock_;
  std::mutex mutex_;
  std::vector<Task> tasks_;  // in creation order
  std::map<std::string, std::size_t> task_index_;
  std::map<std::string, std::vector<Row>> datasources_;
  std::map<std::string, Supervisor> supervisors_;
  Injections injections_;
  long generated_ids_ = 0;
  long submissions_ = 0;
  long status_requests_ = 0;
  long unauthorized_ = 0;
};

}  // namespace druid_mock
