#include "sinks/druid/druid_sink.h"

#include <algorithm>
#include <array>
#include <map>

#include "core/log.h"
#include "sinks/druid/druid_specs.h"
#include "sinks/druid/supervisor_provisioning.h"

namespace gw {
namespace {

constexpr DurationMs kPollLimit = 120'000;  // then `retry`; the next delivery goes on waiting
constexpr DurationMs kPollFirst = 100, kPollMax = 2000;

bool is_success(const DruidAnswer& a) {
  return a.reached && a.status >= 200 && a.status < 300;
}

bool already_exists(const DruidAnswer& a) {
  return a.reached && (a.status == 400 || a.status == 409) &&
         a.message.find("already exists") != std::string::npos;
}

// Druid task ids: keep to letters, digits and - _ .
std::string id_safe(const std::string& s) {
  std::string out = s;
  for (char& c : out) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) c = '_';
  }
  return out;
}

}  // namespace

DruidSink::DruidSink(const Options& options)
    : options_(options.sinks.druid), gateway_id_(options.gateway.id), client_(options_) {
  if (options_.provision_supervisors)
    provisioner_ = std::thread([this, options] { provision_loop(options); });
}

DruidSink::~DruidSink() {
  stopping_.store(true);
  wake_.notify();
  if (provisioner_.joinable()) provisioner_.join();
}

std::string DruidSink::task_id(const std::string& gateway_id, const std::string& batch_id,
                               int attempt) {
  std::string id = "iot-gateway_" + id_safe(gateway_id) + "_" + id_safe(batch_id);
  if (attempt > 0) id += "_r" + std::to_string(attempt);
  return id;
}

BatchPolicy DruidSink::batch_policy() const {
  BatchPolicy p;
  p.max_chunks = 1'000'000;
  p.max_records = 10'000'000;
  p.max_bytes = static_cast<std::size_t>(options_.max_batch_bytes);
  p.one_stream = true;
  p.flush_interval = options_.flush_interval;
  p.stable_batches = true;
  p.isolate_rejects = false;
  return p;
}

SinkHealth DruidSink::health() const {
  std::lock_guard lock(health_mutex_);
  return health_;
}

std::optional<bool> DruidSink::connected() const {
  const int c = connected_.load();
  if (c < 0) return std::nullopt;
  return c == 1;
}

std::vector<SinkMetric> DruidSink::metrics() const {
  const char* help_total =
      "Druid batch tasks by outcome: submitted, success, failed (retried), "
      "rejected (dead-lettered), resumed (found done after a restart).";
  std::vector<SinkMetric> m;
  for (const auto& [outcome, n] :
       {std::pair{"submitted", submitted_.load()}, std::pair{"success", succeeded_.load()},
        std::pair{"failed", failed_.load()}, std::pair{"rejected", rejected_.load()},
        std::pair{"resumed", resumed_.load()}})
    m.push_back({"druid_tasks_total",
                 "counter",
                 help_total,
                 {{"outcome", outcome}},
                 static_cast<double>(n)});
  const char* help_rows =
      "Rows of succeeded Druid tasks by outcome, from the tasks' reports: processed, "
      "processed_with_error, thrown_away, unparseable (the last two are not in Druid).";
  for (const auto& [outcome, n] : {std::pair{"processed", rows_processed_.load()},
                                   std::pair{"processed_with_error", rows_with_error_.load()},
                                   std::pair{"thrown_away", rows_thrown_away_.load()},
                                   std::pair{"unparseable", rows_unparseable_.load()}})
    m.push_back(
        {"druid_rows_total", "counter", help_rows, {{"outcome", outcome}}, static_cast<double>(n)});
  m.push_back({"druid_tasks_running",
               "gauge",
               "Druid batch tasks the gateway is waiting for.",
               {},
               static_cast<double>(running_.load())});
  return m;
}

DeliveryResult DruidSink::note(DeliveryResult r) {
  std::lock_guard lock(health_mutex_);
  health_ = r.status == DeliveryStatus::retry ? SinkHealth{false, r.message} : SinkHealth{};
  return r;
}

DeliveryResult DruidSink::deliver(const Batch& batch) {
  if (batch.records.empty()) return {};
  if (attempt_batch_ != batch.id) {  // after a restart, the attempts are looked up again
    attempt_batch_ = batch.id;
    next_attempt_.clear();
  }
  const DeliveryResult whole = run_task(batch, 0, batch.records.size());
  if (whole.status != DeliveryStatus::rejected || batch.records.size() == 1) return note(whole);
  std::vector<RejectedRecord> refused;
  DeliveryResult parts = bisect(batch, 0, batch.records.size(), refused);
  if (parts.status == DeliveryStatus::rejected) return note(whole);
  parts.rejected_records = std::move(refused);
  return note(parts);
}

// [lo, hi) was refused (400/413): its halves go as tasks of their own. Both refused too: not a
// matter of single rows, the range is refused as a whole (at most 3 submissions for a refusal
// of every task). Else the refused half is split again, down to the single rows refused.
DeliveryResult DruidSink::bisect(const Batch& batch, std::size_t lo, std::size_t hi,
                                 std::vector<RejectedRecord>& refused) {
  const std::size_t mid = lo + (hi - lo) / 2;
  const std::array<std::pair<std::size_t, std::size_t>, 2> halves{{{lo, mid}, {mid, hi}}};
  std::array<DeliveryResult, 2> r;
  for (std::size_t h = 0; h < 2; ++h) {
    r[h] = run_task(batch, halves[h].first, halves[h].second);
    if (r[h].status == DeliveryStatus::retry) return r[h];
  }
  if (r[0].status == DeliveryStatus::rejected && r[1].status == DeliveryStatus::rejected)
    return r[0];
  for (std::size_t h = 0; h < 2; ++h) {
    if (r[h].status != DeliveryStatus::rejected) continue;
    const auto [from, to] = halves[h];
    DeliveryResult sub = to - from == 1 ? r[h] : bisect(batch, from, to, refused);
    if (sub.status == DeliveryStatus::retry) return sub;
    if (sub.status == DeliveryStatus::rejected)
      for (std::size_t i = from; i < to; ++i) refused.push_back({i, sub.message});
  }
  return {};
}

// One task for the rows [lo, hi) of the batch: the whole batch under the batch's id, a part
// under an id naming its rows.
DeliveryResult DruidSink::run_task(const Batch& batch, std::size_t lo, std::size_t hi) {
  const bool whole = lo == 0 && hi == batch.records.size();
  const std::string base =
      whole ? batch.id : batch.id + "-rows-" + std::to_string(lo) + "-" + std::to_string(hi - 1);
  int& attempt = next_attempt_[base];
  for (;; ++attempt) {
    const std::string id = task_id(gateway_id_, base, attempt);
    const DruidTaskStatus st = client_.task_status(id);
    connected_.store(st.answer.reached ? 1 : 0);
    if (st.state == DruidTaskState::failed) continue;  // that attempt is over: the next id
    if (st.state == DruidTaskState::success) {
      ++resumed_;  // done before a crash or a lost answer: not sent twice
      log::info("druid: task " + id + " had already succeeded; its rows are confirmed");
      return {};
    }
    if (st.state == DruidTaskState::running) return await_task(id, hi - lo);
    if (st.answer.status != 404) return {DeliveryStatus::retry, st.answer.message};

    std::string data;
    std::size_t bytes = 0;
    for (std::size_t i = lo; i < hi; ++i) bytes += batch.records[i].value.size() + 1;
    data.reserve(bytes);
    for (std::size_t i = lo; i < hi; ++i) {
      data += batch.records[i].value;
      data += '\n';
    }
    const DruidAnswer a = client_.submit_task(druid_index_task(options_, batch.stream, id, data));
    connected_.store(a.reached ? 1 : 0);
    if (is_success(a) || already_exists(a)) {
      if (is_success(a)) ++submitted_;
      return await_task(id, hi - lo);
    }
    if (a.reached && (a.status == 400 || a.status == 413)) {
      ++rejected_;
      return {DeliveryStatus::rejected, "task " + id + " for datasource " +
                                            options_.datasource(batch.stream) + ": " + a.message};
    }
    return {DeliveryStatus::retry, a.message};
  }
}

DeliveryResult DruidSink::await_task(const std::string& id, std::size_t rows) {
  ++running_;
  DurationMs waited = 0, pause = kPollFirst;
  DeliveryResult result{DeliveryStatus::retry, "task " + id + " still running after " +
                                                   format_duration(kPollLimit) +
                                                   "; the gateway keeps waiting for it"};
  while (waited < kPollLimit) {
    const DruidTaskStatus st = client_.task_status(id);
    connected_.store(st.answer.reached ? 1 : 0);
    if (st.state == DruidTaskState::success) {
      ++succeeded_;
      log::debug("druid: task " + id + " succeeded with " + std::to_string(rows) + " rows");
      count_rows(id, rows);
      result = {};
      break;
    }
    if (st.state == DruidTaskState::failed) {
      ++failed_;
      result = {DeliveryStatus::retry, "task " + id + " FAILED" +
                                           (st.error.empty() ? "" : ": " + st.error) +
                                           "; the batch is sent again as a new task"};
      break;
    }
    if (st.state == DruidTaskState::unknown && st.answer.status == 404) {
      result = {DeliveryStatus::retry, "task " + id + " is unknown to Druid after submission"};
      break;
    }
    // RUNNING, or no (readable) answer: ask again in a moment.
    wake_.wait_for(pause);
    waited += pause;
    pause = std::min(pause * 2, kPollMax);
  }
  --running_;
  return result;
}

// Druid may take a task's rows only in part: rows outside the datasource's time filter or
// with a bad timestamp are dropped yet the task succeeds. Counted, and logged per task.
void DruidSink::count_rows(const std::string& id, std::size_t sent) {
  const std::optional<DruidRowStats> st = client_.task_row_stats(id);
  if (!st) {
    log::debug("druid: no row statistics for task " + id);
    return;
  }
  rows_processed_ += st->processed;
  rows_with_error_ += st->processed_with_error;
  rows_thrown_away_ += st->thrown_away;
  rows_unparseable_ += st->unparseable;
  if (st->thrown_away + st->unparseable + st->processed_with_error > 0)
    log::warn("druid: task " + id + " took " + std::to_string(st->processed) + " of " +
              std::to_string(sent) + " rows: " + std::to_string(st->thrown_away) +
              " thrown away, " + std::to_string(st->unparseable) + " unparseable, " +
              std::to_string(st->processed_with_error) + " processed with errors");
}

void DruidSink::provision_loop(Options options) {
  DurationMs pause = 1000;
  while (!stopping_.load()) {
    const ProvisionReport r = provision_supervisors(
        options, client_, [](const std::string& line) { log::info("druid: " + line); });
    if (r.failed == 0) {
      log::info("druid: " + std::to_string(r.posted) + " Kafka supervisors provisioned");
      return;
    }
    log::warn("druid: " + std::to_string(r.failed) +
              " supervisors could not be posted; trying again in " + format_duration(pause));
    wake_.wait_for(pause);
    pause = std::min<DurationMs>(pause * 2, 300'000);
  }
}

}  // namespace gw
