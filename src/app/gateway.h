// Wires sources -> pipeline -> sinks from validated Options and runs the loop until a bounded
// run completes or a stop is requested. The run loop owns the pipeline (one thread).
#pragma once

#include "config/options.h"
#include "core/stop_signal.h"

namespace gw {

enum ExitCode : int { kExitOk = 0, kExitRuntime = 1, kExitConfig = 2 };

// Runs the gateway; returns the process exit code (contract section 1).
int run_gateway(const Options& options, StopSignal& stop);

}  // namespace gw
