#include "core/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

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
  std::lock_guard lock(g_mutex);
  std::fprintf(stderr, "iot-gateway: %s: %.*s\n", kNames[static_cast<int>(level)],
               static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
}

}  // namespace gw::log
