// `iot-gateway buffer stats`: per stream records, bytes, oldest age and drops by reason; per
// sink the records it is to deliver, and those kept for a disabled sink or a stream it no
// longer takes. Opens the database read-only: safe while a gateway runs.
#pragma once

#include <string>

#include "config/options.h"

namespace gw {

int buffer_stats_command(const Options& options, bool json);

}  // namespace gw
