#include "sinks/file/file_sink.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace gw {

FileSink::FileSink(std::string directory, std::array<std::string, kStreamCount> topics)
    : directory_(std::move(directory)), topics_(std::move(topics)) {}

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
  f = std::fopen(path.c_str(), "ab");
  if (!f) error = "cannot open " + path + ": " + std::strerror(errno);
  return f;
}

DeliveryResult FileSink::deliver(std::span<const Record> batch) {
  std::array<bool, kStreamCount> touched{};
  std::string error;
  for (const Record& r : batch) {
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
