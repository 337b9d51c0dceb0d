// Validation of a native batch task (POST /druid/indexer/v1/task) as Druid would do it, for the
// one kind the mock runs: index_parallel with an inline input source and the json input format.
#pragma once

#include <rapidjson/document.h>

#include <optional>
#include <string>

#include "spec_checks.h"
#include "timestamps.h"

namespace druid_mock {

struct TaskSpec {
  std::string id;  // empty: none given
  std::string datasource;
  TimestampSpec timestamp;
  std::string data;  // spec.ioConfig.inputSource.data
  bool append = false;
  Granularity granularity = Granularity::day();  // granularitySpec.segmentGranularity
  // Unparseable rows tolerated before the task fails: tuningConfig.maxParseExceptions, 0 when
  // absent (the mock is strict; Druid's own default is unlimited) or reportParseExceptions.
  long max_parse_exceptions = 0;
};

// The task's settings, or nullopt and the message of Druid's 400 invalidInput answer.
std::optional<TaskSpec> validate_task(const rapidjson::Value& task, std::string& error);

}  // namespace druid_mock
