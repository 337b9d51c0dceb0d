// `iot-gateway buffer discard --sink NAME [--stream S]`: drops the records the buffer keeps for
// sink NAME where `options` no longer sends them there (the sink is not enabled, or does not
// take that stream), counted as dropped with reason "discarded". Records an enabled sink takes
// are never discarded. Refused while a gateway runs on the data_dir (it holds gateway.lock).
#pragma once

#include <optional>
#include <string>

#include "config/options.h"
#include "core/stream.h"

namespace gw {

int buffer_discard_command(const Options& options, const std::string& sink,
                           std::optional<Stream> stream);

}  // namespace gw
