// `iot-gateway druid spec STREAM` and `iot-gateway druid provision [--dry-run]`.
#pragma once

#include <string>

#include "config/options.h"

namespace gw {

// Prints the stream's Kafka supervisor spec (pretty JSON). Exit 2 for a stream that has none.
int druid_spec_command(const Options& options, const std::string& stream);

// Posts every supervisor (one per Kafka stream not pushed as batch tasks) and says what
// happened to each; --dry-run prints them as one JSON array instead. Exit 1 if any failed.
int druid_provision_command(const Options& options, bool dry_run);

}  // namespace gw
