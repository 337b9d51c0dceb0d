// Tells systemd how the service is doing (sd_notify, Type=notify): READY once the buffer is
// open and the HTTP endpoint listens, STATUS lines with throughput and backlog, WATCHDOG
// keep-alives from the run loop, RELOADING around a SIGHUP, STOPPING on the way out. Without
// $NOTIFY_SOCKET (not under systemd) every call does nothing. libsystemd is used only in
// service_notifier.cpp.
#pragma once

#include <string>

#include "core/time.h"

namespace gw {

class ServiceNotifier {
 public:
  ServiceNotifier();

  void ready();
  void reloading();
  void stopping();
  void status(const std::string& text);
  // From the run loop each turn; sent at half the watchdog interval, if systemd asked for one.
  void watchdog(TimeMs monotonic_now);
  bool watchdog_enabled() const { return watchdog_interval_ > 0; }

 private:
  void send(const std::string& state);

  DurationMs watchdog_interval_ = 0;  // half of WATCHDOG_USEC; 0: no watchdog
  TimeMs last_watchdog_ = 0;
};

}  // namespace gw
