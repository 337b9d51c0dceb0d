// Writes each stream to PATH/TOPIC.ndjson, one JSON record per line, appending (to what
// earlier runs wrote too: the start logs what is already there).
// A batch is delivered once its lines are written and flushed to the kernel (so they survive
// a crash of the process). At open, a partial last line left by a crash is cut off; a record
// may then appear twice, only as a byte-identical duplicate.
#pragma once

#include <array>
#include <cstdio>
#include <string>

#include "config/options.h"
#include "sinks/sink.h"

namespace gw {

class FileSink final : public Sink {
 public:
  FileSink(std::string directory, std::array<std::string, kStreamCount> topics);
  ~FileSink() override;
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  std::string_view name() const override { return "file"; }
  DeliveryResult deliver(const Batch& batch) override;
  SinkHealth health() const override { return health_; }

  std::string path_of(Stream s) const;

 private:
  std::FILE* file_for(Stream s, std::string& error);
  static bool drop_partial_line(const std::string& path, std::string& error);
  void say_what_is_appended_to() const;

  std::string directory_;
  std::array<std::string, kStreamCount> topics_;
  std::array<std::FILE*, kStreamCount> files_{};
  SinkHealth health_;
};

}  // namespace gw
