// Store-and-forward buffer throughput: records/s and MB/s through Buffer::commit() (batches of
// 20,000 records with the run state, as the gateway commits them) and through commit + a
// concurrent sink thread draining with next_for()/confirm(), for sync normal and full; the
// same rows inserted by the sqlite3 command-line tool in one transaction as a baseline; and
// the buffer's share of a full virtual run. Inputs are generated before timing. Prints the
// median of repeated runs. See bench/README.md.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "app/run_state.h"
#include "buffer/buffer.h"
#include "config/options.h"
#include "core/clock.h"
#include "pipeline/pipeline.h"
#include "sources/registry_builder.h"
#include "sources/simulator.h"

namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

// As in app/gateway.cpp.
constexpr gw::DurationMs kVirtualStep = 1000;
constexpr std::size_t kCommitRecords = 20'000;
constexpr gw::DurationMs kCommitInterval = 250;

double seconds_since(Steady::time_point t0) {
  return std::chrono::duration<double>(Steady::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Median wall time (s) of `reps` calls of run(), which returns the seconds it measured.
double median_seconds(int reps, const std::function<double()>& run) {
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) t.push_back(run());
  return median(t);
}

// A fresh, empty directory under the system's temp dir; removed by the destructor.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "bench-buffer-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// The 1,000 Zürich devices plus the default stores (10 devices each), one access event per
// device and second, a bounded virtual-clock run of `duration`.
gw::Options make_options(gw::DurationMs duration) {
  gw::Options o;
  o.gateway.id = "bench-gw";
  o.simulator.clock = gw::ClockKind::virtual_time;
  o.simulator.stores = gw::default_stores();
  o.simulator.devices_file = std::string(PROJECT_DIR) + "/data/devices_zurich.json";
  o.simulator.access_interval = 1000;
  o.simulator.duration = duration;
  return o;
}

// The gateway's virtual-clock run loop (app/gateway.cpp) without the buffer: source ->
// pipeline, and `commit(pending, pipeline, simulator)` whenever the gateway would commit (20,000
// records or 250 ms of wall time), then once at the end with every window fired. `commit`
// takes the records away (clears `pending`).
using CommitFn = std::function<void(gw::RecordBatch&, const gw::Pipeline&, const gw::Simulator&)>;

void virtual_run(const gw::Options& o, const gw::DeviceRegistry& registry, const CommitFn& commit) {
  gw::Pipeline pipeline(o.pipeline, registry, gw::RecordEncoder(o.gateway.id));
  gw::Simulator simulator(o.simulator, registry, o.simulator.start_time);
  gw::RecordBatch pending;
  std::vector<gw::Event> events;
  pipeline.emit_registry(pending);
  gw::SystemClock wall;
  gw::TimeMs last_commit = wall.now();
  while (!simulator.finished()) {
    const gw::TimeMs next = simulator.next_arrival();
    const gw::TimeMs now = next >= gw::kTimeMax - kVirtualStep ? next : next + kVirtualStep - 1;
    events.clear();
    simulator.poll(now, events);
    for (const gw::Event& e : events) pipeline.process(e, pending);
    pipeline.take_reports();
    const gw::TimeMs wall_now = wall.now();
    if (pending.size() >= kCommitRecords ||
        (!pending.empty() && wall_now - last_commit >= kCommitInterval)) {
      commit(pending, pipeline, simulator);
      last_commit = wall_now;
    }
  }
  pipeline.finish(pending);
  pipeline.take_reports();
  commit(pending, pipeline, simulator);
}

std::size_t record_bytes(const std::vector<gw::Record>& records) {
  std::size_t n = 0;
  for (const auto& r : records) n += r.key.size() + r.value.size();
  return n;
}

// Drains sink 0 of `buffer` with next_for()/confirm() until `total` records are confirmed.
void drain(gw::Buffer& buffer, std::size_t total) {
  gw::SinkCursor cursor;
  std::size_t confirmed = 0;
  while (confirmed < total) {
    auto chunk = buffer.next_for(0, cursor);
    if (!chunk) {
      buffer.wait_for_change(200);  // as SinkRunner does
      continue;
    }
    buffer.confirm(0, chunk->id);
    confirmed += chunk->records.size();
    cursor.advance(*chunk);
  }
}

gw::BufferOptions buffer_options(gw::SyncMode sync) {
  gw::BufferOptions b;
  b.sync = sync;
  b.max_bytes = std::int64_t{1} << 40;  // never full: nothing is dropped
  return b;
}

// Seconds to open a fresh buffer, commit every batch with `state`, (if `confirm`) drain and
// confirm everything on a concurrent sink thread, and close the buffer.
double time_buffer(const std::vector<std::vector<gw::Record>>& batches, std::size_t total,
                   const std::string& state, gw::SyncMode sync, bool confirm,
                   std::int64_t* stored_bytes) {
  TempDir dir;
  gw::GatewayOptions g;
  g.data_dir = dir.path().string();
  gw::SystemClock wall;
  ::sync();  // no writeback left over from earlier steps
  const auto t0 = Steady::now();
  {
    gw::Buffer buffer(g, buffer_options(sync), {"bench"}, wall);
    std::thread reader;
    if (confirm) reader = std::thread([&] { drain(buffer, total); });
    for (const auto& batch : batches)
      if (buffer.commit(batch, &state) != gw::CommitResult::ok)
        throw std::runtime_error("buffer commit failed");
    if (confirm) {
      buffer.notify_all();
      reader.join();
    } else if (stored_bytes) {
      *stored_bytes = buffer.bytes();
    }
  }
  return seconds_since(t0);
}

// "'" -> "''" inside an SQL string literal.
void append_sql_string(std::string& out, const std::string& s) {
  out += '\'';
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
}

void write_sql_script(const fs::path& file, const std::vector<gw::Record>& records,
                      const char* sync) {
  std::ofstream out(file, std::ios::binary);
  out << "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=" << sync
      << ";\nCREATE TABLE records(stream INTEGER, key TEXT, value TEXT);\nBEGIN;\n";
  std::string line;
  for (const auto& r : records) {
    line = "INSERT INTO records VALUES(" + std::to_string(gw::stream_index(r.stream)) + ",";
    append_sql_string(line, r.key);
    line += ',';
    append_sql_string(line, r.value);
    line += ");\n";
    out << line;
  }
  out << "COMMIT;\n";
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

// Seconds for `sqlite3 DB < script > /dev/null` on a fresh database file, as a whole command.
double time_sqlite3(const fs::path& script, const fs::path& dir) {
  const fs::path db = dir / "baseline.db";
  const std::string cmd = "sqlite3 '" + db.string() + "' < '" + script.string() + "' > /dev/null";
  ::sync();  // no writeback left over from earlier steps
  const auto t0 = Steady::now();
  const int rc = std::system(cmd.c_str());
  const double s = seconds_since(t0);
  if (rc != 0) throw std::runtime_error("failed: " + cmd);
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db.string() + suffix);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  const int reps = argc > 2 ? std::max(1, std::atoi(argv[2])) : 3;
  const auto t_start = Steady::now();

  // --- Inputs: the first n records of a virtual run long enough to produce them. ---
  gw::Diagnostics errors;
  const gw::Options probe = make_options(60'000);
  const gw::DeviceRegistry registry = gw::build_registry(probe.simulator, errors);
  if (!errors.empty()) {
    for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.format().c_str());
    return 1;
  }
  // Two records (events, events_geo) per access event, one access event per device and second.
  const gw::DurationMs duration =
      (static_cast<gw::DurationMs>(n / (2 * registry.size())) + 1) * 1000;
  const gw::Options options = make_options(duration);
  gw::RunState run_state;
  run_state.fingerprint = gw::config_fingerprint(options);
  run_state.registry_hash = gw::registry_fingerprint(registry);

  std::vector<gw::Record> records;
  std::size_t full_run_records = 0;
  std::string state;  // the run state at the last commit, as the gateway saves it
  virtual_run(options, registry,
              [&](gw::RecordBatch& pending, const gw::Pipeline& p, const gw::Simulator& s) {
                full_run_records += pending.size();
                const std::size_t take = std::min(pending.size(), n - records.size());
                records.insert(records.end(), pending.begin(), pending.begin() + take);
                pending.clear();
                run_state.pipeline = p.snapshot();
                run_state.simulator = s.snapshot();
                state = gw::encode_run_state(run_state);
              });
  if (records.size() < n) {
    std::fprintf(stderr, "the run produced only %zu records\n", records.size());
    return 1;
  }
  std::vector<std::vector<gw::Record>> batches;
  for (std::size_t i = 0; i < n; i += kCommitRecords)
    batches.emplace_back(
        records.begin() + static_cast<std::ptrdiff_t>(i),
        records.begin() + static_cast<std::ptrdiff_t>(std::min(n, i + kCommitRecords)));
  const std::size_t bytes = record_bytes(records);
  std::array<std::size_t, gw::kStreamCount> per_stream{};
  for (const auto& r : records) ++per_stream[gw::stream_index(r.stream)];

  std::printf(
      "inputs: %zu records (%.1f MB uncompressed, mean %.0f B) from a virtual run of %lld s, "
      "%zu devices, 1 access event/device/s\n",
      n, static_cast<double>(bytes) / 1e6, static_cast<double>(bytes) / static_cast<double>(n),
      static_cast<long long>(duration / 1000), registry.size());
  std::printf("  by stream:");
  for (std::size_t i = 0; i < gw::kStreamCount; ++i)
    if (per_stream[i]) {
      const std::string_view name = gw::stream_name(gw::kAllStreams[i]);
      std::printf(" %.*s %zu", static_cast<int>(name.size()), name.data(), per_stream[i]);
    }
  std::printf("\n  %zu commits of <= %zu records, each with the run state (%zu B)\n",
              batches.size(), kCommitRecords, state.size());
  std::printf("median of %d runs; steady-clock wall time; 2 threads when a sink drains\n", reps);

  TempDir work;
  const auto rate = [&](double s) { return static_cast<double>(n) / s; };
  const auto mbps = [&](double s) { return static_cast<double>(bytes) / s / 1e6; };

  struct Mode {
    gw::SyncMode sync;
    const char* name;
  };
  for (const Mode m : {Mode{gw::SyncMode::normal, "NORMAL"}, Mode{gw::SyncMode::full, "FULL"}}) {
    const fs::path script = work.path() / "insert.sql";
    write_sql_script(script, records, m.name);
    const double baseline = median_seconds(reps, [&] { return time_sqlite3(script, work.path()); });
    fs::remove(script);
    std::int64_t stored = 0;
    const double append = median_seconds(
        reps, [&] { return time_buffer(batches, n, state, m.sync, false, &stored); });
    const double confirm =
        median_seconds(reps, [&] { return time_buffer(batches, n, state, m.sync, true, nullptr); });

    std::printf("\nsync %s:\n", m.name);
    std::printf(
        "  buffer append (open, %zu commits, close):             %9.0f records/s %7.1f MB/s "
        "(%.1f MB stored, LZ4)\n",
        batches.size(), rate(append), mbps(append), static_cast<double>(stored) / 1e6);
    std::printf(
        "  buffer append + confirm (concurrent sink thread):     %9.0f records/s %7.1f MB/s\n",
        rate(confirm), mbps(confirm));
    std::printf(
        "  sqlite3 CLI, one transaction (WAL, synchronous=%s):%*s %9.0f records/s %7.1f MB/s\n",
        m.name, m.sync == gw::SyncMode::full ? 2 : 0, "", rate(baseline), mbps(baseline));
    std::printf("  ratio ours/sqlite3: append %.2f, append + confirm %.2f\n",
                rate(append) / rate(baseline), rate(confirm) / rate(baseline));
  }

  // --- Share of a full virtual run: the same run without and with the buffer. ---
  const double without = median_seconds(reps, [&] {
    ::sync();
    const auto t0 = Steady::now();
    virtual_run(options, registry,
                [](gw::RecordBatch& pending, const gw::Pipeline&, const gw::Simulator&) {
                  pending.clear();
                });
    return seconds_since(t0);
  });
  // Per run: the main thread's time in snapshots + state encoding, in Buffer::commit(), and
  // waiting for the sink after the last commit; the median run's are printed.
  struct Parts {
    double total = 0, state = 0, commit = 0, tail = 0;
  };
  std::vector<Parts> parts;
  std::size_t commits = 0;
  const double with = median_seconds(reps, [&] {
    TempDir dir;
    gw::GatewayOptions g;
    g.data_dir = dir.path().string();
    gw::SystemClock wall;
    Parts p;
    commits = 0;
    ::sync();
    const auto t0 = Steady::now();
    {
      gw::Buffer buffer(g, buffer_options(gw::SyncMode::normal), {"bench"}, wall);
      std::thread reader([&] { drain(buffer, full_run_records); });
      gw::RunState rs = run_state;
      virtual_run(options, registry,
                  [&](gw::RecordBatch& pending, const gw::Pipeline& pl, const gw::Simulator& sim) {
                    const auto t1 = Steady::now();
                    rs.pipeline = pl.snapshot();
                    rs.simulator = sim.snapshot();
                    const std::string st = gw::encode_run_state(rs);
                    const auto t2 = Steady::now();
                    if (buffer.commit(pending, &st) != gw::CommitResult::ok)
                      throw std::runtime_error("buffer commit failed");
                    p.state += std::chrono::duration<double>(t2 - t1).count();
                    p.commit += seconds_since(t2);
                    pending.clear();
                    ++commits;
                  });
      const auto t3 = Steady::now();
      buffer.notify_all();
      reader.join();
      p.tail = seconds_since(t3);
    }
    p.total = seconds_since(t0);
    parts.push_back(p);
    return p.total;
  });
  const Parts mid =
      *std::find_if(parts.begin(), parts.end(), [&](const Parts& p) { return p.total == with; });
  std::printf("\nfull virtual run (%lld s simulated, %zu records), sync NORMAL:\n",
              static_cast<long long>(duration / 1000), full_run_records);
  std::printf("  without buffer (records produced and discarded):      %7.3f s\n", without);
  std::printf("  with buffer (%zu commits with state, sink thread confirming): %7.3f s\n", commits,
              with);
  std::printf(
      "    of which on the main thread: snapshots + state encoding %.3f s, Buffer::commit %.3f s; "
      "waiting for the sink after the last commit %.3f s\n",
      mid.state, mid.commit, mid.tail);
  std::printf("  buffer share = (with - without) / with:                %6.1f %%\n",
              100.0 * (with - without) / with);
  std::printf("(total bench time %.1f s)\n", seconds_since(t_start));
  return 0;
}
