// Running a task's inline data: one JSON object per line, each with a parsable timestamp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "task_validation.h"

namespace druid_mock {

struct Row {
  std::string line;  // the inline line exactly as sent (without its line terminator)
  std::int64_t millis = 0;
};

struct TaskRows {
  std::vector<Row> rows;  // the rows read before the task stopped
  long unparseable = 0;
  long thrown_away = 0;              // rows dropped on success (an injection): counted, not stored
  std::optional<std::string> error;  // set: the task fails with this errorMsg
};

// Reads every non-blank line of spec.data (a trailing '\r' belongs to the terminator). A line
// that is not a JSON object, or whose timestamp column is absent (without missingValue) or
// unparsable, is unparseable; one more than max_parse_exceptions ends the task FAILED.
TaskRows read_rows(const TaskSpec& spec);

}  // namespace druid_mock
