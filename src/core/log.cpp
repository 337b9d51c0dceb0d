#include "core/log.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#include "core/clock.h"
#include "core/secrets.h"
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
  // Credentials inside URLs never reach the log, whoever wrote the message.
  const std::string shown = message.find("://") == std::string_view::npos
                                ? std::string(message)
                                : mask_url_credentials(message);
  const std::string stamp = stamp_lines() ? format_iso8601(SystemClock().now()) + " " : "";
  std::lock_guard lock(g_mutex);
  std::fprintf(stderr, "%siot-gateway: %s: %.*s\n", stamp.c_str(), kNames[static_cast<int>(level)],
               static_cast<int>(shown.size()), shown.data());
  std::fflush(stderr);
}

}  // namespace gw::log
