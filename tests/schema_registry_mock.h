// Test helper: tools/schema-registry-mock as a child process. Needs SCHEMA_REGISTRY_MOCK_BIN.
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace {

// A schema-registry-mock process for the lifetime of the object.
class MockRegistry {
 public:
  explicit MockRegistry(const std::vector<std::string>& args = {},
                        const std::string& listen = "127.0.0.1:0") {
    int in[2], out[2];
    REQUIRE(pipe2(in, O_CLOEXEC) == 0);
    REQUIRE(pipe2(out, O_CLOEXEC) == 0);
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      std::vector<char*> argv{const_cast<char*>(SCHEMA_REGISTRY_MOCK_BIN),
                              const_cast<char*>("--listen"), const_cast<char*>(listen.c_str())};
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(SCHEMA_REGISTRY_MOCK_BIN, argv.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    std::string line;
    pollfd p{out[0], POLLIN, 0};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[256];
      const ssize_t n = read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<std::size_t>(n));
    }
    close(out[0]);
    INFO("mock said: ", line);
    REQUIRE(line.rfind("listening=", 0) == 0);
    address_ = line.substr(10, line.find('\n') - 10);
  }
  ~MockRegistry() {
    if (!reaped_) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    if (stdin_ >= 0) close(stdin_);
  }
  MockRegistry(const MockRegistry&) = delete;
  MockRegistry& operator=(const MockRegistry&) = delete;

  std::string url() const { return "http://" + address_; }
  // Closes the mock's stdin: it should exit.
  void close_stdin() {
    close(stdin_);
    stdin_ = -1;
  }
  // The exit status within `ms` milliseconds, or nullopt if it is still running.
  std::optional<int> wait_exit(int ms) {
    int status = 0;
    for (int i = 0; i <= ms / 20; ++i) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return status;
      }
      usleep(20000);
    }
    return std::nullopt;
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  bool reaped_ = false;
  std::string address_;
};

}  // namespace
