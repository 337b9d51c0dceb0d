#include "buffer/chunk_codec.h"

#include <lz4.h>

namespace gw {
namespace {

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

bool get_varint(const std::string& in, std::size_t& pos, std::uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && pos < in.size(); shift += 7) {
    const auto byte = static_cast<unsigned char>(in[pos++]);
    v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return true;
  }
  return false;
}

}  // namespace

std::size_t raw_chunk_size(std::span<const Record* const> records) {
  std::size_t n = 0;
  for (const Record* r : records) n += r->key.size() + r->value.size() + 20;
  return n;
}

std::string encode_chunk(std::span<const Record* const> records) {
  std::string raw;
  raw.reserve(raw_chunk_size(records));
  for (const Record* r : records) {
    put_varint(raw, r->key.size());
    raw += r->key;
    put_varint(raw, r->value.size());
    raw += r->value;
  }
  std::string blob(static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(raw.size()))) + 8,
                   '\0');
  // 8-byte little-endian header: the uncompressed size.
  const std::uint64_t raw_size = raw.size();
  for (int i = 0; i < 8; ++i)
    blob[static_cast<std::size_t>(i)] = static_cast<char>(raw_size >> (8 * i));
  const int n = LZ4_compress_default(raw.data(), blob.data() + 8, static_cast<int>(raw.size()),
                                     static_cast<int>(blob.size() - 8));
  blob.resize(8 + static_cast<std::size_t>(n));
  return blob;
}

std::optional<std::vector<Record>> decode_chunk(Stream stream, const std::string& blob,
                                                std::size_t max_raw_size) {
  if (blob.size() < 8) return std::nullopt;
  std::uint64_t raw_size = 0;
  for (int i = 0; i < 8; ++i)
    raw_size |=
        static_cast<std::uint64_t>(static_cast<unsigned char>(blob[static_cast<std::size_t>(i)]))
        << (8 * i);
  if (raw_size > max_raw_size) return std::nullopt;
  std::string raw(raw_size, '\0');
  const int n = LZ4_decompress_safe(blob.data() + 8, raw.data(), static_cast<int>(blob.size() - 8),
                                    static_cast<int>(raw_size));
  if (n < 0 || static_cast<std::uint64_t>(n) != raw_size) return std::nullopt;
  std::vector<Record> out;
  std::size_t pos = 0;
  while (pos < raw.size()) {
    std::uint64_t klen, vlen;
    if (!get_varint(raw, pos, klen) || klen > raw.size() - pos) return std::nullopt;
    Record r{stream, raw.substr(pos, klen), {}};
    pos += klen;
    if (!get_varint(raw, pos, vlen) || vlen > raw.size() - pos) return std::nullopt;
    r.value = raw.substr(pos, vlen);
    pos += vlen;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace gw
