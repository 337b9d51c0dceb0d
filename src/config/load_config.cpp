#include "config/load_config.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>
#include <vector>

#include "config/map_reader.h"
#include "config/read_sections.h"

namespace gw {
namespace {

bool is_index(const std::string& s) {
  return !s.empty() && s.size() < 9 && s.find_first_not_of("0123456789") == std::string::npos;
}

// Splices one --set value into the tree; returns an error message or "".
std::string apply_override(YAML::Node& root, const std::string& path, const YAML::Node& value) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = path.find('.', start);
    parts.push_back(path.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  for (const auto& p : parts)
    if (p.empty()) return "--set: '" + path + "' is not a valid key path (write a.b.c=VALUE)";
  const auto prefix = [&parts](std::size_t n) {  // the path of the first n parts
    std::string p;
    for (std::size_t k = 0; k < n; ++k) p += (k ? "." : "") + parts[k];
    return p;
  };
  YAML::Node cur = root;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const bool last = i + 1 == parts.size();
    if (cur.IsScalar())  // an item of a list that is not a mapping
      return "--set: '" + path + "': '" + prefix(i) + "' is " + describe_node(cur) +
             ", not a mapping";
    if (cur.IsSequence()) {
      if (!is_index(parts[i]) || std::stoul(parts[i]) >= cur.size())
        return "--set: '" + path + "': '" + parts[i] + "' is not an index of that list (it has " +
               std::to_string(cur.size()) + " items)";
      const std::size_t idx = std::stoul(parts[i]);
      if (last) {
        cur[idx] = value;
        return "";
      }
      YAML::Node next = cur[idx];
      cur.reset(next);
      continue;
    }
    if (last) {
      cur[parts[i]] = value;
      return "";
    }
    YAML::Node next = cur[parts[i]];
    if (!next || !(next.IsMap() || next.IsSequence())) {
      if (is_index(parts[i + 1]))
        return "--set: '" + path + "': there is no list at '" + prefix(i + 1) +
               "' in the file to index; set the whole list instead";
      cur[parts[i]] = YAML::Node(YAML::NodeType::Map);
      next.reset(cur[parts[i]]);
    }
    cur.reset(next);
  }
  return "";
}

// "simulator.stores.0.lat" -> "simulator.stores[0].lat", as the readers name keys.
std::string display_path(const std::string& path) {
  std::string out;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t dot = path.find('.', start);
    if (dot == std::string::npos) dot = path.size();
    const std::string part = path.substr(start, dot - start);
    if (is_index(part) && !out.empty())
      out += "[" + part + "]";
    else
      out += (out.empty() ? "" : ".") + part;
    start = dot + 1;
  }
  return out;
}

// yaml-cpp keeps every pair of a mapping and answers lookups with the first one, so a key
// written twice would silently lose its second value: each repeat is an error naming both.
// An alias can make the tree a cycle (`a: &x {b: *x}`): a node already on the way down is not
// entered again, and nothing deeper than any config is looked at.
constexpr std::size_t kMaxCheckedDepth = 64;

void check_duplicate_keys(ConfigContext& ctx, const YAML::Node& node, const std::string& path,
                          std::vector<YAML::Node>& above) {
  if (above.size() >= kMaxCheckedDepth) return;
  for (const auto& a : above)
    if (a.is(node)) return;
  above.push_back(node);
  struct Pop {
    std::vector<YAML::Node>& v;
    ~Pop() { v.pop_back(); }
  } pop{above};
  if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i)
      check_duplicate_keys(ctx, node[i], path + "[" + std::to_string(i) + "]", above);
    return;
  }
  if (!node.IsMap()) return;
  std::map<std::string, YAML::Mark> seen;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) continue;
    const std::string key = kv.first.Scalar();
    const std::string child = path.empty() ? key : path + "." + key;
    const auto [it, fresh] = seen.emplace(key, kv.first.Mark());
    if (!fresh)
      ctx.error("", kv.first.Mark(),
                "duplicate key '" + key + "' (first at " + std::to_string(it->second.line + 1) +
                    ":" + std::to_string(it->second.column + 1) + ")");
    check_duplicate_keys(ctx, kv.second, child, above);
  }
}

std::string hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "iot-gateway";
  return buf;
}

}  // namespace

ConfigResult parse_config(const ConfigInput& in) {
  std::vector<Override> overrides;
  std::vector<std::pair<std::string, YAML::Node>> values;
  Diagnostics early;
  int index = 0;
  for (const auto& s : in.sets) {
    ++index;
    const std::size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      early.push_back(
          {"--set", index, 1, "--set '" + s + "': expected PATH=VALUE, e.g. simulator.seed=7"});
      continue;
    }
    const std::string path = s.substr(0, eq);
    try {
      values.emplace_back(path, YAML::Load(s.substr(eq + 1)));
      overrides.push_back({display_path(path), index, static_cast<int>(eq) + 2});
    } catch (const YAML::Exception& e) {
      early.push_back({"--set", index, static_cast<int>(eq) + 2 + std::max(0, e.mark.column),
                       "--set " + path + ": invalid YAML value: " + e.msg});
    }
  }

  ConfigContext ctx(in.file, in.env, overrides);
  ConfigResult result;
  YAML::Node root;
  try {
    root = YAML::Load(in.text);
  } catch (const YAML::Exception& e) {
    ctx.error("", e.mark, "invalid YAML: " + e.msg);
    result.errors = std::move(ctx.diagnostics());
    return result;
  }
  if (root && !root.IsNull() && !root.IsMap()) {
    ctx.error("", root.Mark(),
              "expected a mapping of sections (gateway, simulator, pipeline, sinks, "
              "http), got " +
                  describe_node(root));
    result.errors = std::move(ctx.diagnostics());
    return result;
  }
  if (!root || root.IsNull()) root.reset(YAML::Node(YAML::NodeType::Map));
  std::vector<YAML::Node> above;
  check_duplicate_keys(ctx, root, "", above);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string err = apply_override(root, values[i].first, values[i].second);
    if (!err.empty()) early.push_back({"--set", overrides[i].index, 1, err});
  }

  Options& o = result.options;
  o.source_file = in.file;
  o.gateway.id = in.default_gateway_id.empty() ? hostname() : in.default_gateway_id;
  const std::filesystem::path base = std::filesystem::path(in.file).parent_path();
  read_all_sections(ctx, root, base, o);

  result.errors = std::move(early);
  for (auto& d : ctx.diagnostics()) result.errors.push_back(std::move(d));
  // The file's problems first, then the --set arguments', each in the order of their places.
  std::stable_sort(result.errors.begin(), result.errors.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     const bool a_set = a.file == "--set", b_set = b.file == "--set";
                     if (a_set != b_set) return b_set;
                     return std::tie(a.line, a.column) < std::tie(b.line, b.column);
                   });
  return result;
}

ConfigResult load_config_file(const std::string& file, const std::vector<std::string>& sets,
                              const EnvLookup& env) {
  std::ifstream f(file, std::ios::binary);
  if (!f) {
    ConfigResult r;
    r.errors.push_back(
        {file, 1, 1, std::string("cannot read the config file: ") + std::strerror(errno)});
    return r;
  }
  std::ostringstream ss;
  ss << f.rdbuf();
  return parse_config({file, ss.str(), sets, env, ""});
}

std::string default_config_path(const EnvLookup& env) {
  if (auto v = env("IOT_GATEWAY_CONFIG"); v && !v->empty()) return *v;
  return "/etc/iot-gateway/iot-gateway.yaml";
}

}  // namespace gw
