// Test helper: a mock tool (druid-mock, schema-registry-mock) as a child process that prints its
// address as its first stdout line, e.g. "listening=127.0.0.1:40123", and exits on SIGTERM or
// when its stdin ends.
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

namespace test {

// {"--listen", address, args...}: the arguments of a mock that listens on `address`.
inline std::vector<std::string> listen_args(const std::string& address,
                                            const std::vector<std::string>& args) {
  std::vector<std::string> out{"--listen", address};
  out.insert(out.end(), args.begin(), args.end());
  return out;
}

// The process lives as long as the object: the destructor sends SIGTERM and reaps it (unless
// wait_exit() already has).
class MockProcess {
 public:
  // Starts `binary` with `args` (stdin and stdout are pipes, stderr is inherited) and REQUIREs
  // that its first stdout line, within 10 s, starts with `prefix`; the rest of that line is
  // address(). `name` labels that line in the failure message.
  MockProcess(const std::string& binary, const std::vector<std::string>& args,
              const std::string& name = "mock", const std::string& prefix = "listening=") {
    std::vector<char*> argv{const_cast<char*>(binary.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int in[2], out[2];
    REQUIRE(pipe2(in, O_CLOEXEC) == 0);
    REQUIRE(pipe2(out, O_CLOEXEC) == 0);
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    const std::string line = first_line(out[0]);
    close(out[0]);
    INFO(name, " said: ", line);
    REQUIRE(line.rfind(prefix, 0) == 0);
    address_ = line.substr(prefix.size(), line.find('\n') - prefix.size());
  }
  ~MockProcess() {
    if (!reaped_) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    if (stdin_ >= 0) close(stdin_);
  }
  MockProcess(const MockProcess&) = delete;
  MockProcess& operator=(const MockProcess&) = delete;

  // HOST:PORT, from the first line.
  const std::string& address() const { return address_; }
  pid_t pid() const { return pid_; }

  // Sends SIGTERM: it should exit.
  void terminate() const { kill(pid_, SIGTERM); }
  // Closes the mock's stdin: it should exit.
  void close_stdin() {
    close(stdin_);
    stdin_ = -1;
  }
  // The wait status within `ms` milliseconds, or nullopt if it is still running.
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
  // Checks that it exits with status 0 within `ms` milliseconds.
  void check_exits_0(int ms) {
    const auto status = wait_exit(ms);
    REQUIRE(status.has_value());
    CHECK(WIFEXITED(*status));
    CHECK(WEXITSTATUS(*status) == 0);
  }

 private:
  // What `fd` gives until a newline, EOF or 10 s.
  static std::string first_line(int fd) {
    std::string line;
    pollfd p{fd, POLLIN, 0};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[256];
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<std::size_t>(n));
    }
    return line;
  }

  pid_t pid_ = -1;
  int stdin_ = -1;
  bool reaped_ = false;
  std::string address_;
};

}  // namespace test
