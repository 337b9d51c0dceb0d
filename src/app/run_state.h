// What the run loop commits with every batch: the simulator's and the pipeline's snapshots,
// whether a bounded run has completed, and fingerprints of the config and registry they
// belong to (a state saved under another config is not restored).
#pragma once

#include <optional>
#include <string>

#include "config/options.h"
#include "core/device.h"

namespace gw {

struct RunState {
  std::string fingerprint;
  std::string registry_hash;
  bool completed = false;
  TimeMs completed_at = 0;  // wall clock; 0: not completed, or completed by an older version
  // Devices of the registry whose devices-stream records are in the buffer (sent in slices at
  // the start, so that a large registry is never in memory as records at once).
  std::uint64_t devices_sent = UINT64_MAX;
  std::string simulator;  // Simulator::snapshot()
  std::string pipeline;   // Pipeline::snapshot()
};

std::string encode_run_state(const RunState& s);
std::optional<RunState> decode_run_state(const std::string& text);

// Hash of everything in the options that changes which records a run produces.
std::string config_fingerprint(const Options& o);
std::string registry_fingerprint(const DeviceRegistry& r);

}  // namespace gw
