#include "config/map_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace gw {

void ConfigContext::error(const std::string& path, const YAML::Mark& mark, std::string message) {
  Diagnostic d;
  const Override* o = override_for(path);
  if (!o && mark.is_null()) {  // a node the --set created on its way to its key
    for (const auto& candidate : overrides_)
      if (candidate.path.compare(0, path.size(), path) == 0) o = &candidate;
  }
  if (o) {
    d.file = "--set";
    d.line = o->index;
    d.column = o->value_col + (mark.column >= 0 && mark.line == 0 ? mark.column : 0);
  } else {
    d.file = file_;
    d.line = mark.line >= 0 ? mark.line + 1 : 1;
    d.column = mark.column >= 0 ? mark.column + 1 : 1;
  }
  d.message = std::move(message);
  diagnostics_.push_back(std::move(d));
}

const Override* ConfigContext::override_for(const std::string& path) const {
  const Override* best = nullptr;
  for (const auto& o : overrides_) {
    const bool covers =
        path == o.path ||
        (path.size() > o.path.size() && path.compare(0, o.path.size(), o.path) == 0 &&
         (path[o.path.size()] == '.' || path[o.path.size()] == '['));
    if (covers) best = &o;  // the last --set wins, as it does when applied
  }
  return best;
}

std::string describe_node(const YAML::Node& node) {
  if (!node || node.IsNull()) return "nothing";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  return "'" + node.Scalar() + "'";
}

MapReader::MapReader(ConfigContext& ctx, YAML::Node node, std::string path)
    : ctx_(ctx), node_(std::move(node)), path_(std::move(path)) {
  mark_ = absent(node_) ? YAML::Mark::null_mark() : node_.Mark();
}

std::string MapReader::path_of(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

bool MapReader::expect_map(const YAML::Node& node, const std::string& path) {
  if (absent(node) || node.IsMap()) return true;
  ctx_.error(path, node.Mark(), path + ": expected a mapping of keys, got " + describe_node(node));
  return false;
}

YAML::Node MapReader::child(std::string_view key) {
  known_.emplace_back(key);
  if (!node_ || !node_.IsMap()) return YAML::Node();
  const YAML::Node& map = node_;  // const access: a missing key must not be created
  YAML::Node n = map[std::string(key)];
  if (!n.IsDefined() || n.IsNull()) return YAML::Node();
  return n;
}

void MapReader::error(std::string_view key, std::string message) {
  const YAML::Node& map = node_;
  YAML::Node n = (node_ && node_.IsMap()) ? map[std::string(key)] : YAML::Node();
  ctx_.error(path_of(key), n.IsDefined() && !n.IsNull() ? n.Mark() : mark_, std::move(message));
}

std::optional<std::string> MapReader::scalar(std::string_view key, const char* expected) {
  YAML::Node n = child(key);
  if (absent(n)) return std::nullopt;
  const std::string path = path_of(key);
  if (!n.IsScalar()) {
    ctx_.error(path, n.Mark(), path + ": expected " + expected + ", got " + describe_node(n));
    return std::nullopt;
  }
  auto r = interpolate_env(n.Scalar(), ctx_.env());
  if (!r.error.empty()) {
    ctx_.error(path, n.Mark(), path + ": " + r.error);
    return std::nullopt;
  }
  return std::move(r.text);
}

bool MapReader::str(std::string_view key, std::string& out) {
  auto v = scalar(key, "a string");
  if (!v) return false;
  out = std::move(*v);
  return true;
}

bool MapReader::str(std::string_view key, std::optional<std::string>& out) {
  std::string s;
  if (!str(key, s)) return false;
  out = std::move(s);
  return true;
}

bool MapReader::boolean(std::string_view key, bool& out) {
  auto v = scalar(key, "true or false");
  if (!v) return false;
  if (*v == "true" || *v == "yes" || *v == "on")
    out = true;
  else if (*v == "false" || *v == "no" || *v == "off")
    out = false;
  else {
    error(key, path_of(key) + ": expected true or false, got '" + *v + "'");
    return false;
  }
  return true;
}

bool MapReader::u64(std::string_view key, std::uint64_t& out) {
  auto v = scalar(key, "an unsigned 64-bit integer");
  if (!v) return false;
  std::string_view s = *v;
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  std::uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value, base);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) {
    error(key, path_of(key) +
                   ": expected an unsigned 64-bit integer (0 to 18446744073709551615), got '" + *v +
                   "'");
    return false;
  }
  out = value;
  return true;
}

bool MapReader::integer(std::string_view key, std::int64_t& out, std::int64_t min,
                        std::int64_t max) {
  auto v = scalar(key, "an integer");
  if (!v) return false;
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), value);
  if (ec == std::errc::result_out_of_range ||
      (ec == std::errc() && ptr == v->data() + v->size() && (value < min || value > max))) {
    error(key, path_of(key) + ": " + *v + " is out of range: allowed is " + std::to_string(min) +
                   " to " + std::to_string(max));
    return false;
  }
  if (ec != std::errc() || ptr != v->data() + v->size()) {
    error(key, path_of(key) + ": expected an integer, got '" + *v + "'");
    return false;
  }
  out = value;
  return true;
}

namespace {
std::string number_text(double d) {
  char buf[32];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, ec == std::errc() ? ptr : buf);
}
}  // namespace

bool MapReader::number(std::string_view key, double& out, double min, double max) {
  auto v = scalar(key, "a number");
  if (!v) return false;
  char* end = nullptr;
  const double value = std::strtod(v->c_str(), &end);
  if (v->empty() || end != v->c_str() + v->size() || !std::isfinite(value)) {
    error(key, path_of(key) + ": expected a number, got '" + *v + "'");
    return false;
  }
  if (value < min || value > max) {
    error(key, path_of(key) + ": " + *v + " is out of range: allowed is " + number_text(min) +
                   " to " + number_text(max));
    return false;
  }
  out = value;
  return true;
}

bool MapReader::duration(std::string_view key, DurationMs& out, DurationMs min) {
  std::optional<DurationMs> d;
  if (!duration(key, d, min)) return false;
  out = *d;
  return true;
}

bool MapReader::duration(std::string_view key, std::optional<DurationMs>& out, DurationMs min) {
  auto v = scalar(key, "a duration");
  if (!v) return false;
  const auto d = parse_duration(*v);
  if (!d) {
    error(key,
          path_of(key) + ": expected a duration such as 500ms, 5s, 1m, 2h or 7d, got '" + *v + "'");
    return false;
  }
  if (*d < min) {
    error(key, path_of(key) + ": " + *v + " is out of range: a duration of at least " +
                   format_duration(min) + " is required");
    return false;
  }
  out = *d;
  return true;
}

bool MapReader::size(std::string_view key, std::int64_t& out, std::int64_t min) {
  auto v = scalar(key, "a size");
  if (!v) return false;
  const auto s = parse_size(*v);
  if (!s) {
    error(key, path_of(key) + ": expected a size such as 512KiB, 64MiB or 1GiB, got '" + *v + "'");
    return false;
  }
  if (*s < min) {
    error(key, path_of(key) + ": " + *v + " is out of range: at least " + std::to_string(min) +
                   " bytes are required");
    return false;
  }
  out = *s;
  return true;
}

bool MapReader::timestamp(std::string_view key, TimeMs& out) {
  auto v = scalar(key, "an RFC 3339 time");
  if (!v) return false;
  const auto t = parse_rfc3339(*v);
  if (!t) {
    error(key, path_of(key) + ": expected an RFC 3339 time such as 2026-01-01T00:00:00Z, got '" +
                   *v + "'");
    return false;
  }
  out = *t;
  return true;
}

bool MapReader::time_spec(std::string_view key, TimeSpec& out) {
  auto v = scalar(key, "a time");
  if (!v) return false;
  if (!v->empty() && v->front() == '+') {
    const auto d = parse_duration(std::string_view(*v).substr(1));
    if (d && *d >= 0) {
      out = {true, *d};
      return true;
    }
  } else if (const auto t = parse_rfc3339(*v)) {
    out = {false, *t};
    return true;
  }
  error(key, path_of(key) +
                 ": expected an RFC 3339 time (2026-01-01T00:10:00Z) or an offset from "
                 "the start (+10m), got '" +
                 *v + "'");
  return false;
}

bool MapReader::choice(std::string_view key, std::string& out,
                       std::initializer_list<std::string_view> allowed) {
  auto v = scalar(key, "a string");
  if (!v) return false;
  if (std::find(allowed.begin(), allowed.end(), *v) != allowed.end()) {
    out = *v;
    return true;
  }
  std::string list;
  for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  std::string msg = path_of(key) + ": '" + *v + "' is not allowed: use one of " + list;
  const std::string guess =
      closest_match(*v, std::vector<std::string>(allowed.begin(), allowed.end()));
  if (!guess.empty()) msg += " (did you mean '" + guess + "'?)";
  error(key, msg);
  return false;
}

bool MapReader::string_map(std::string_view key, std::map<std::string, std::string>& out) {
  YAML::Node n = child(key);
  if (absent(n)) return false;
  const std::string path = path_of(key);
  if (!expect_map(n, path)) return false;
  bool ok = true;
  for (const auto& kv : n) {
    const std::string k = kv.first.Scalar();
    const std::string p = path + "." + k;
    if (!kv.second.IsScalar()) {
      ctx_.error(p, kv.second.Mark(), p + ": expected a string, got " + describe_node(kv.second));
      ok = false;
      continue;
    }
    auto r = interpolate_env(kv.second.Scalar(), ctx_.env());
    if (!r.error.empty()) {
      ctx_.error(p, kv.second.Mark(), p + ": " + r.error);
      ok = false;
      continue;
    }
    out[k] = std::move(r.text);
  }
  return ok;
}

bool MapReader::string_list(std::string_view key,
                            std::vector<std::pair<std::string, YAML::Mark>>& out) {
  YAML::Node n = child(key);
  if (absent(n)) return false;
  const std::string path = path_of(key);
  if (!n.IsSequence()) {
    ctx_.error(path, n.Mark(), path + ": expected a list, got " + describe_node(n));
    return false;
  }
  bool ok = true;
  out.clear();
  for (std::size_t i = 0; i < n.size(); ++i) {
    const YAML::Node item = n[i];
    const std::string p = path + "[" + std::to_string(i) + "]";
    if (!item.IsScalar()) {
      ctx_.error(p, item.Mark(), p + ": expected a string, got " + describe_node(item));
      ok = false;
      continue;
    }
    auto r = interpolate_env(item.Scalar(), ctx_.env());
    if (!r.error.empty()) {
      ctx_.error(p, item.Mark(), p + ": " + r.error);
      ok = false;
      continue;
    }
    out.emplace_back(std::move(r.text), item.Mark());
  }
  return ok;
}

void MapReader::finish() {
  if (!node_ || !node_.IsMap()) return;
  for (const auto& kv : node_) {
    const std::string key = kv.first.Scalar();
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    std::string msg = "unknown key '" + path_of(key) + "'";
    const std::string guess = closest_match(key, known_);
    if (!guess.empty()) {
      msg += " (did you mean '" + path_of(guess) + "'?)";
    } else {
      std::string list;
      for (const auto& k : known_) list += (list.empty() ? "" : ", ") + k;
      msg += "; known keys here: " + list;
    }
    ctx_.error(path_of(key), kv.first.Mark(), msg);
  }
}

}  // namespace gw
