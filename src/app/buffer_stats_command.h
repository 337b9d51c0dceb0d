// `iot-gateway buffer stats`: per stream records, bytes, oldest age and drops by reason; per
// sink the records it is to deliver, and those kept for a disabled sink or a stream it no
// longer takes. Opens the database read-only: safe while a gateway runs.
#pragma once

#include <optional>
#include <string>

#include "config/options.h"

namespace gw {

int buffer_stats_command(const Options& options, bool json);

// <data_dir>/gateway.db if it exists; else says on stderr that the gateway has not run with
// this data_dir and returns nullopt. For the buffer commands.
std::optional<std::string> existing_buffer(const Options& options);

}  // namespace gw
