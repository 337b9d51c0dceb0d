// A chunk: the records of one stream from one commit, framed and LZ4-compressed into one blob.
// Frame per record: varint key size, key, varint value size, value. Blob: uncompressed size
// (8 bytes LE; its top bit set: the checksum is XXH3-64, else the legacy one of earlier
// versions), checksum of the frames (8 bytes LE), LZ4 block.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/stream.h"

namespace gw {

// A decoded chunk's frames: not zero-filled first (LZ4 writes every byte).
using ChunkBytes = std::unique_ptr<char[]>;

// Every record must belong to `stream`.
std::string encode_chunk(std::span<const Record* const> records);
// nullopt if the blob is not a valid chunk (corruption). The records are views into
// `storage`, which holds the uncompressed frames (replaced; its heap buffer does not move when
// the vector is moved, so the views stay valid as long as it lives).
std::optional<std::vector<RecordView>> decode_chunk(Stream stream, const std::string& blob,
                                                    std::size_t raw_size, ChunkBytes& storage);
std::size_t raw_chunk_size(std::span<const Record* const> records);

}  // namespace gw
