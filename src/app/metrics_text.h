// /metrics: the Prometheus text exposition format, names prefixed iot_gateway_, plus the
// standard process_* metrics read from /proc.
#pragma once

#include <string>

namespace gw {

struct ApiContext;

std::string render_metrics(const ApiContext& context);

}  // namespace gw
