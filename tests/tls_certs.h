// Test helper: a throwaway CA and server certificates made with the openssl CLI, for https
// against the mocks on loopback.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "process.h"

namespace test {

// In `dir`: ca.pem (a CA), other-ca.pem (a CA that signed nothing here), and per call of
// server(): NAME.pem / NAME.key, signed by ca.pem for the subjectAltName `san`. The folder is
// made afresh and removed with the object.
class TlsCerts {
 public:
  explicit TlsCerts(std::filesystem::path dir) : dir_(std::move(dir)) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    make_ca("ca");
    make_ca("other-ca");
  }
  ~TlsCerts() { std::filesystem::remove_all(dir_); }
  TlsCerts(const TlsCerts&) = delete;
  TlsCerts& operator=(const TlsCerts&) = delete;

  std::string ca() const { return (dir_ / "ca.pem").string(); }
  std::string other_ca() const { return (dir_ / "other-ca.pem").string(); }
  std::string cert(const std::string& name) const { return (dir_ / (name + ".pem")).string(); }
  std::string key(const std::string& name) const { return (dir_ / (name + ".key")).string(); }

  // A server certificate NAME.pem (key NAME.key) for `san`, e.g. "DNS:localhost,IP:127.0.0.1".
  void server(const std::string& name, const std::string& san) const {
    const std::string d = dir_.string() + "/";
    std::ofstream(d + name + ".ext") << "subjectAltName=" << san << "\n";
    run(kNewKey + " -keyout " + d + name + ".key -out " + d + name + ".csr -subj /CN=" + name);
    run("openssl x509 -req -in " + d + name + ".csr -CA " + d + "ca.pem -CAkey " + d +
        "ca.key -CAcreateserial -days 2 -out " + d + name + ".pem -extfile " + d + name + ".ext");
  }

 private:
  inline static const std::string kNewKey =
      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";

  void make_ca(const std::string& name) const {
    const std::string d = dir_.string() + "/";
    run(kNewKey + " -x509 -days 2 -keyout " + d + name + ".key -out " + d + name +
        ".pem -subj /CN=" + name);
  }
  static void run(const std::string& cmd) {
    int status = -1;
    const std::string out = shell(cmd + " 2>&1", &status);
    INFO(cmd, ": ", out);
    REQUIRE(status == 0);
  }

  std::filesystem::path dir_;
};

}  // namespace test
