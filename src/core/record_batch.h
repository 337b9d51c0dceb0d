// The records a batch of work produced, waiting for their commit. clear() keeps the records'
// strings for the next batch, so that a steady stream of records costs no allocations: each
// record's key and value are written into the storage of one that went before.
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <vector>

#include "core/stream.h"

namespace gw {

class RecordBatch {
 public:
  // A record to fill. It may still hold an earlier batch's record: the encoder (RecordEncoder)
  // sets its stream and overwrites its key and value, reusing their capacity.
  Record& next() {
    if (size_ == slots_.size()) slots_.emplace_back();
    return slots_[size_++];
  }

  std::span<const Record> records() const { return {slots_.data(), size_}; }
  operator std::span<const Record>() const { return records(); }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const Record& operator[](std::size_t i) const { return slots_[i]; }
  const Record* begin() const { return slots_.data(); }
  const Record* end() const { return slots_.data() + size_; }

  // Keeps the storage of about twice this batch's records (at least kKeep): what a batch much
  // larger than the next ones (the registry's devices, a big POST) held goes.
  void clear() {
    const std::size_t keep = std::max(kKeep, 2 * size_);
    if (slots_.size() > keep) {
      slots_.resize(keep);
      slots_.shrink_to_fit();
    }
    size_ = 0;
  }

 private:
  static constexpr std::size_t kKeep = 256;
  std::vector<Record> slots_;
  std::size_t size_ = 0;
};

}  // namespace gw
