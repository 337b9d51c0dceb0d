// Test helper: a throw-away Kafka cluster (the kafka-mock tool, librdkafka's mock brokers) and
// kcat wrappers to produce to / consume from it. Header-only; needs KAFKA_MOCK_BIN defined.
//
//   test::KafkaMock kafka("SALES,EVENTS", 3, 3);   // brokers 1..3, 3 partitions per topic
//   test::produce_with_kcat(kafka.bootstrap(), "SALES", "keyed.tsv");      // key<TAB>value lines
//   auto lines = test::consume_with_kcat(kafka.bootstrap(), "SALES", "%k\t%s\n");
//   kafka.command("all-down");   // -> "ok all-down"
//
// Every call that waits has a timeout and throws std::runtime_error when it expires.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#ifndef KAFKA_MOCK_BIN
#error "KAFKA_MOCK_BIN must be defined (path of the kafka-mock executable)"
#endif

namespace test {

inline constexpr const char* kKafkaMockTopics =
    "SALES,DEVICES,EVENTS,EVENTS_GEO,SALES_AGGREGATE,ALERTS";

namespace kafka_mock_detail {

using Clock = std::chrono::steady_clock;

// Absolute path of `prog` found on PATH ("" if none); resolved before fork so the child only
// has to call async-signal-safe functions.
inline std::string find_in_path(const std::string& prog) {
  if (prog.find('/') != std::string::npos) return prog;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + prog;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

inline std::vector<char*> c_argv(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return argv;
}

// In the forked child: default signal mask, then exec. Never returns.
[[noreturn]] inline void exec_child(const std::string& path, char* const* argv) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execv(path.c_str(), argv);
  _exit(127);
}

inline int exit_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Writes all of `data`; false on error (EPIPE included: SIGPIPE is blocked and swallowed).
inline bool write_all(int fd, const std::string& data) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  size_t done = 0;
  bool ok = true;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (!ok && !sigismember(&old, SIGPIPE)) {
    const timespec zero{0, 0};
    while (sigtimedwait(&pipe_set, nullptr, &zero) == SIGPIPE) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return ok;
}

}  // namespace kafka_mock_detail

// Result of a finished (or killed) child process.
struct CommandResult {
  int exit_code = -1;      // exit status, or 128 + signal
  bool timed_out = false;  // killed with SIGKILL after the timeout
  std::string out;         // stdout
  std::string err;         // stderr
};

// Runs `args` (args[0] looked up on PATH) with stdin from `stdin_path` ("" = /dev/null),
// capturing stdout and stderr; SIGKILLs it after `timeout`. Throws if it cannot be started.
inline CommandResult run_command(std::vector<std::string> args, const std::string& stdin_path = "",
                                 std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  namespace d = kafka_mock_detail;
  if (args.empty()) throw std::runtime_error("run_command: no program");
  const std::string path = d::find_in_path(args[0]);
  if (path.empty()) throw std::runtime_error("run_command: " + args[0] + " not found on PATH");
  const std::string in_path = stdin_path.empty() ? "/dev/null" : stdin_path;
  const int in_fd = ::open(in_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in_fd < 0) throw std::runtime_error("run_command: cannot open " + in_path);
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in_fd);
    throw std::runtime_error("run_command: pipe failed");
  }
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(in_fd);
    ::close(out[0]);
    ::close(out[1]);
    throw std::runtime_error("run_command: pipe failed");
  }
  auto argv = d::c_argv(args);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(in_fd, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    d::exec_child(path, argv.data());
  }
  ::close(in_fd);
  ::close(out[1]);
  ::close(err[1]);
  if (pid < 0) {
    ::close(out[0]);
    ::close(err[0]);
    throw std::runtime_error("run_command: fork failed");
  }

  CommandResult r;
  const auto deadline = d::Clock::now() + timeout;
  bool out_open = true, err_open = true;
  char buf[65536];
  while (out_open || err_open) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - d::Clock::now()).count();
    if (left <= 0) {
      r.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd fds[2] = {{out_open ? out[0] : -1, POLLIN, 0}, {err_open ? err[0] : -1, POLLIN, 0}};
    if (::poll(fds, 2, static_cast<int>(left)) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0)
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      else if (n == 0 || errno != EINTR)
        (i == 0 ? out_open : err_open) = false;
    }
  }
  ::close(out[0]);
  ::close(err[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = d::exit_code(status);
  return r;
}

// Splits `text` into lines on '\n' (a trailing newline does not add an empty line).
inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

// True if kcat is on PATH.
inline bool kcat_available() {
  return !kafka_mock_detail::find_in_path("kcat").empty();
}

// `kcat -C -b BOOTSTRAP -t TOPIC -o beginning -e -q -f FORMAT`: everything in all partitions
// of `topic`, one element per output line. FORMAT is kcat's (%k key, %s value, %p partition,
// %o offset; it must end in \n). Throws if kcat fails or times out.
inline std::vector<std::string> consume_with_kcat(
    const std::string& bootstrap, const std::string& topic, const std::string& format = "%k\t%s\n",
    std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  const auto r = run_command(
      {"kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q", "-f", format}, "",
      timeout);
  if (r.timed_out || r.exit_code != 0)
    throw std::runtime_error("kcat -C " + topic + (r.timed_out ? " timed out" : " failed") +
                             " (exit " + std::to_string(r.exit_code) + "): " + r.err);
  return split_lines(r.out);
}

// `kcat -P -b BOOTSTRAP -t TOPIC -K '\t' [extra...] < FILE`: one message per line of `file`,
// key before the first tab. Returns kcat's result (exit_code 0 = every message delivered);
// e.g. extra = {"-X", "message.timeout.ms=2000"} to fail fast when brokers are down.
inline CommandResult produce_with_kcat(
    const std::string& bootstrap, const std::string& topic, const std::string& file,
    const std::vector<std::string>& extra = {},
    std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  std::vector<std::string> args{"kcat", "-P", "-b", bootstrap, "-t", topic, "-K", "\\t"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_command(std::move(args), file, timeout);
}

// The kafka-mock tool as a child process; the cluster lives as long as this object.
class KafkaMock {
 public:
  explicit KafkaMock(std::string topics_csv = kKafkaMockTopics, int brokers = 3, int partitions = 3)
      : brokers_(brokers) {
    namespace d = kafka_mock_detail;
    std::vector<std::string> args{
        KAFKA_MOCK_BIN,          "--topics",     std::move(topics_csv),     "--brokers",
        std::to_string(brokers), "--partitions", std::to_string(partitions)};
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0) throw std::runtime_error("KafkaMock: pipe failed");
    if (::pipe2(out, O_CLOEXEC) != 0) {
      ::close(in[0]);
      ::close(in[1]);
      throw std::runtime_error("KafkaMock: pipe failed");
    }
    auto argv = d::c_argv(args);
    const std::string path = KAFKA_MOCK_BIN;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      d::exec_child(path, argv.data());  // stderr is inherited
    }
    ::close(in[0]);
    ::close(out[1]);
    to_child_ = in[1];
    from_child_ = out[0];
    if (pid_ < 0) {
      close_fds();
      throw std::runtime_error("KafkaMock: fork failed");
    }
    std::string first;
    if (!read_line(first, std::chrono::seconds(10)) || first.rfind("bootstrap=", 0) != 0) {
      stop();
      throw std::runtime_error("KafkaMock: no bootstrap line from " + path + " (got '" + first +
                               "')");
    }
    bootstrap_ = first.substr(std::strlen("bootstrap="));
  }

  KafkaMock(const KafkaMock&) = delete;
  KafkaMock& operator=(const KafkaMock&) = delete;

  ~KafkaMock() { stop(); }

  // Comma-separated host:port list of all brokers (ids 1..brokers()).
  const std::string& bootstrap() const { return bootstrap_; }
  // Every broker down / up again (the calls test::RealKafka has too).
  void all_down() {
    if (command("all-down").rfind("ok", 0) != 0) throw std::runtime_error("all-down refused");
  }
  void all_up() {
    if (command("all-up").rfind("ok", 0) != 0) throw std::runtime_error("all-up refused");
  }
  int brokers() const { return brokers_; }
  pid_t pid() const { return pid_; }

  // Sends one command line (e.g. "down 2", "all-up", "ping") and returns the reply line
  // ("ok ..." or "error ..."). Throws if the tool does not answer within `timeout`.
  std::string command(const std::string& line,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    if (!kafka_mock_detail::write_all(to_child_, line + "\n"))
      throw std::runtime_error("KafkaMock: cannot send '" + line + "'");
    std::string reply;
    if (!read_line(reply, timeout))
      throw std::runtime_error("KafkaMock: no reply to '" + line + "'");
    return reply;
  }

 private:
  bool read_line(std::string& line, std::chrono::milliseconds timeout) {
    using kafka_mock_detail::Clock;
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      const auto nl = buf_.find('\n');
      if (nl != std::string::npos) {
        line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return true;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return false;
      pollfd p{from_child_, POLLIN, 0};
      const int rc = ::poll(&p, 1, static_cast<int>(left));
      if (rc < 0 && errno == EINTR) continue;
      if (rc <= 0) return false;
      char chunk[4096];
      const ssize_t n = ::read(from_child_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;  // EOF: the tool died
      buf_.append(chunk, static_cast<size_t>(n));
    }
  }

  void close_fds() {
    if (to_child_ >= 0) ::close(to_child_);
    if (from_child_ >= 0) ::close(from_child_);
    to_child_ = from_child_ = -1;
  }

  // quit + EOF, wait up to 5 s, then SIGKILL.
  void stop() noexcept {
    if (pid_ <= 0) {
      close_fds();
      return;
    }
    if (to_child_ >= 0) kafka_mock_detail::write_all(to_child_, "quit\n");
    close_fds();
    const auto deadline = kafka_mock_detail::Clock::now() + std::chrono::seconds(5);
    int status = 0;
    for (;;) {
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || (r < 0 && errno != EINTR)) break;
      if (kafka_mock_detail::Clock::now() >= deadline) {
        ::kill(pid_, SIGKILL);
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
  }

  int brokers_;
  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
  std::string buf_;
  std::string bootstrap_;
};

}  // namespace test
