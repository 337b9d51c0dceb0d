#include "core/stream.h"

namespace gw {

std::optional<Stream> stream_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kStreamCount; ++i)
    if (kStreamNames[i] == name) return kAllStreams[i];
  return std::nullopt;
}

}  // namespace gw
