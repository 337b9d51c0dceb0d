#include "buffer/chunk_codec.h"

#include <lz4.h>
#include <xxhash.h>

#include <cstring>

#include "core/random.h"

namespace gw {
namespace {

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

bool get_varint(std::string_view in, std::size_t& pos, std::uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && pos < in.size(); shift += 7) {
    const auto byte = static_cast<unsigned char>(in[pos++]);
    v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return true;
  }
  return false;
}

// The checksum of the frames of chunks written before XXH3 (kXxh3 not set in the size): kept
// so that buffers of earlier versions are still read.
std::uint64_t legacy_checksum(std::string_view data) {
  std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ data.size();
  std::size_t i = 0;
  for (; i + 8 <= data.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, data.data() + i, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdULL;
    h ^= h >> 29;
  }
  for (; i < data.size(); ++i) h = (h ^ static_cast<unsigned char>(data[i])) * 0x100000001b3ULL;
  return mix64(h);
}

void put_u64(std::string& out, std::size_t at, std::uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out[at + static_cast<std::size_t>(i)] = static_cast<char>(v >> (8 * i));
}

std::uint64_t get_u64(const std::string& in, std::size_t at) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v |=
        static_cast<std::uint64_t>(static_cast<unsigned char>(in[at + static_cast<std::size_t>(i)]))
        << (8 * i);
  return v;
}

constexpr std::size_t kHeader = 16;  // uncompressed size, checksum
// Set in the stored uncompressed size: the checksum is XXH3-64 (else legacy_checksum()).
constexpr std::uint64_t kXxh3 = std::uint64_t{1} << 63;

std::uint64_t checksum(std::string_view data) {
  return XXH3_64bits(data.data(), data.size());
}
constexpr std::size_t kKeptRaw = 8u << 20;  // the reused frame buffer stays at most this big
// LZ4's speed/ratio trade-off (1 = LZ4_compress_default). JSON records compress about as well
// at 2, in less time on the run loop's thread (bench/README.md).
constexpr int kAcceleration = 2;

}  // namespace

std::size_t raw_chunk_size(std::span<const Record* const> records) {
  std::size_t n = 0;
  for (const Record* r : records) n += r->key.size() + r->value.size() + 20;
  return n;
}

std::string encode_chunk(std::span<const Record* const> records) {
  // Reused per thread: a fresh multi-megabyte buffer per chunk costs page faults.
  thread_local std::string raw;
  raw.clear();
  raw.reserve(raw_chunk_size(records));
  for (const Record* r : records) {
    put_varint(raw, r->key.size());
    raw += r->key;
    put_varint(raw, r->value.size());
    raw += r->value;
  }
  // Compressed into a reused buffer too, then copied out at its size: a fresh zero-filled
  // buffer of the bound per chunk cost a memset and page faults.
  thread_local std::string packed;
  const auto bound = static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(raw.size())));
  if (packed.size() < bound) packed.resize(bound);
  const int n = LZ4_compress_fast(raw.data(), packed.data(), static_cast<int>(raw.size()),
                                  static_cast<int>(bound), kAcceleration);
  std::string blob(kHeader, '\0');
  put_u64(blob, 0, raw.size() | kXxh3);
  put_u64(blob, 8, checksum(raw));
  blob.append(packed.data(), static_cast<std::size_t>(n));
  // One huge chunk (the registry's devices at the start) must not pin its size for good.
  if (raw.capacity() > kKeptRaw) std::string().swap(raw);
  if (packed.capacity() > kKeptRaw) std::string().swap(packed);
  return blob;
}

std::optional<std::vector<RecordView>> decode_chunk(Stream stream, const std::string& blob,
                                                    std::size_t max_raw_size, ChunkBytes& storage) {
  if (blob.size() < kHeader) return std::nullopt;
  const std::uint64_t stored_size = get_u64(blob, 0);
  const std::uint64_t raw_size = stored_size & ~kXxh3;
  if (raw_size > max_raw_size) return std::nullopt;
  // Its own: earlier chunks' views point into theirs.
  storage = std::make_unique_for_overwrite<char[]>(raw_size);
  const int n =
      LZ4_decompress_safe(blob.data() + kHeader, storage.get(),
                          static_cast<int>(blob.size() - kHeader), static_cast<int>(raw_size));
  const std::string_view raw(storage.get(), raw_size);
  if (n < 0 || static_cast<std::uint64_t>(n) != raw_size ||
      ((stored_size & kXxh3) ? checksum(raw) : legacy_checksum(raw)) != get_u64(blob, 8))
    return std::nullopt;
  std::vector<RecordView> out;
  out.reserve(raw_size / 256);
  std::size_t pos = 0;
  while (pos < raw.size()) {
    std::uint64_t klen, vlen;
    if (!get_varint(raw, pos, klen) || klen > raw.size() - pos) return std::nullopt;
    const std::string_view key = raw.substr(pos, klen);
    pos += klen;
    if (!get_varint(raw, pos, vlen) || vlen > raw.size() - pos) return std::nullopt;
    out.push_back({stream, key, raw.substr(pos, vlen)});
    pos += vlen;
  }
  return out;
}

}  // namespace gw
