// Builds the enabled sinks from the options.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/options.h"
#include "sinks/sink.h"

namespace gw {

struct SinkSet {
  std::vector<std::unique_ptr<Sink>> sinks;
  std::string error;  // non-empty: an enabled sink could not be built
};

SinkSet build_sinks(const Options& options);
// The names and streams of the sinks `options` enables, without building them.
std::vector<std::pair<std::string, StreamSet>> enabled_sink_streams(const Options& options);

}  // namespace gw
