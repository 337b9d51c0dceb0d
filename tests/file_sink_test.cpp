// The file sink on its own: a write that fails mid-batch leaves whole lines only (the file as
// before the batch), the retry appends the batch once; with sync full it fsyncs before it
// confirms.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sinks/file/file_sink.h"

namespace fs = std::filesystem;
using namespace gw;

namespace {

// The injected write: hands over at most `budget` bytes in all, then fails with ENOSPC.
std::size_t write_budget = SIZE_MAX;
int fsyncs = 0;

ssize_t limited_write(int fd, const void* data, std::size_t size) {
  if (write_budget == 0) {
    errno = ENOSPC;
    return -1;
  }
  const std::size_t n = std::min(size, write_budget);
  write_budget -= n;
  return ::write(fd, data, n);
}

int counted_fsync(int fd) {
  ++fsyncs;
  return ::fsync(fd);
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::array<std::string, kStreamCount> topics() {
  std::array<std::string, kStreamCount> t;
  for (std::size_t i = 0; i < kStreamCount; ++i) t[i] = std::string(kDefaultTopics[i]);
  return t;
}

DeliveryStatus deliver(FileSink& sink, const std::vector<RecordView>& records) {
  return sink.deliver(Batch{records, Stream::events, "b"}).status;
}

}  // namespace

TEST_CASE("file sink: a write failing mid-batch is cut back to whole lines before the retry") {
  const fs::path dir = fs::temp_directory_path() / "iot-gateway-file-sink-torn";
  fs::remove_all(dir);
  write_budget = SIZE_MAX;
  FileSink sink(dir.string(), topics(), false, FileIo{&limited_write, &counted_fsync});
  const std::vector<RecordView> first{{Stream::events, "k", "{\"n\":1}"}};
  REQUIRE(deliver(sink, first) == DeliveryStatus::delivered);
  const std::string path = sink.path_of(Stream::events);
  REQUIRE(slurp(path) == "{\"n\":1}\n");

  const std::vector<RecordView> second{{Stream::events, "k", "{\"n\":2}"},
                                       {Stream::events, "k", "{\"n\":3}"}};
  write_budget = 5;  // the disk fills after "{\"n\":" of the batch
  CHECK(deliver(sink, second) == DeliveryStatus::retry);
  CHECK(slurp(path) == "{\"n\":1}\n");  // no torn line, no half batch
  CHECK_FALSE(sink.health().ok);

  write_budget = SIZE_MAX;
  CHECK(deliver(sink, second) == DeliveryStatus::delivered);
  CHECK(slurp(path) == "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n");
  CHECK(fsyncs == 0);  // sync normal
  fs::remove_all(dir);
}

TEST_CASE("file sink: with sync full, every file written is fsynced before the batch counts") {
  const fs::path dir = fs::temp_directory_path() / "iot-gateway-file-sink-fsync";
  fs::remove_all(dir);
  write_budget = SIZE_MAX;
  fsyncs = 0;
  FileSink sink(dir.string(), topics(), true, FileIo{&limited_write, &counted_fsync});
  const std::vector<RecordView> batch{{Stream::events, "k", "{\"n\":1}"},
                                      {Stream::sales, "s", "{\"s\":1}"}};
  CHECK(deliver(sink, batch) == DeliveryStatus::delivered);
  CHECK(fsyncs == 2);
  fs::remove_all(dir);
}
