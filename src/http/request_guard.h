// Who may talk to the local endpoint from a browser: the Host a request names must be one the
// endpoint answers to (against DNS rebinding: a page on evil.example whose name now points at
// 127.0.0.1 sends Host: evil.example), and an Origin header must be the request's own origin or
// an allowed one (against any page in the operator's browser posting to it).
#pragma once

#include <optional>
#include <string>

#include "http/server.h"

namespace gw {

// nullopt: the request may be served; else the answer: 421 for a Host the endpoint does not
// answer to, 403 for an Origin that is not allowed. `bound` is the server's "ip:port".
// HttpServerOptions::allowed_hosts and allowed_origins say who may.
std::optional<HttpReply> guard_request(const HttpServerOptions& options, const HttpRequest& request,
                                       const std::string& bound);

}  // namespace gw
