// Wires sources -> pipeline -> sinks from validated Options and runs the loop until a bounded
// run completes or a stop is requested; tells systemd how it goes (sd_notify) and applies
// reloads.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/options.h"
#include "core/stop_signal.h"

namespace gw {

enum ExitCode : int { kExitOk = 0, kExitRuntime = 1, kExitConfig = 2 };

// SIGHUP: requested by the signal thread, taken by the run loop.
class ReloadRequest {
 public:
  void request() { requested_.store(true); }
  bool take() { return requested_.exchange(false); }

 private:
  std::atomic<bool> requested_{false};
};

// The configuration read again: the options, or every problem (formatted, one per line).
struct LoadedConfig {
  std::optional<Options> options;
  std::vector<std::string> errors;
};

struct ReloadSource {
  ReloadRequest* request = nullptr;
  std::function<LoadedConfig()> load;
};

// Runs the gateway; returns the process exit code (contract section 1).
int run_gateway(const Options& options, StopSignal& stop, const ReloadSource& reload = {});

}  // namespace gw
