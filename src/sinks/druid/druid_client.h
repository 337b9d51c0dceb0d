// The few Druid Overlord calls the gateway makes, through the router: submit a task, read its
// status, post a supervisor. Basic auth when configured; the password is only ever put in the
// Authorization header, never in a message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "config/options.h"
#include "http/http_client.h"

namespace gw {

enum class DruidTaskState { unknown, running, success, failed };

struct DruidAnswer {
  bool reached = false;  // a response was read (any status)
  int status = 0;
  std::string message;  // for failures: what went wrong, with Druid's own error text
};

struct DruidTaskStatus {
  DruidAnswer answer;
  DruidTaskState state = DruidTaskState::unknown;  // unknown: 404, or no answer
  std::string error;                               // a FAILED task's errorMsg
};

// A finished task's row counts (its report's rowStats.buildSegments).
struct DruidRowStats {
  std::int64_t processed = 0, processed_with_error = 0, thrown_away = 0, unparseable = 0;
};

class DruidClient {
 public:
  explicit DruidClient(const DruidSinkOptions& options);

  // POST /druid/indexer/v1/task.
  DruidAnswer submit_task(const std::string& task_json) const;
  // GET /druid/indexer/v1/task/{id}/status.
  DruidTaskStatus task_status(const std::string& id) const;
  // GET /druid/indexer/v1/task/{id}/reports: nullopt if there is no (readable) report.
  std::optional<DruidRowStats> task_row_stats(const std::string& id) const;
  // POST /druid/indexer/v1/supervisor?skipRestartIfUnmodified=true.
  DruidAnswer post_supervisor(const std::string& spec_json) const;

  const std::string& url() const { return base_; }

 private:
  HttpResponse call(const std::string& method, const std::string& path,
                    const std::string& body) const;
  DruidAnswer answer_of(const HttpResponse& r, const std::string& what) const;

  std::string base_;  // the router URL without a trailing slash
  HttpHeaders headers_;
  int timeout_ms_;
  TlsOptions tls_;
};

// Druid's error text from a response body, in either of its two shapes
// ({"errorMessage":...} / {"error":...}), or a short excerpt of the body.
std::string druid_error_text(const std::string& body);

// What a response (any status) from Druid means: `reached`, its status, and for a status
// outside 2xx a message starting with `what`, with Druid's error text.
DruidAnswer druid_answer(int http_status, const std::string& body, const std::string& what);

// A task's state from the answer to GET /druid/indexer/v1/task/{id}/status. An answer other
// than 200 leaves the state unknown; a 200 whose body has no "status" object counts as a
// server failure (502).
DruidTaskStatus parse_task_status(const std::string& id, int http_status, const std::string& body);

// The row counts of a task report (ingestionStatsAndErrors.payload.rowStats.buildSegments, or
// the only phase there is); nullopt if the body has none.
std::optional<DruidRowStats> parse_task_row_stats(const std::string& body);

}  // namespace gw
