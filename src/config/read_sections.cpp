#include "config/read_sections.h"

#include <set>

#include "http/http_client.h"

namespace gw {
namespace {

constexpr double kMaxLat = 90, kMaxLon = 180;

// Relative paths in the file are relative to the file's folder; from --set, to the working dir.
std::string resolve_path(MapReader& r, std::string_view key, const std::string& value,
                         const std::filesystem::path& config_dir) {
  std::filesystem::path p(value);
  if (p.is_absolute() || value.empty() || r.context().override_for(r.path_of(key))) return value;
  return (config_dir / p).lexically_normal().string();
}

void read_gateway(MapReader r, const std::filesystem::path& dir, GatewayOptions& o) {
  if (r.str("id", o.id) && o.id.empty()) r.error("id", "gateway.id: must not be empty");
  if (r.str("data_dir", o.data_dir)) o.data_dir = resolve_path(r, "data_dir", o.data_dir, dir);
  r.duration("shutdown_timeout", o.shutdown_timeout, 0);
  r.finish();
}

void read_store(MapReader r, StoreOptions& s) {
  if (!r.str("id", s.id))
    r.error("id", r.path_of("id") + ": a store needs an id");
  else if (s.id.empty())
    r.error("id", r.path_of("id") + ": must not be empty");
  r.str("name", s.name);
  r.str("city", s.city);
  r.str("region", s.region);
  r.str("country_code", s.country_code);
  r.str("timezone", s.timezone);
  if (!r.number("lat", s.lat, -kMaxLat, kMaxLat)) {
    if (absent(r.child("lat"))) r.error("lat", r.path_of("lat") + ": a store needs lat and lon");
  }
  if (!r.number("lon", s.lon, -kMaxLon, kMaxLon)) {
    if (absent(r.child("lon"))) r.error("lon", r.path_of("lon") + ": a store needs lat and lon");
  }
  r.integer("devices", s.devices, 0, 1'000'000);
  if (s.name.empty()) s.name = s.id;
  r.finish();
}

void read_disruption(MapReader r, DisruptionOptions& d) {
  r.str("store", d.store);
  const bool has_lat = r.number("lat", d.lat, -kMaxLat, kMaxLat);
  const bool has_lon = r.number("lon", d.lon, -kMaxLon, kMaxLon);
  if (!d.store && (absent(r.child("lat")) || absent(r.child("lon"))))
    r.error("lat", r.path() + ": a disruption needs lat and lon, or the id of a store");
  if (d.store && (has_lat || has_lon))
    r.error("store", r.path_of("store") + ": give either store or lat/lon, not both");
  r.number("radius_m", d.radius_m, 0, 20'000'000);
  r.number("rejected_ratio", d.rejected_ratio, 0, 1);
  r.time_spec("from", d.from);
  r.time_spec("until", d.until);
  r.finish();
}

template <typename T, typename F>
void read_list(MapReader& parent, std::string_view key, std::vector<T>& out, F read_one) {
  YAML::Node list = parent.child(key);
  if (absent(list)) return;
  const std::string path = parent.path_of(key);
  if (!list.IsSequence()) {
    parent.error(key, path + ": expected a list, got " + describe_node(list));
    return;
  }
  out.clear();
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string item = path + "[" + std::to_string(i) + "]";
    T value;
    const YAML::Node element = static_cast<const YAML::Node&>(list)[i];
    if (parent.expect_map(element, item))
      read_one(MapReader(parent.context(), element, item), value);
    out.push_back(std::move(value));
  }
}

void read_simulator(MapReader r, const std::filesystem::path& dir, SimulatorOptions& o) {
  r.boolean("enabled", o.enabled);
  r.u64("seed", o.seed);
  std::string clock;
  if (r.choice("clock", clock, {"realtime", "virtual"}))
    o.clock = clock == "virtual" ? ClockKind::virtual_time : ClockKind::realtime;
  r.timestamp("start_time", o.start_time);
  r.duration("duration", o.duration, 1);
  o.stores = default_stores();
  read_list(r, "stores", o.stores, read_store);
  if (r.str("devices_file", o.devices_file))
    o.devices_file = resolve_path(r, "devices_file", *o.devices_file, dir);

  if (YAML::Node sales = r.child("sales"); r.expect_map(sales, r.path_of("sales"))) {
    MapReader s(r.context(), sales, r.path_of("sales"));
    s.duration("interval", o.sales_interval, 1);
    if (YAML::Node amount = s.child("amount"); s.expect_map(amount, s.path_of("amount"))) {
      MapReader a(r.context(), amount, s.path_of("amount"));
      const bool got_min = a.integer("min", o.amount_min, 0, 2'147'483'647);
      const bool got_max = a.integer("max", o.amount_max, 0, 2'147'483'647);
      if ((got_min || got_max) && o.amount_min > o.amount_max)
        a.error(got_max ? "max" : "min", a.path_of("max") + ": " + std::to_string(o.amount_max) +
                                             " is below min " + std::to_string(o.amount_min) +
                                             ": max must be >= min");
      a.finish();
    }
    s.finish();
  }
  if (YAML::Node access = r.child("access"); r.expect_map(access, r.path_of("access"))) {
    MapReader a(r.context(), access, r.path_of("access"));
    a.duration("interval", o.access_interval, 1);
    a.number("rejected_ratio", o.rejected_ratio, 0, 1);
    a.finish();
  }
  read_list(r, "disruptions", o.disruptions, read_disruption);
  r.duration("max_delay", o.max_delay, 0);
  r.finish();

  // Cross-key checks.
  std::set<std::string> ids;
  for (std::size_t i = 0; i < o.stores.size(); ++i) {
    if (!o.stores[i].id.empty() && !ids.insert(o.stores[i].id).second) {
      YAML::Node n = r.child("stores");
      r.context().error(r.path_of("stores"),
                        !absent(n) ? static_cast<const YAML::Node&>(n)[i].Mark() : r.mark(),
                        "simulator.stores[" + std::to_string(i) + "]: duplicate store id '" +
                            o.stores[i].id + "'");
    }
  }
  if (o.enabled && o.stores.empty())
    r.error("stores", "simulator.stores: at least one store is needed while the simulator runs");
  for (std::size_t i = 0; i < o.disruptions.size(); ++i) {
    const auto& d = o.disruptions[i];
    YAML::Node n = r.child("disruptions");
    const YAML::Node item = absent(n) ? YAML::Node() : static_cast<const YAML::Node&>(n)[i];
    const std::string path = "simulator.disruptions[" + std::to_string(i) + "]";
    if (d.store && !ids.count(*d.store)) {
      std::string msg = path + ".store: unknown store '" + *d.store + "'";
      const std::string guess = closest_match(*d.store, {ids.begin(), ids.end()});
      if (!guess.empty()) msg += " (did you mean '" + guess + "'?)";
      r.context().error(path + ".store",
                        item.IsMap() && item["store"].IsDefined() ? item["store"].Mark() : r.mark(),
                        msg);
    }
    if (d.from.is_offset == d.until.is_offset && d.until.value <= d.from.value)
      r.context().error(path + ".until",
                        item.IsMap() && item["until"].IsDefined() ? item["until"].Mark() : r.mark(),
                        path + ".until: must be later than from");
  }
}

void read_pipeline(MapReader r, PipelineOptions& o) {
  r.duration("watermark_delay", o.watermark_delay, 0);
  r.duration("idle_timeout", o.idle_timeout, 1);
  r.duration("sales_window", o.sales_window, 1);
  r.duration("max_future", o.max_future, 0);
  r.duration("max_past", o.max_past, 0);
  r.integer("max_open_windows", o.max_open_windows, 1, 1'000'000'000);
  if (YAML::Node alerts = r.child("alerts"); r.expect_map(alerts, r.path_of("alerts"))) {
    MapReader a(r.context(), alerts, r.path_of("alerts"));
    a.duration("window", o.alerts.window, 1);
    a.duration("slide", o.alerts.slide, 1);
    a.number("k_sigma", o.alerts.k_sigma, 0, 1e9);
    a.number("min_excess", o.alerts.min_excess, 0, 1e18);
    if (o.alerts.window % o.alerts.slide != 0 || o.alerts.slide > o.alerts.window)
      a.error("slide", "pipeline.alerts.slide: " + format_duration(o.alerts.slide) +
                           " must divide pipeline.alerts.window (" +
                           format_duration(o.alerts.window) +
                           ") so every event is in window/slide "
                           "windows");
    else if (o.alerts.window / o.alerts.slide > 1000)
      a.error("slide", "pipeline.alerts.slide: window/slide may be at most 1000");
    a.finish();
  }
  r.finish();
}

bool is_http_url(const std::string& url) {
  return url.rfind("http://", 0) == 0 && url.size() > 7;
}

// Checks the URL `key` the gateway itself calls with the HTTP client's own parser, so that what
// check-config accepts the run can use. False (and an error) when it cannot be used.
bool check_client_url(MapReader& r, std::string_view key, const std::string& url,
                      const std::string& example) {
  std::string why;
  if (parse_http_url(url, why)) return true;
  r.error(key, r.path_of(key) + ": " + why + " (e.g. " + example + ")");
  return false;
}

// Reads the CA file `key` of a client calling `url`: resolved like other paths; it must load
// and is only for https.
void read_ca_file(MapReader& r, std::string_view key, const std::filesystem::path& dir,
                  const std::string& url, bool url_ok, std::string& ca_file) {
  if (!r.str(key, ca_file)) return;
  ca_file = resolve_path(r, key, ca_file, dir);
  std::string why;
  const auto parsed = parse_http_url(url, why);
  std::error_code ec;
  if (ca_file.empty())
    r.error(key, r.path_of(key) + ": must not be empty (leave it out for the system's CAs)");
  else if (url_ok && parsed && !parsed->tls)
    r.error(key, r.path_of(key) + ": only used for an https:// URL, and the URL is http://");
  else if (!std::filesystem::is_regular_file(ca_file, ec))
    r.error(key, r.path_of(key) + ": no file at " + ca_file);
  else if (std::string bad = check_ca_file(ca_file); !bad.empty())
    r.error(key, r.path_of(key) + ": " + bad);
}

void read_druid(MapReader d, const YAML::Node& node, const std::filesystem::path& dir,
                SinkOptions& o) {
  DruidSinkOptions& druid = o.druid;
  d.boolean("enabled", druid.enabled);
  bool url_ok = true;
  if (d.str("url", druid.url))
    url_ok = check_client_url(d, "url", druid.url, "http://localhost:8888, the Druid router");
  read_ca_file(d, "ca_file", dir, druid.url, url_ok, druid.ca_file);
  const bool username_ok = d.str("username", druid.username) || absent(node["username"]);
  const bool password_ok = d.str("password", druid.password) || absent(node["password"]);
  if (username_ok && password_ok && druid.username.has_value() != druid.password.has_value())
    d.error(druid.username ? "username" : "password",
            "sinks.druid: username and password go together (basic auth)");
  std::vector<std::pair<std::string, YAML::Mark>> streams;
  if (d.string_list("streams", streams)) {
    druid.streams = {};
    std::vector<std::string> names(kStreamNames.begin(), kStreamNames.end());
    for (const auto& [name, mark] : streams) {
      if (auto s = stream_from_name(name)) {
        druid.streams[stream_index(*s)] = true;
        continue;
      }
      std::string msg = "sinks.druid.streams: unknown stream '" + name + "'";
      const std::string guess = closest_match(name, names);
      msg += guess.empty() ? "; streams are sales, devices, events, events_geo, "
                             "sales_aggregate, alerts"
                           : " (did you mean '" + guess + "'?)";
      d.context().error(d.path_of("streams"), mark, msg);
    }
  }
  if (YAML::Node ds = d.child("datasources"); d.expect_map(ds, d.path_of("datasources"))) {
    MapReader m(d.context(), ds, d.path_of("datasources"));
    for (std::size_t i = 0; i < kStreamCount; ++i) {
      if (m.str(kStreamNames[i], druid.datasources[i]) && druid.datasources[i].empty())
        m.error(kStreamNames[i], m.path_of(kStreamNames[i]) + ": must not be empty");
    }
    m.finish();
  }
  d.duration("flush_interval", druid.flush_interval, 100);
  if (d.size("max_batch_bytes", druid.max_batch_bytes, 1024) &&
      druid.max_batch_bytes > (60LL << 20))
    d.error("max_batch_bytes",
            "sinks.druid.max_batch_bytes: at most 60MiB (Druid's default "
            "druid.indexer.queue.maxTaskPayloadSize); a few MiB per task is what Druid handles "
            "well");
  d.boolean("provision_supervisors", druid.provision_supervisors);
  if (d.str("kafka_bootstrap", druid.kafka_bootstrap) && druid.kafka_bootstrap.empty())
    d.error("kafka_bootstrap", "sinks.druid.kafka_bootstrap: must not be empty");
  // Druid calls this one, not the gateway: Druid's client decides what it accepts.
  if (d.str("schema_registry_url", druid.schema_registry_url) &&
      !is_http_url(druid.schema_registry_url) &&
      druid.schema_registry_url.rfind("https://", 0) != 0)
    d.error("schema_registry_url", "sinks.druid.schema_registry_url: '" +
                                       druid.schema_registry_url + "' is not an http(s):// URL");
  d.duration("request_timeout", druid.request_timeout, 100);
  d.finish();
}

void read_sinks(MapReader r, const std::filesystem::path& dir, SinkOptions& o) {
  for (std::size_t i = 0; i < kStreamCount; ++i) o.topics[i] = std::string(kDefaultTopics[i]);
  if (YAML::Node file = r.child("file"); r.expect_map(file, r.path_of("file"))) {
    MapReader f(r.context(), file, r.path_of("file"));
    f.boolean("enabled", o.file.enabled);
    if (f.str("path", o.file.path)) o.file.path = resolve_path(f, "path", o.file.path, dir);
    f.finish();
  }
  if (YAML::Node kafka = r.child("kafka"); r.expect_map(kafka, r.path_of("kafka"))) {
    MapReader k(r.context(), kafka, r.path_of("kafka"));
    k.boolean("enabled", o.kafka.enabled);
    if (k.str("brokers", o.kafka.brokers) && o.kafka.brokers.empty())
      k.error("brokers", "sinks.kafka.brokers: must not be empty");
    if (YAML::Node topics = k.child("topics"); k.expect_map(topics, k.path_of("topics"))) {
      MapReader t(r.context(), topics, k.path_of("topics"));
      for (std::size_t i = 0; i < kStreamCount; ++i) {
        if (t.str(kStreamNames[i], o.topics[i]) && o.topics[i].empty())
          t.error(kStreamNames[i], t.path_of(kStreamNames[i]) + ": a topic name must not be empty");
      }
      t.finish();
    }
    k.string_map("properties", o.kafka.properties);
    bool any_avro = false;
    if (YAML::Node formats = k.child("formats"); k.expect_map(formats, k.path_of("formats"))) {
      MapReader f(r.context(), formats, k.path_of("formats"));
      for (std::size_t i = 0; i < kStreamCount; ++i) {
        std::string format;
        if (f.choice(kStreamNames[i], format, {"json", "avro"})) {
          o.kafka.formats[i] = format == "avro" ? ValueFormat::avro : ValueFormat::json;
          any_avro = any_avro || format == "avro";
        }
      }
      f.finish();
    }
    if (YAML::Node sr = k.child("schema_registry");
        k.expect_map(sr, k.path_of("schema_registry"))) {
      MapReader s(r.context(), sr, k.path_of("schema_registry"));
      bool url_ok = true;
      if (s.str("url", o.kafka.schema_registry.url))
        url_ok = check_client_url(s, "url", *o.kafka.schema_registry.url,
                                  "https://schema-registry:8081");
      if (o.kafka.schema_registry.url)
        read_ca_file(s, "ca_file", dir, *o.kafka.schema_registry.url, url_ok,
                     o.kafka.schema_registry.ca_file);
      else if (s.str("ca_file", o.kafka.schema_registry.ca_file))
        s.error("ca_file", s.path_of("ca_file") + ": needs sinks.kafka.schema_registry.url");
      s.str("username", o.kafka.schema_registry.username);
      s.str("password", o.kafka.schema_registry.password);
      s.finish();
    }
    if (any_avro && o.kafka.enabled && !o.kafka.schema_registry.url)
      k.error("formats", "sinks.kafka.formats: avro needs sinks.kafka.schema_registry.url");
    k.finish();
  }
  if (YAML::Node druid = r.child("druid"); r.expect_map(druid, r.path_of("druid")))
    read_druid(MapReader(r.context(), druid, r.path_of("druid")), druid, dir, o);
  for (std::size_t i = 0; i < kStreamCount; ++i)
    if (o.druid.datasources[i].empty()) o.druid.datasources[i] = o.topics[i];
  if (o.druid.kafka_bootstrap.empty()) o.druid.kafka_bootstrap = o.kafka.brokers;
  if (o.druid.schema_registry_url.empty() && o.kafka.schema_registry.url)
    o.druid.schema_registry_url = *o.kafka.schema_registry.url;
  if (o.druid.provision_supervisors && o.druid.schema_registry_url.empty()) {
    for (std::size_t i = 0; i < kStreamCount; ++i) {
      if (o.kafka.formats[i] != ValueFormat::avro || o.druid.streams[i]) continue;
      r.error("druid", "sinks.druid.provision_supervisors: the " + std::string(kStreamNames[i]) +
                           " stream is Avro, so its supervisor needs "
                           "sinks.druid.schema_registry_url (or "
                           "sinks.kafka.schema_registry.url)");
      break;
    }
  }
  r.finish();
}

void read_buffer(MapReader r, BufferOptions& o) {
  r.size("max_bytes", o.max_bytes, 64 * 1024);
  r.duration("max_age", o.max_age, 1000);
  std::string when_full, sync;
  if (r.choice("when_full", when_full, {"drop_oldest", "block"}))
    o.when_full = when_full == "block" ? WhenFull::block : WhenFull::drop_oldest;
  if (r.choice("sync", sync, {"normal", "full"}))
    o.sync = sync == "full" ? SyncMode::full : SyncMode::normal;
  r.finish();
}

// http.allowed_hosts ("name" or "name:port") and http.allowed_origins ("http(s)://host[:port]").
void read_allowed(MapReader& r, std::string_view key, std::vector<std::string>& out, bool origins) {
  std::vector<std::pair<std::string, YAML::Mark>> items;
  if (!r.string_list(key, items)) return;
  out.clear();
  for (const auto& [item, mark] : items) {
    std::string rest = item;
    if (origins) {
      const std::size_t scheme = item.find("://");
      const std::string s = scheme == std::string::npos ? "" : item.substr(0, scheme);
      rest = s == "http" || s == "https" ? item.substr(scheme + 3) : "";
    }
    if (rest.empty() || rest.find_first_of("/ \t?#@") != std::string::npos)
      r.context().error(r.path_of(key), mark,
                        r.path_of(key) + ": '" + item + "' is not " +
                            (origins ? "an origin such as http://dashboard.example:3000"
                                     : "a host name such as gateway.local or gateway.local:8080"));
    else
      out.push_back(item);
  }
}

void read_http(MapReader r, HttpOptions& o) {
  if (r.str("listen", o.listen)) {
    const auto colon = o.listen.rfind(':');
    const std::string port = colon == std::string::npos ? "" : o.listen.substr(colon + 1);
    if (colon == std::string::npos || port.empty() ||
        port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
        std::stoi(port) > 65535)
      r.error("listen",
              "http.listen: '" + o.listen + "' is not an address:port such as 127.0.0.1:8080");
  }
  if (r.str("token", o.token) && o.token->empty())
    r.error("token", "http.token: must not be empty (leave it out for no token)");
  r.size("max_body", o.max_body, 1024);
  r.integer("max_connections", o.max_connections, 1, 10'000);
  r.duration("request_timeout", o.request_timeout, 100);
  read_allowed(r, "allowed_hosts", o.allowed_hosts, false);
  read_allowed(r, "allowed_origins", o.allowed_origins, true);
  if (!o.loopback() && !o.token)
    r.error("listen",
            "http.listen: '" + o.listen + "' is not a loopback address, so http.token is required");
  r.finish();
}

}  // namespace

void read_all_sections(ConfigContext& ctx, const YAML::Node& root,
                       const std::filesystem::path& config_dir, Options& out) {
  MapReader r(ctx, root, "");
  auto section = [&](std::string_view key) {
    YAML::Node n = r.child(key);
    r.expect_map(n, std::string(key));
    return MapReader(ctx, n.IsMap() ? n : YAML::Node(), std::string(key));
  };
  read_gateway(section("gateway"), config_dir, out.gateway);
  read_simulator(section("simulator"), config_dir, out.simulator);
  read_pipeline(section("pipeline"), out.pipeline);
  read_buffer(section("buffer"), out.buffer);
  read_sinks(section("sinks"), config_dir, out.sinks);
  read_http(section("http"), out.http);
  r.finish();
}

std::string HttpOptions::listen_host() const {
  const std::string host = listen.substr(0, listen.rfind(':'));
  return host == "0.0.0.0" || host == "[::]" ? std::string() : host;
}

bool HttpOptions::loopback() const {
  const std::string host = listen.substr(0, listen.rfind(':'));
  return host.rfind("127.", 0) == 0 || host == "[::1]" || host == "localhost";
}

std::vector<StoreOptions> default_stores() {
  auto store = [](const char* id, const char* name, double lat, double lon) {
    StoreOptions s;
    s.id = id;
    s.name = name;
    s.city = "Zürich";
    s.region = "Zurich";
    s.lat = lat;
    s.lon = lon;
    s.devices = 10;
    return s;
  };
  return {store("ABC", "Store ABC (Hauptbahnhof)", 47.3779, 8.5403),
          store("DEF", "Store DEF (Wiedikon)", 47.3707, 8.5206),
          store("GHI", "Store GHI (Oerlikon)", 47.4111, 8.5441)};
}

}  // namespace gw
