// Validation of a Kafka supervisor spec (POST /druid/indexer/v1/supervisor) as Druid would do
// it. Both forms are read: {"type":"kafka","spec":{dataSchema, ioConfig, tuningConfig}} and the
// flattened {"type":"kafka","dataSchema":…,"ioConfig":…,"tuningConfig":…}.
#pragma once

#include <rapidjson/document.h>

#include <optional>
#include <string>

namespace druid_mock {

struct SupervisorSpec {
  std::string id;  // top-level "id", else spec.id, else the dataSource
  std::string datasource;
  std::string topic;
};

// The supervisor's settings, or nullopt and the message of Druid's 400 invalidInput answer.
std::optional<SupervisorSpec> validate_supervisor(const rapidjson::Value& body, std::string& error);

}  // namespace druid_mock
