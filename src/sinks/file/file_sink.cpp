#include "sinks/file/file_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/log.h"

namespace gw {

// A crash can leave the last line half-written. Cut it off: its record was never confirmed,
// so the buffer sends it again whole.
bool FileSink::drop_partial_line(const std::string& path, std::string& error) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return true;  // no file yet
  const off_t size = ::lseek(fd, 0, SEEK_END);
  off_t keep = size;
  char buf[4096];
  while (keep > 0) {
    const off_t from =
        keep > static_cast<off_t>(sizeof buf) ? keep - static_cast<off_t>(sizeof buf) : 0;
    const ssize_t n = ::pread(fd, buf, static_cast<std::size_t>(keep - from), from);
    if (n <= 0) break;
    const char* nl = static_cast<const char*>(memrchr(buf, '\n', static_cast<std::size_t>(n)));
    if (nl) {
      keep = from + (nl - buf) + 1;
      break;
    }
    keep = from;
  }
  bool ok = true;
  if (keep != size) {
    if (::ftruncate(fd, keep) != 0) {
      error = "cannot truncate " + path + ": " + std::strerror(errno);
      ok = false;
    } else {
      log::warn("file sink: removed a partial last line (" + std::to_string(size - keep) +
                " bytes) from " + path + " left by a crash; its record is sent again");
    }
  }
  ::close(fd);
  return ok;
}

FileSink::FileSink(std::string directory, std::array<std::string, kStreamCount> topics)
    : directory_(std::move(directory)), topics_(std::move(topics)) {
  say_what_is_appended_to();
}

// The sink appends: a second run into the same folder adds to what the first one wrote. Said
// at the start, with what is there, so that nobody mistakes the mix for one run's output.
void FileSink::say_what_is_appended_to() const {
  std::uintmax_t bytes = 0;
  int files = 0;
  for (const Stream s : kAllStreams) {
    std::error_code ec;
    const std::uintmax_t size = std::filesystem::file_size(path_of(s), ec);
    if (ec || size == 0) continue;
    bytes += size;
    ++files;
  }
  if (files > 0)
    log::info("file sink: appending to " + std::to_string(files) + " existing file" +
              (files == 1 ? "" : "s") + " in " + directory_ + " (" + std::to_string(bytes) +
              " bytes); remove them first for an output of this run alone");
}

FileSink::~FileSink() {
  for (auto* f : files_)
    if (f) std::fclose(f);
}

std::string FileSink::path_of(Stream s) const {
  return (std::filesystem::path(directory_) / (topics_[stream_index(s)] + ".ndjson")).string();
}

std::FILE* FileSink::file_for(Stream s, std::string& error) {
  std::FILE*& f = files_[stream_index(s)];
  if (f) return f;
  std::error_code ec;
  std::filesystem::create_directories(directory_, ec);
  if (ec) {
    error = "cannot create " + directory_ + ": " + ec.message();
    return nullptr;
  }
  const std::string path = path_of(s);
  if (!drop_partial_line(path, error)) return nullptr;
  f = std::fopen(path.c_str(), "ab");
  if (!f) error = "cannot open " + path + ": " + std::strerror(errno);
  return f;
}

DeliveryResult FileSink::deliver(const Batch& b) {
  const std::span<const RecordView> batch = b.records;
  std::array<bool, kStreamCount> touched{};
  std::string error;
  for (const RecordView& r : batch) {
    std::FILE* f = file_for(r.stream, error);
    if (!f || std::fwrite(r.value.data(), 1, r.value.size(), f) != r.value.size() ||
        std::fputc('\n', f) == EOF) {
      if (error.empty()) error = "cannot write " + path_of(r.stream) + ": " + std::strerror(errno);
      break;
    }
    touched[stream_index(r.stream)] = true;
  }
  for (std::size_t i = 0; i < kStreamCount && error.empty(); ++i) {
    if (touched[i] && std::fflush(files_[i]) != 0)
      error = "cannot write " + path_of(kAllStreams[i]) + ": " + std::strerror(errno);
  }
  if (!error.empty()) {
    health_ = {false, error};
    return {DeliveryStatus::retry, error};
  }
  health_ = {};
  return {};
}

}  // namespace gw
