#include "buffer/in_flight_drops.h"

#include "buffer/buffer.h"

namespace gw {

void InFlightDrops::handed(std::size_t sink, Stream stream, std::int64_t id) {
  if (handed_.size() <= sink) handed_.resize(sink + 1);
  std::int64_t& h = handed_[sink][stream_index(stream)];
  if (id > h) h = id;
}

bool InFlightDrops::counts_now(std::int64_t id, Stream stream, std::int64_t records,
                               DropReason reason, std::int64_t pending,
                               std::span<const std::int64_t> sink_bits) {
  std::int64_t waiting = 0;
  for (std::size_t k = 0; k < sink_bits.size() && k < handed_.size(); ++k)
    if ((pending & sink_bits[k]) && handed_[k][stream_index(stream)] >= id) waiting |= sink_bits[k];
  // A sink that needed it and was not handed it will never deliver it.
  if (waiting == 0 || (pending & ~waiting) != 0 || dropped_.size() >= kMaxRemembered) return true;
  dropped_[id] = {{stream, reason, records}, waiting};
  return false;
}

std::vector<SettledDrop> InFlightDrops::confirmed(std::int64_t bit,
                                                  std::span<const BufferChunk> chunks) {
  std::vector<SettledDrop> settled;
  if (dropped_.empty()) return settled;
  std::array<std::int64_t, kStreamCount> highest{};
  for (const BufferChunk& c : chunks) {
    auto it = dropped_.find(c.id);
    if (it != dropped_.end() && (it->second.waiting & bit)) {
      it->second.waiting &= ~bit;  // delivered by this sink
      if (it->second.waiting == 0) dropped_.erase(it);
    }
    std::int64_t& h = highest[stream_index(c.stream)];
    if (c.id > h) h = c.id;
  }
  // Past a dropped chunk without it: this sink will not deliver it.
  for (auto it = dropped_.begin(); it != dropped_.end();) {
    const bool passed =
        (it->second.waiting & bit) && highest[stream_index(it->second.drop.stream)] > it->first;
    if (passed) {
      settled.push_back(it->second.drop);
      it = dropped_.erase(it);
    } else {
      ++it;
    }
  }
  return settled;
}

std::vector<SettledDrop> InFlightDrops::take_all() {
  std::vector<SettledDrop> all;
  for (const auto& [id, d] : dropped_) all.push_back(d.drop);
  dropped_.clear();
  return all;
}

}  // namespace gw
