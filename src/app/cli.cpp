#include "app/cli.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <thread>

#include "app/buffer_discard_command.h"
#include "app/buffer_stats_command.h"
#include "app/config_summary.h"
#include "app/druid_command.h"
#include "app/gateway.h"
#include "config/diagnostics.h"
#include "config/load_config.h"
#include "core/clock.h"
#include "core/log.h"
#include "sources/registry_builder.h"

namespace gw {
namespace {

struct ConfigArgs {
  std::string file;
  std::vector<std::string> sets;
};

void add_config_options(CLI::App* cmd, ConfigArgs& args) {
  cmd->add_option(
      "-c,--config", args.file,
      "Config file (default: $IOT_GATEWAY_CONFIG, else /etc/iot-gateway/iot-gateway.yaml)");
  cmd->add_option("--set", args.sets, "Override one key before validation, VALUE parsed as YAML")
      ->type_name("PATH=VALUE")
      ->allow_extra_args(false);
}

// Loads and validates; on problems prints every one of them and returns nullopt.
std::optional<Options> load(const ConfigArgs& args) {
  const EnvLookup env = process_environment();
  const std::string file = args.file.empty() ? default_config_path(env) : args.file;
  ConfigResult r = load_config_file(file, args.sets, env);
  if (!r.ok()) {
    for (const auto& d : r.errors) std::cerr << d.format() << "\n";
    std::cerr << r.errors.size() << (r.errors.size() == 1 ? " error" : " errors") << " in " << file
              << "\n";
    return std::nullopt;
  }
  return std::move(r.options);
}

// For a reload: the same file and --set arguments, validated as at start (registry included).
LoadedConfig load_again(const ConfigArgs& args) {
  LoadedConfig out;
  const EnvLookup env = process_environment();
  const std::string file = args.file.empty() ? default_config_path(env) : args.file;
  ConfigResult r = load_config_file(file, args.sets, env);
  for (const auto& d : r.errors) out.errors.push_back(d.format());
  if (!r.ok()) return out;
  Diagnostics errors;
  build_registry(r.options.simulator, errors);
  for (const auto& d : errors) out.errors.push_back(d.format());
  if (errors.empty()) out.options = std::move(r.options);
  return out;
}

int check_config(const ConfigArgs& args) {
  auto options = load(args);
  if (!options) return kExitConfig;
  Diagnostics errors;
  const DeviceRegistry registry = build_registry(options->simulator, errors);
  if (!errors.empty()) {
    for (const auto& d : errors) std::cerr << d.format() << "\n";
    return kExitConfig;
  }
  std::cout << config_summary(*options, registry);
  return kExitOk;
}

// SIGINT/SIGTERM: graceful stop; a second one exits at once. SIGHUP: reload the config.
void start_signal_thread(StopSignal& stop, ReloadRequest& reload) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set, &stop, &reload] {
    SystemClock clock;
    TimeMs first = kTimeMin;
    while (true) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      if (sig == SIGHUP) {
        reload.request();
        continue;
      }
      // `timeout` and some supervisors signal the process and its group at once: a repeat
      // within a second is the same request.
      if (first != kTimeMin && clock.now() - first < 1000) continue;
      if (first == kTimeMin) {
        first = clock.now();
        log::info(std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") +
                  ": draining and stopping (send it again to exit at once)");
        stop.request_stop();
      } else {
        log::warn("second signal: exiting now");
        _exit(kExitRuntime);
      }
    }
  }).detach();
}

int run(const ConfigArgs& args, const std::string& log_level) {
  auto options = load(args);
  if (!options) return kExitConfig;
  if (log_level == "debug")
    log::set_level(log::Level::debug);
  else if (log_level == "warning")
    log::set_level(log::Level::warn);
  else if (log_level == "error")
    log::set_level(log::Level::error);
  // Never destroyed: the detached signal thread may use them until the process is gone.
  static StopSignal& stop = *new StopSignal;
  static ReloadRequest& reload = *new ReloadRequest;
  start_signal_thread(stop, reload);
  const ReloadSource source{&reload, [args] { return load_again(args); }};
  try {
    return run_gateway(*options, stop, source);
  } catch (const std::exception& e) {
    log::error(std::string("runtime failure: ") + e.what());
    return kExitRuntime;
  }
}

// CLI11 says only "A subcommand is required" for a misspelt command: name it, and the nearest
// one. Walks the words before the first option down the command tree; true if it reported.
bool report_unknown_command(const CLI::App& app, int argc, char** argv) {
  const CLI::App* cur = &app;
  std::string path = "iot-gateway";
  for (int i = 1; i < argc && argv[i][0] != '-'; ++i) {
    const auto subs = cur->get_subcommands([](const CLI::App*) { return true; });
    if (subs.empty()) return false;
    std::vector<std::string> names;
    for (const CLI::App* s : subs) names.push_back(s->get_name());
    const std::string word = argv[i];
    const auto it = std::find(names.begin(), names.end(), word);
    if (it != names.end()) {
      cur = subs[static_cast<std::size_t>(it - names.begin())];
      path += " " + word;
      continue;
    }
    std::string known;
    for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
    const std::string near = closest_match(word, names);
    std::cerr << path << ": unknown command '" << word << "'"
              << (near.empty() ? "" : "; did you mean '" + near + "'?") << "\n"
              << "commands: " << known << " (" << path << " --help)\n";
    return true;
  }
  return false;
}

}  // namespace

int cli_main(int argc, char** argv) {
  CLI::App app{
      "iot-gateway: sensors -> event-time windows and alerts -> durable buffer -> Kafka "
      "and Druid, in one process",
      "iot-gateway"};
  app.set_version_flag("--version", std::string("iot-gateway ") + IOT_GATEWAY_VERSION);
  app.require_subcommand(1);

  ConfigArgs run_args, check_args;
  std::string log_level = "info";
  CLI::App* run_cmd = app.add_subcommand(
      "run", "Run the gateway (SIGTERM/SIGINT: drain and stop; SIGHUP: reload the config file)");
  add_config_options(run_cmd, run_args);
  run_cmd->add_option("--log-level", log_level, "debug, info, warning or error")
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}));
  CLI::App* check_cmd =
      app.add_subcommand("check-config", "Validate the configuration and print a summary");
  add_config_options(check_cmd, check_args);

  ConfigArgs stats_args;
  bool stats_json = false;
  CLI::App* buffer_cmd = app.add_subcommand(
      "buffer", "Inspect the store-and-forward buffer, or drop what it keeps for disabled sinks");
  buffer_cmd->require_subcommand(1);
  CLI::App* stats_cmd = buffer_cmd->add_subcommand(
      "stats",
      "Per stream: records, bytes, oldest age, drops by reason; per sink: records not yet "
      "confirmed, and those kept for a disabled sink or a stream it no longer takes. Safe while "
      "the gateway runs");
  add_config_options(stats_cmd, stats_args);
  stats_cmd->add_flag("--json", stats_json, "Print JSON");

  ConfigArgs discard_args;
  std::string discard_sink, discard_stream;
  CLI::App* discard_cmd = buffer_cmd->add_subcommand(
      "discard",
      "Drop the records kept for a sink this configuration does not enable (or for streams it "
      "does not take), counted as dropped, reason \"discarded\". Records an enabled sink takes "
      "are never dropped. Refused while a gateway runs on the same gateway.data_dir");
  add_config_options(discard_cmd, discard_args);
  discard_cmd->add_option("--sink", discard_sink, "The sink: file, kafka or druid")->required();
  std::vector<std::string> stream_names(kStreamNames.begin(), kStreamNames.end());
  discard_cmd->add_option("--stream", discard_stream, "Only this stream (default: every stream)")
      ->check(CLI::IsMember(stream_names));

  ConfigArgs druid_args;
  std::string spec_stream;
  bool dry_run = false;
  CLI::App* druid_cmd =
      app.add_subcommand("druid", "Druid ingestion: the Kafka supervisors of the Kafka streams");
  druid_cmd->require_subcommand(1);
  CLI::App* spec_cmd = druid_cmd->add_subcommand(
      "spec",
      "Print the Kafka supervisor spec of STREAM (sales, devices, events, events_geo, ...)");
  spec_cmd->add_option("STREAM", spec_stream, "The stream")->required();
  add_config_options(spec_cmd, druid_args);
  CLI::App* provision_cmd = druid_cmd->add_subcommand(
      "provision",
      "Post one Kafka supervisor per Kafka stream not pushed as batch tasks "
      "(skipRestartIfUnmodified: a second run changes nothing)");
  add_config_options(provision_cmd, druid_args);
  provision_cmd->add_flag("--dry-run", dry_run, "Print the specs (a JSON array) instead");

  if (report_unknown_command(app, argc, argv)) return kExitConfig;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitConfig;
  }
  if (*run_cmd) return run(run_args, log_level);
  if (*stats_cmd) {
    auto options = load(stats_args);
    return options ? buffer_stats_command(*options, stats_json) : kExitConfig;
  }
  if (*discard_cmd) {
    auto options = load(discard_args);
    if (!options) return kExitConfig;
    return buffer_discard_command(
        *options, discard_sink,
        discard_stream.empty() ? std::nullopt : stream_from_name(discard_stream));
  }
  if (*spec_cmd || *provision_cmd) {
    auto options = load(druid_args);
    if (!options) return kExitConfig;
    return *spec_cmd ? druid_spec_command(*options, spec_stream)
                     : druid_provision_command(*options, dry_run);
  }
  return check_config(check_args);
}

}  // namespace gw
