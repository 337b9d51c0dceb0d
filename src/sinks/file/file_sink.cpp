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

FileIo system_file_io() {
  return {&::write, &::fsync};
}

FileSink::FileSink(std::string directory, std::array<std::string, kStreamCount> topics,
                   bool sync_full, FileIo io)
    : directory_(std::move(directory)), topics_(std::move(topics)), sync_full_(sync_full), io_(io) {
  fds_.fill(-1);
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
  for (const int fd : fds_)
    if (fd >= 0) ::close(fd);
}

std::string FileSink::path_of(Stream s) const {
  return (std::filesystem::path(directory_) / (topics_[stream_index(s)] + ".ndjson")).string();
}

int FileSink::fd_for(Stream s, std::string& error) {
  const std::size_t i = stream_index(s);
  if (fds_[i] >= 0) return fds_[i];
  std::error_code ec;
  std::filesystem::create_directories(directory_, ec);
  if (ec) {
    error = "cannot create " + directory_ + ": " + ec.message();
    return -1;
  }
  const std::string path = path_of(s);
  if (!drop_partial_line(path, error)) return -1;
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return -1;
  }
  fds_[i] = fd;
  sizes_[i] = ::lseek(fd, 0, SEEK_END);
  return fd;
}

// Hands the stream's pending lines to the kernel.
bool FileSink::write_out(std::size_t i, std::string& error) {
  std::string& buf = pending_[i];
  std::size_t done = 0;
  while (done < buf.size()) {
    const ssize_t n = io_.write(fds_[i], buf.data() + done, buf.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error =
          "cannot write " + path_of(kAllStreams[i]) + ": " + std::strerror(n == 0 ? EIO : errno);
      return false;
    }
    done += static_cast<std::size_t>(n);
    written_[i] += n;
  }
  buf.clear();
  return true;
}

// After a failed batch: the file as it was before it (whole lines), so the retry does not
// leave a torn line or a partial batch behind.
void FileSink::cut_back(std::size_t i) {
  pending_[i].clear();
  written_[i] = 0;
  if (fds_[i] < 0) return;
  if (::ftruncate(fds_[i], sizes_[i]) != 0) {
    log::warn("file sink: cannot cut " + path_of(kAllStreams[i]) + " back to " +
              std::to_string(sizes_[i]) + " bytes: " + std::strerror(errno) +
              "; reopening it (its partial last line is cut then)");
    ::close(fds_[i]);
    fds_[i] = -1;
  }
}

DeliveryResult FileSink::deliver(const Batch& b) {
  constexpr std::size_t kWriteSize = 1 << 16;
  std::array<bool, kStreamCount> touched{};
  std::string error;
  for (const RecordView& r : b.records) {
    const std::size_t i = stream_index(r.stream);
    if (!touched[i] && fd_for(r.stream, error) < 0) break;
    touched[i] = true;
    pending_[i].append(r.value);
    pending_[i] += '\n';
    if (pending_[i].size() >= kWriteSize && !write_out(i, error)) break;
  }
  for (std::size_t i = 0; i < kStreamCount && error.empty(); ++i)
    if (touched[i]) write_out(i, error);
  for (std::size_t i = 0; i < kStreamCount && error.empty() && sync_full_; ++i)
    if (touched[i] && io_.fsync(fds_[i]) != 0)
      error = "cannot fsync " + path_of(kAllStreams[i]) + ": " + std::strerror(errno);
  for (std::size_t i = 0; i < kStreamCount; ++i) {
    if (!touched[i]) continue;
    if (!error.empty()) {
      cut_back(i);
    } else {
      sizes_[i] += written_[i];
      written_[i] = 0;
    }
  }
  if (!error.empty()) {
    health_ = {false, error};
    return {DeliveryStatus::retry, error};
  }
  health_ = {};
  return {};
}

}  // namespace gw
