// Typed access to one YAML mapping of the config, collecting every problem instead of stopping
// at the first. Each getter registers its key as known (present or not), so finish() can
// report unknown keys with a "did you mean …?" suggestion. Absent or null keys leave the
// output untouched: the caller's default stands. Every scalar passes through ${ENV}
// interpolation first.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostics.h"
#include "config/interpolate.h"
#include "config/options.h"

namespace gw {

// Where a value came from: the config file, or the Nth --set argument.
struct Override {
  std::string path;   // "a.b.c"
  int index = 0;      // 1-based position among the --set arguments
  int value_col = 0;  // column where VALUE starts in "PATH=VALUE"
};

class ConfigContext {
 public:
  ConfigContext(std::string file, EnvLookup env, std::vector<Override> overrides)
      : file_(std::move(file)), env_(std::move(env)), overrides_(std::move(overrides)) {}

  void error(const std::string& path, const YAML::Mark& mark, std::string message);
  // The --set argument that supplied `path`, if any.
  const Override* override_for(const std::string& path) const;
  const EnvLookup& env() const { return env_; }
  const std::string& file() const { return file_; }
  Diagnostics& diagnostics() { return diagnostics_; }

 private:
  std::string file_;
  EnvLookup env_;
  std::vector<Override> overrides_;
  Diagnostics diagnostics_;
};

class MapReader {
 public:
  MapReader(ConfigContext& ctx, YAML::Node node, std::string path);

  bool str(std::string_view key, std::string& out);
  bool str(std::string_view key, std::optional<std::string>& out);
  bool boolean(std::string_view key, bool& out);
  bool u64(std::string_view key, std::uint64_t& out);
  bool integer(std::string_view key, std::int64_t& out, std::int64_t min, std::int64_t max);
  bool number(std::string_view key, double& out, double min, double max);
  bool duration(std::string_view key, DurationMs& out, DurationMs min);
  bool duration(std::string_view key, std::optional<DurationMs>& out, DurationMs min);
  bool size(std::string_view key, std::int64_t& out, std::int64_t min);
  bool timestamp(std::string_view key, TimeMs& out);
  bool time_spec(std::string_view key, TimeSpec& out);
  bool choice(std::string_view key, std::string& out,
              std::initializer_list<std::string_view> allowed);
  bool string_map(std::string_view key, std::map<std::string, std::string>& out);
  // A list of strings ("[a, b]" or a block list); each item's mark is kept for messages.
  bool string_list(std::string_view key, std::vector<std::pair<std::string, YAML::Mark>>& out);

  // A nested mapping or sequence; registers the key. Null if absent.
  YAML::Node child(std::string_view key);
  // Reports a type error unless `node` is a mapping (returns false then).
  bool expect_map(const YAML::Node& node, const std::string& path);
  std::string path_of(std::string_view key) const;
  const std::string& path() const { return path_; }
  const YAML::Mark& mark() const { return mark_; }
  ConfigContext& context() { return ctx_; }
  // Report an error at `key` (or at this mapping if the key is absent).
  void error(std::string_view key, std::string message);
  // Reports every key that no getter asked for.
  void finish();

 private:
  // The interpolated scalar text of `key`, or nullopt if absent/null/invalid (error reported).
  std::optional<std::string> scalar(std::string_view key, const char* expected);

  ConfigContext& ctx_;
  YAML::Node node_;
  std::string path_;
  YAML::Mark mark_;
  std::vector<std::string> known_;
};

// True for a missing key or an explicit null: the default stands.
inline bool absent(const YAML::Node& n) {
  return !n.IsDefined() || n.IsNull();
}

// How a YAML node reads in a message: "a list", "a mapping", or its text.
std::string describe_node(const YAML::Node& node);

}  // namespace gw
