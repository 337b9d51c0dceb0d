// The live dashboard's files (dashboard/ and Debian's Chart.js), embedded into the binary at
// build time by cmake/embed_assets.cmake: "/" (index.html), "/app.js", "/style.css", "/chart.js".
#pragma once

#include <string_view>

namespace gw {

// The file served at `path` and its content type; empty (content_type untouched) if none.
std::string_view dashboard_asset(std::string_view path, std::string_view& content_type);

}  // namespace gw
