// The SinkRunner with a sink that keeps several batches in flight: batches are confirmed one by
// one in order, the records a sink was handed stay valid until its result is taken, and after a
// batch that was not delivered, it and every later one go again, in order.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>

#include "core/histogram.h"
#include "sinks/sink_runner.h"

using namespace gw;
namespace fs = std::filesystem;

namespace {

class PipelinedSink final : public Sink {
 public:
  std::string_view name() const override { return "pipelined"; }
  BatchPolicy batch_policy() const override {
    BatchPolicy p;
    p.max_chunks = 1;  // one commit per batch: batches are easy to tell apart
    return p;
  }
  DeliveryResult deliver(const Batch&) override { return {DeliveryStatus::retry, "unused"}; }
  SinkHealth health() const override { return {}; }
  std::size_t max_in_flight() const override { return 3; }

  void submit(const Batch& b) override {
    std::lock_guard lock(mutex_);
    Held h{b.records, {}};
    for (const RecordView& r : b.records) h.copies.emplace_back(r.value);
    submitted.push_back(std::string(b.records.front().key));
    in_flight_.push_back(std::move(h));
    most_in_flight = std::max(most_in_flight, in_flight_.size());
  }
  std::optional<DeliveryResult> take_result(std::int64_t) override {
    std::lock_guard lock(mutex_);
    if (in_flight_.size() < 2 && !drained_once_) return std::nullopt;  // let a few pile up
    if (in_flight_.empty()) return std::nullopt;
    Held h = std::move(in_flight_.front());
    in_flight_.pop_front();
    // The runner must keep the records alive until now.
    for (std::size_t i = 0; i < h.records.size(); ++i)
      if (h.records[i].value != h.copies[i]) views_valid = false;
    const std::string first(h.records.front().key);
    if (first == "k3" && !failed_once_) {
      failed_once_ = true;
      return DeliveryResult{DeliveryStatus::retry, "k3 fails once"};
    }
    delivered.push_back(first);
    return DeliveryResult{};
  }
  void let_drain() {
    std::lock_guard lock(mutex_);
    drained_once_ = true;
  }

  std::vector<std::string> submitted, delivered;  // first keys, as handed over / answered
  std::size_t most_in_flight = 0;
  bool views_valid = true;

 private:
  struct Held {
    std::span<const RecordView> records;
    std::vector<std::string> copies;
  };
  std::mutex mutex_;
  std::deque<Held> in_flight_;
  bool failed_once_ = false;
  bool drained_once_ = false;
};

}  // namespace

TEST_CASE("sink runner: pipelined batches are confirmed in order, a failed one goes again first") {
  const fs::path dir = fs::temp_directory_path() / "iot-gateway-sink-runner-test";
  fs::remove_all(dir);
  GatewayOptions g;
  g.data_dir = dir.string();
  SystemClock clock;
  Buffer buffer(g, BufferOptions{}, std::vector<std::string>{"pipelined"}, clock);
  for (int c = 0; c < 8; ++c) {  // 8 commits, one chunk of 50 records each
    std::vector<Record> batch;
    for (int i = 0; i < 50; ++i)
      batch.push_back(
          {Stream::events, "k" + std::to_string(c), "{\"n\":" + std::to_string(c * 50 + i) + "}"});
    REQUIRE(buffer.commit(batch, nullptr) == CommitResult::ok);
  }
  auto owned = std::make_unique<PipelinedSink>();
  PipelinedSink& sink = *owned;
  SinkRunner runner(std::move(owned), 0, buffer, clock);
  runner.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  sink.let_drain();
  for (int i = 0; i < 500 && buffer.backlog(0) > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  runner.finish(clock.now() + 5000);
  runner.join();

  CHECK(buffer.backlog(0) == 0);
  CHECK(runner.delivered() == 400);
  CHECK(sink.most_in_flight >= 2);
  CHECK(sink.views_valid);
  // The sink answered for k4 (maybe k5) while k3 had failed; the runner confirmed them only
  // when they went again (delivered() counts confirmed records: each exactly once).
  CHECK(sink.delivered.back() == "k7");
  // k3 failed while k4 (and maybe k5) were in flight: they went again after k3, in order.
  const auto again = std::find(sink.submitted.begin() + 4, sink.submitted.end(), "k3");
  REQUIRE(again != sink.submitted.end());
  CHECK(std::vector<std::string>(again, sink.submitted.end()) ==
        std::vector<std::string>{"k3", "k4", "k5", "k6", "k7"});
  CHECK(runner.retried(Stream::events) == 50);
  fs::remove_all(dir);
}

TEST_CASE("histograms: buckets are cumulative, +Inf is the count") {
  LatencyHistogram h;
  h.observe(0.0005);
  h.observe(0.0015);
  h.observe(0.0015);
  h.observe(0.019);
  h.observe(99);
  CHECK(h.bucket(0) == 1);                                      // <= 1 ms
  CHECK(h.bucket(1) == 3);                                      // <= 2 ms
  CHECK(h.bucket(13) == 4);                                     // <= 20 ms
  CHECK(h.bucket(LatencyHistogram::kBuckets.size() - 1) == 4);  // <= 10 s
  CHECK(h.count() == 5);
  CHECK(h.sum() == doctest::Approx(99.0215).epsilon(1e-4));
}

namespace {

// Ships events at once; sales only once `ready` is set, and then only from a batch that
// resumes them (Batch::resumed), as the contract of DeliveryResult::not_ready asks.
class ShySink final : public Sink {
 public:
  std::string_view name() const override { return "shy"; }
  BatchPolicy batch_policy() const override {
    BatchPolicy p;
    p.max_chunks = 1;
    return p;
  }
  DeliveryResult deliver(const Batch&) override { return {DeliveryStatus::retry, "unused"}; }
  SinkHealth health() const override { return {}; }
  std::size_t max_in_flight() const override { return 3; }
  void submit(const Batch& b) override {
    std::lock_guard lock(mutex_);
    const std::size_t sales = stream_index(Stream::sales);
    if (b.resumed[sales]) unready_ = false;
    DeliveryResult r;
    for (const RecordView& rec : b.records) {
      if (rec.stream != Stream::sales) {
        sent.push_back(std::string(rec.key));
      } else if (unready_ || !ready) {
        unready_ = true;
        r.not_ready[sales] = true;
        r.message = "sales: not ready";
      } else {
        sent.push_back(std::string(rec.key));
      }
    }
    results_.push_back(std::move(r));
  }
  std::optional<DeliveryResult> take_result(std::int64_t) override {
    std::lock_guard lock(mutex_);
    if (results_.empty()) return std::nullopt;
    DeliveryResult r = std::move(results_.front());
    results_.pop_front();
    return r;
  }
  std::vector<std::string> sent_of(char prefix) {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& k : sent)
      if (k[0] == prefix) out.push_back(k);
    return out;
  }
  std::atomic<bool> ready{false};

 private:
  std::mutex mutex_;
  std::vector<std::string> sent;
  std::deque<DeliveryResult> results_;
  bool unready_ = false;
};

}  // namespace

TEST_CASE("sink runner: a stream the sink is not ready for waits, the others go on, in order") {
  const fs::path dir = fs::temp_directory_path() / "iot-gateway-sink-runner-held";
  fs::remove_all(dir);
  GatewayOptions g;
  g.data_dir = dir.string();
  SystemClock clock;
  Buffer buffer(g, BufferOptions{}, std::vector<std::string>{"shy"}, clock);
  std::vector<std::string> sales, events;
  for (int c = 0; c < 12; ++c) {  // one chunk per stream and commit: many batches in flight
    const std::string n = std::to_string(c);
    REQUIRE(buffer.commit(std::vector<Record>{{Stream::sales, "s" + n, "{}"},
                                              {Stream::events, "e" + n, "{}"}},
                          nullptr) == CommitResult::ok);
    sales.push_back("s" + n);
    events.push_back("e" + n);
  }
  auto owned = std::make_unique<ShySink>();
  ShySink& sink = *owned;
  SinkRunner runner(std::move(owned), 0, buffer, clock);
  runner.start();
  for (int i = 0; i < 500 && runner.delivered(Stream::events) < events.size(); ++i)
    buffer.wait_for_change(10);
  CHECK(runner.delivered(Stream::events) == events.size());
  CHECK(runner.delivered(Stream::sales) == 0);
  CHECK_FALSE(runner.healthy());
  sink.ready = true;
  for (int i = 0; i < 1000 && buffer.backlog(0) > 0; ++i) buffer.wait_for_change(10);
  runner.finish(clock.now() + 5000);
  runner.join();
  CHECK(buffer.backlog(0) == 0);
  CHECK(sink.sent_of('e') == events);        // each once, in order
  CHECK(sink.sent_of('s') == sales);         // each once, in order, after the hold
  CHECK(runner.retried(Stream::sales) > 0);  // counted while held
  CHECK(runner.healthy());
  fs::remove_all(dir);
}
