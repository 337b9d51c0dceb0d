#include "app/service_notifier.h"

#include <systemd/sd-daemon.h>

namespace gw {

ServiceNotifier::ServiceNotifier() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
    watchdog_interval_ = static_cast<DurationMs>(usec / 2000);
}

void ServiceNotifier::send(const std::string& state) {
  sd_notify(0, state.c_str());
}

void ServiceNotifier::ready() {
  send("READY=1");
}

void ServiceNotifier::reloading() {
  send("RELOADING=1");
}

void ServiceNotifier::stopping() {
  send("STOPPING=1");
}

void ServiceNotifier::status(const std::string& text) {
  std::string line = text;
  for (char& c : line)
    if (c == '\n') c = ' ';
  send("STATUS=" + line);
}

void ServiceNotifier::watchdog(TimeMs monotonic_now) {
  if (watchdog_interval_ <= 0 || monotonic_now - last_watchdog_ < watchdog_interval_) return;
  last_watchdog_ = monotonic_now;
  send("WATCHDOG=1");
}

}  // namespace gw
