#include "core/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

#include "core/secrets.h"

namespace gw::log {
namespace {
std::atomic<Level> g_level{Level::info};
std::mutex g_mutex;
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
  std::lock_guard lock(g_mutex);
  std::fprintf(stderr, "iot-gateway: %s: %.*s\n", kNames[static_cast<int>(level)],
               static_cast<int>(shown.size()), shown.data());
  std::fflush(stderr);
}

}  // namespace gw::log
