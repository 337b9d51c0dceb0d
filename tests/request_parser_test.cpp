// The endpoint's request parsing without sockets (http/request_parser.h), as the server and
// fuzz_http_request use it.
#include <doctest/doctest.h>

#include "http/request_parser.h"

TEST_CASE("parse_http_request: the handler's view of one request") {
  std::string error;
  const auto r = gw::parse_http_request(
      "HEAD http://gw.local:8080/api/v1/a%20b?limit=4&x=%41+b&limit=5&flag HTTP/1.1\r\n"
      "Host: gw.local\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 3\r\n\r\nabcNEXT",
      1024, error);
  REQUIRE_MESSAGE(r, error);
  CHECK(r->method == "GET");
  CHECK(r->path == "/api/v1/a b");
  CHECK(r->query == std::map<std::string, std::string>{{"limit", "5"}, {"x", "A b"}, {"flag", ""}});
  CHECK(r->headers.at("x-a") == "1, 2");
  CHECK(r->body == "abc");

  const auto chunked = gw::parse_http_request(
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n1\r\nd\r\n0\r\n\r\n", 1024,
      error);
  REQUIRE_MESSAGE(chunked, error);
  CHECK(chunked->body == "abcd");
}

TEST_CASE("parse_http_request: what the server refuses") {
  std::string error;
  CHECK_FALSE(gw::parse_http_request("GET / HTTP/1.1\r\nHost: a\r\n", 1024, error));
  CHECK_FALSE(error.empty());
  error.clear();
  CHECK_FALSE(
      gw::parse_http_request("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab", 1024, error));
  CHECK_FALSE(error.empty());
  CHECK_FALSE(
      gw::parse_http_request("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcde", 4, error));
  CHECK_FALSE(gw::parse_http_request("GET / HTTP/1.1\r\nX: " + std::string(20000, 'a') + "\r\n\r\n",
                                     1024, error));
  CHECK_FALSE(gw::parse_http_request("NOT HTTP\r\n\r\n", 1024, error));
  CHECK_FALSE(gw::parse_http_request("", 1024, error));
  // RFC 9112 6.3: only a single `chunked` coding; the rest would be read as another request.
  for (const char* te : {"gzip", "chunked, identity", "identity", "gzip, chunked"}) {
    error.clear();
    CHECK_FALSE_MESSAGE(
        gw::parse_http_request(
            std::string("POST / HTTP/1.1\r\nTransfer-Encoding: ") + te + "\r\n\r\n0\r\n\r\n", 1024,
            error),
        te);
    CHECK(error == "unsupported Transfer-Encoding");
  }
}
