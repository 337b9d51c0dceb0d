// Writes each stream to PATH/TOPIC.ndjson, one JSON record per line, appending (to what
// earlier runs wrote too: the start logs what is already there).
// A batch is delivered once its lines are written to the kernel (so they survive a crash of
// the process) and, with buffer.sync: full, fsynced (so they survive a power loss). A write that
// fails mid-batch is cut back (ftruncate) to the file's size before the batch, so the retry
// appends whole lines only. At open, a partial last line left by a crash is cut off; a record
// may then appear twice, only as a byte-identical duplicate.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstddef>
#include <string>

#include "config/options.h"
#include "sinks/sink.h"

namespace gw {

// The system calls the file sink writes with; tests replace them to inject failures.
struct FileIo {
  ssize_t (*write)(int fd, const void* data, std::size_t size);
  int (*fsync)(int fd);
};
FileIo system_file_io();

class FileSink final : public Sink {
 public:
  FileSink(std::string directory, std::array<std::string, kStreamCount> topics,
           bool sync_full = false, FileIo io = system_file_io());
  ~FileSink() override;
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  std::string_view name() const override { return "file"; }
  DeliveryResult deliver(const Batch& batch) override;
  SinkHealth health() const override { return health_; }

  std::string path_of(Stream s) const;

 private:
  int fd_for(Stream s, std::string& error);
  bool write_out(std::size_t stream, std::string& error);
  void cut_back(std::size_t stream);
  static bool drop_partial_line(const std::string& path, std::string& error);
  void say_what_is_appended_to() const;

  std::string directory_;
  std::array<std::string, kStreamCount> topics_;
  bool sync_full_;
  FileIo io_;
  std::array<int, kStreamCount> fds_;
  std::array<off_t, kStreamCount> sizes_{};        // after the last batch delivered
  std::array<off_t, kStreamCount> written_{};      // by the batch being written
  std::array<std::string, kStreamCount> pending_;  // lines not handed to write() yet
  SinkHealth health_;
};

}  // namespace gw
