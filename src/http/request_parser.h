// How the local endpoint turns the bytes of a request into an HttpRequest: Beast's parser with
// the server's limits, then the handler's view (percent-decoded path, query, header map). The
// server shares make_http_request(); parse_http_request() does the whole job on a byte buffer,
// without sockets (tests, fuzzing). Boost.Beast is used only inside the .cpp files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/server.h"

namespace gw {

// Request headers over this many bytes are refused (431).
inline constexpr std::uint32_t kHttpHeaderLimit = 16 * 1024;

using HttpFieldViews = std::vector<std::pair<std::string_view, std::string_view>>;

// The handler's view of a parsed request: HEAD is handed over as GET; the target's path
// percent-decoded ("/" when empty; an absolute-form target "http://host/p?q" is reduced to
// "/p?q" first), its query split and decoded ('+' is a space; the last of a key wins); header
// names lower-cased, repeated fields joined by ", ". `remote` is left empty.
HttpRequest make_http_request(std::string_view method, std::string_view target,
                              const HttpFieldViews& fields, std::string body);

// RFC 9112 6.3: the only Transfer-Encoding taken is a single `chunked` (the values of every
// Transfer-Encoding field, as sent); anything else (`gzip`, `chunked, identity`, two fields) is
// refused with 400 and the connection closed, rather than its body guessed at.
bool transfer_encoding_supported(const std::vector<std::string_view>& values);

// One request from the start of `bytes`, parsed as the server parses it (bodies over
// `max_body`, headers over kHttpHeaderLimit, an unsupported Transfer-Encoding and malformed or
// incomplete requests are refused).
// nullopt with `error` (Beast's message) when the server would not hand it to the handler.
// Bytes after the request are ignored.
std::optional<HttpRequest> parse_http_request(std::string_view bytes, std::size_t max_body,
                                              std::string& error);

}  // namespace gw
