// Starting the real binary from tests: spawn, wait, kill.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace test {

// Starts IOT_GATEWAY_BIN with `args`; stderr is appended to `log_file`, stdout to /dev/null.
inline pid_t spawn_gateway(const std::vector<std::string>& args, const std::string& log_file) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int err = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    const int null = ::open("/dev/null", O_WRONLY);
    dup2(err, 2);
    dup2(null, 1);
    std::vector<char*> argv{const_cast<char*>(IOT_GATEWAY_BIN)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(IOT_GATEWAY_BIN, argv.data());
    _exit(127);
  }
  return pid;
}

// Exit code, or 128 + signal.
inline int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// True (and the exit code in `code`) if the process has ended.
inline bool has_exited(pid_t pid, int& code) {
  int status = 0;
  if (waitpid(pid, &status, WNOHANG) != pid) return false;
  code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return true;
}

}  // namespace test

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

namespace test {

// The lines of a text file (without their newlines).
inline std::vector<std::string> read_lines(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::vector<std::string> out;
  for (std::string line; std::getline(f, line);) out.push_back(line);
  return out;
}

// Runs `cmd` with /bin/sh and returns its stdout; its wait status in `status` if given.
inline std::string shell(const std::string& cmd, int* status = nullptr) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  std::size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int st = pclose(p);
  if (status) *status = st;
  return out;
}

// A TCP port on 127.0.0.1 nothing listens on right now (bound, then released).
inline int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// Polls `ok` every 20 ms until it holds (true) or `timeout_ms` passed (false).
template <typename F>
bool await(F ok, int timeout_ms = 30'000) {
  for (int waited = 0; waited <= timeout_ms; waited += 20) {
    if (ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// "http://127.0.0.1:PORT" once the gateway logged "http: listening on ...", else "".
inline std::string await_http_base(const std::filesystem::path& log) {
  std::string base;
  await([&] {
    std::smatch m;
    const std::string text = slurp(log);
    if (!std::regex_search(text, m, std::regex("http: listening on (127\\.0\\.0\\.1:[0-9]+)")))
      return false;
    base = "http://" + m[1].str();
    return true;
  });
  return base;
}

// A fresh, empty folder for one test: <tmp>/iot-gateway-<name>-<pid> (the pid keeps checkouts
// that run the same tests at the same time apart).
inline std::filesystem::path fresh_dir(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("iot-gateway-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Kills the process (SIGKILL) and reaps it when the test leaves its scope while it still runs,
// e.g. after a failed REQUIRE: no test leaves a gateway behind.
class ReapOnExit {
 public:
  explicit ReapOnExit(pid_t pid) : pid_(pid) {}
  ~ReapOnExit() {
    int status = 0;
    // 0: still running (a reaped child gives -1, and is left alone: its pid may be reused).
    if (pid_ > 0 && waitpid(pid_, &status, WNOHANG) == 0) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
  }
  ReapOnExit(const ReapOnExit&) = delete;
  ReapOnExit& operator=(const ReapOnExit&) = delete;

 private:
  pid_t pid_;
};

}  // namespace test
