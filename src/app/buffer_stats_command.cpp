#include "app/buffer_stats_command.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "app/gateway.h"
#include "buffer/buffer.h"
#include "core/clock.h"
#include "core/secrets.h"

namespace gw {
namespace {

std::string age_text(std::optional<TimeMs> created, TimeMs now) {
  if (!created) return "-";
  return format_duration(std::max<TimeMs>(0, now - *created) / 1000 * 1000);
}

void print_json(const BufferStats& st, TimeMs now, const std::string& path) {
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("path");
  w.String(path);
  w.Key("bytes");
  w.Int64(st.bytes);
  w.Key("streams");
  w.StartObject();
  for (std::size_t i = 0; i < kStreamCount; ++i) {
    const auto& s = st.streams[i];
    w.Key(std::string(kStreamNames[i]));
    w.StartObject();
    w.Key("records");
    w.Int64(s.records);
    w.Key("bytes");
    w.Int64(s.bytes);
    w.Key("oldest_age_ms");
    if (s.oldest_created)
      w.Int64(std::max<TimeMs>(0, now - *s.oldest_created));
    else
      w.Null();
    w.Key("drops");
    w.StartObject();
    for (const auto& [reason, n] : s.drops) {
      w.Key(reason);
      w.Int64(n);
    }
    w.EndObject();
    w.EndObject();
  }
  w.EndObject();
  w.Key("sinks");
  w.StartObject();
  for (const auto& [sink, n] : st.unconfirmed) {
    w.Key(sink);
    w.StartObject();
    w.Key("unconfirmed_records");
    w.Int64(n);
    w.EndObject();
  }
  w.EndObject();
  w.Key("waiting");
  w.StartArray();
  for (const auto& x : st.waiting) {
    w.StartObject();
    w.Key("sink");
    w.String(x.sink);
    w.Key("stream");
    w.String(std::string(stream_name(x.stream)));
    w.Key("records");
    w.Int64(x.records);
    w.Key("why");
    w.String(x.sink_disabled ? "sink_disabled" : "stream_not_taken");
    w.EndObject();
  }
  w.EndArray();
  w.Key("dead_letters");
  w.StartObject();
  for (const auto& [sink, d] : st.dead_letters) {
    w.Key(sink);
    w.StartObject();
    w.Key("batches");
    w.Int64(d.batches);
    w.Key("records");
    w.Int64(d.records);
    w.Key("last_at");
    w.String(format_iso8601(d.last_at));
    w.Key("last_reason");
    w.String(d.last_reason);
    w.EndObject();
  }
  w.EndObject();
  w.Key("counters");
  w.StartObject();
  for (const auto& [name, n] : st.counters) {
    w.Key(name);
    w.Int64(n);
  }
  w.EndObject();
  w.EndObject();
  std::cout << buf.GetString() << "\n";
}

void print_table(const BufferStats& st, TimeMs now, const std::string& path) {
  std::printf("buffer %s: %lld bytes of records\n\n", path.c_str(),
              static_cast<long long>(st.bytes));
  std::printf("%-16s %10s %12s %10s  %s\n", "stream", "records", "bytes", "oldest", "drops");
  for (std::size_t i = 0; i < kStreamCount; ++i) {
    const auto& s = st.streams[i];
    std::string drops;
    for (const auto& [reason, n] : s.drops)
      drops += (drops.empty() ? "" : ", ") + reason + " " + std::to_string(n);
    std::printf("%-16s %10lld %12lld %10s  %s\n", std::string(kStreamNames[i]).c_str(),
                static_cast<long long>(s.records), static_cast<long long>(s.bytes),
                age_text(s.oldest_created, now).c_str(), drops.empty() ? "-" : drops.c_str());
  }
  std::printf("\n%-16s %10s\n", "sink", "unconfirmed");
  for (const auto& [sink, n] : st.unconfirmed)
    std::printf("%-16s %10lld\n", sink.c_str(), static_cast<long long>(n));
  if (!st.waiting.empty()) {
    std::printf(
        "\nkept for a sink not enabled at the last start, or a stream it no longer took\n"
        "(delivered once it takes them again; `iot-gateway buffer discard --sink NAME` drops "
        "them):\n%-16s %-16s %10s  %s\n",
        "sink", "stream", "records", "why");
    for (const auto& x : st.waiting)
      std::printf("%-16s %-16s %10lld  %s\n", x.sink.c_str(),
                  std::string(stream_name(x.stream)).c_str(), static_cast<long long>(x.records),
                  x.sink_disabled ? "sink not enabled" : "stream not taken");
  }
  for (const auto& [sink, d] : st.dead_letters)
    std::printf("\ndead letters of sink %s: %lld records in %lld batches, last at %s: %s\n",
                sink.c_str(), static_cast<long long>(d.records), static_cast<long long>(d.batches),
                format_iso8601(d.last_at).c_str(), d.last_reason.c_str());
  if (auto it = st.counters.find("buffer_corruptions"); it != st.counters.end())
    std::printf("\ncorrupt buffers set aside: %lld\n", static_cast<long long>(it->second));
}

}  // namespace

std::optional<std::string> existing_buffer(const Options& options) {
  const std::string path =
      (std::filesystem::path(options.gateway.data_dir) / "gateway.db").string();
  if (std::filesystem::exists(path)) return path;
  std::cerr << "iot-gateway: no buffer at " << path
            << " (the gateway has not run with this data_dir)\n";
  return std::nullopt;
}

int buffer_stats_command(const Options& options, bool json) {
  const auto found = existing_buffer(options);
  if (!found) return kExitRuntime;
  const std::string& path = *found;
  SystemClock wall;
  try {
    const TimeMs now = wall.now();
    BufferStats st = Buffer::read_stats(path);
    for (auto& [sink, d] : st.dead_letters) d.last_reason = mask_url_credentials(d.last_reason);
    json ? print_json(st, now, path) : print_table(st, now, path);
  } catch (const std::exception& e) {
    std::cerr << "iot-gateway: cannot read " << path << ": " << e.what() << "\n";
    return kExitRuntime;
  }
  return kExitOk;
}

}  // namespace gw
