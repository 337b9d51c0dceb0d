#include "core/log.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#include "core/clock.h"
#include "core/time.h"

namespace gw::log {
namespace {
std::atomic<Level> g_level{Level::info};
std::mutex g_mutex;

// journald stamps every line itself and says so through JOURNAL_STREAM; elsewhere (a terminal,
// a file) each line starts with its UTC time.
bool stamp_lines() {
  static const bool stamp = std::getenv("JOURNAL_STREAM") == nullptr;
  return stamp;
}
}  // namespace

void set_level(Level level) {
  g_level = level;
}

void write(Level level, std::string_view message) {
  if (level < g_level.load()) return;
  static constexpr const char* kNames[] = {"debug", "info", "warning", "error"};
  const std::string stamp = stamp_lines() ? format_iso8601(SystemClock().now()) + " " : "";
  std::lock_guard lock(g_mutex);
  std::fprintf(stderr, "%siot-gateway: %s: %.*s\n", stamp.c_str(), kNames[static_cast<int>(level)],
               static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
}

}  // namespace gw::log
