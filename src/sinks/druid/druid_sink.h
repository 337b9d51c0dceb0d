// Pushes the configured streams (sinks.druid.streams) to Druid as native batch tasks:
// `index_parallel` with the records as inline JSON and appendToExisting: true.
//
// One task per batch; the runner hands over one stream per batch, every flush_interval or as
// soon as max_batch_bytes wait, and (stable batches) the very same batch again after a retry or
// a restart. The task id is derived from the gateway id and the batch (buffer, stream, chunk
// range), so a resubmission is recognised: before submitting, the sink asks Druid for that
// task; SUCCESS confirms the batch without sending it again, RUNNING is awaited, and a FAILED
// one is retried under the next id (<id>_r1, _r2, ...). Answers: SUCCESS → delivered; FAILED,
// 5xx, no answer, 401/403 → retry (the runner backs off, 100 ms doubling to 5 s; a FAILED task
// is retried for as long as it takes, never dead-lettered); 400 (or 413) to a submission: the
// halves of the batch go as tasks of their own (ids <batch id>-rows-<first>-<last>), down to the
// single rows refused, which go to the buffer's dead letters alone; when both halves of a range
// are refused too (the refusal is not about rows), that range is rejected whole. After SUCCESS, the
// task's report is read: rows Druid threw away or could not parse are counted
// (druid_rows_total{outcome}) and logged.
//
// With provision_supervisors, a thread of its own posts the Kafka supervisors at start and
// retries until Druid took them all.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "config/options.h"
#include "core/wakeup.h"
#include "sinks/druid/druid_client.h"
#include "sinks/sink.h"

namespace gw {

class DruidSink final : public Sink {
 public:
  explicit DruidSink(const Options& options);
  ~DruidSink() override;
  DruidSink(const DruidSink&) = delete;
  DruidSink& operator=(const DruidSink&) = delete;

  std::string_view name() const override { return "druid"; }
  StreamSet streams() const override { return options_.streams; }
  BatchPolicy batch_policy() const override;
  DeliveryResult deliver(const Batch& batch) override;
  SinkHealth health() const override;
  std::optional<bool> connected() const override;
  std::vector<SinkMetric> metrics() const override;

  // The task id for a batch (and attempt > 0: its resubmission after FAILED tasks).
  static std::string task_id(const std::string& gateway_id, const std::string& batch_id,
                             int attempt);

 private:
  // Waits for a submitted task to end, up to kPollLimit.
  DeliveryResult await_task(const std::string& id, std::size_t rows);
  DeliveryResult run_task(const Batch& batch, std::size_t lo, std::size_t hi);
  DeliveryResult bisect(const Batch& batch, std::size_t lo, std::size_t hi,
                        std::vector<RejectedRecord>& refused);
  void count_rows(const std::string& id, std::size_t sent);
  DeliveryResult note(DeliveryResult r);
  void provision_loop(Options options);

  DruidSinkOptions options_;
  std::string gateway_id_;
  DruidClient client_;
  std::atomic<int> connected_{-1};  // -1 unknown, 0 no, 1 yes
  std::atomic<std::uint64_t> submitted_{0}, succeeded_{0}, failed_{0}, rejected_{0}, resumed_{0};
  std::atomic<int> running_{0};
  std::atomic<std::int64_t> rows_processed_{0}, rows_with_error_{0}, rows_thrown_away_{0},
      rows_unparseable_{0};
  // The batch last handed over; per task base id (the batch, or a part of its rows) the first
  // attempt not known to have FAILED.
  std::string attempt_batch_;
  std::map<std::string, int> next_attempt_;
  mutable std::mutex health_mutex_;
  SinkHealth health_;
  // Supervisor provisioning at start.
  std::thread provisioner_;
  std::atomic<bool> stopping_{false};
  Wakeup wake_;
};

}  // namespace gw
