// kafka-mock: a throw-away Kafka cluster for tests and benchmarks.
//
// Runs librdkafka's mock cluster (real Kafka protocol over TCP on 127.0.0.1 ephemeral ports) in
// this process, prints `bootstrap=<host:port,...>` on stdout, then serves one-line commands read
// from stdin, answering each with exactly one line starting with `ok` or `error`.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr const char* kDefaultTopics = "SALES,DEVICES,EVENTS,EVENTS_GEO,SALES_AGGREGATE,ALERTS";

std::vector<std::string> split_csv(const std::string& csv) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  std::stringstream in(csv);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto b = item.find_first_not_of(" \t");
    if (b == std::string::npos) continue;
    item = item.substr(b, item.find_last_not_of(" \t") - b + 1);
    if (seen.insert(item).second) out.push_back(item);
  }
  return out;
}

std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

bool parse_int(const std::string& s, int& out) {
  const char* end = s.data() + s.size();
  const auto r = std::from_chars(s.data(), end, out);
  return r.ec == std::errc{} && r.ptr == end;
}

void reply(const std::string& line) {
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

class Cluster {
 public:
  Cluster(rd_kafka_mock_cluster_t* mc, int brokers) : mc_(mc), brokers_(brokers) {}

  // Executes one command line; returns the reply line. Sets `quit` for `quit`.
  std::string execute(const std::string& line, bool& quit) {
    const auto w = split_words(line);
    if (w.empty()) return "error empty command";
    const std::string& cmd = w[0];
    if (cmd == "ping" && w.size() == 1) return "ok pong";
    if (cmd == "quit" && w.size() == 1) {
      quit = true;
      return "ok bye";
    }
    if (cmd == "bootstrap" && w.size() == 1) return std::string("ok ") + bootstraps();
    if (cmd == "all-down" && w.size() == 1)
      return status(cmd, rd_kafka_mock_broker_set_down(mc_, -1));
    if (cmd == "all-up" && w.size() == 1) return status(cmd, rd_kafka_mock_broker_set_up(mc_, -1));
    if (cmd == "down" || cmd == "up") {
      if (w.size() != 2) return "error usage: " + cmd + " <broker_id>";
      int id = 0;
      if (!broker_id(w[1], id)) return bad_broker(w[1]);
      return status(line_of(w), cmd == "down" ? rd_kafka_mock_broker_set_down(mc_, id)
                                              : rd_kafka_mock_broker_set_up(mc_, id));
    }
    if (cmd == "rtt") {
      int id = -1;
      int ms = 0;
      if (w.size() != 3 || !parse_int(w[2], ms) || ms < 0)
        return "error usage: rtt <broker_id|all> <milliseconds>";
      if (w[1] != "all" && !broker_id(w[1], id)) return bad_broker(w[1]);
      return status(line_of(w), rd_kafka_mock_broker_set_rtt(mc_, id, ms));
    }
    if (cmd == "leader") {
      int partition = 0;
      int id = 0;
      if (w.size() != 4 || !parse_int(w[2], partition) || partition < 0)
        return "error usage: leader <topic> <partition> <broker_id|none>";
      if (w[3] == "none")
        id = -1;
      else if (!broker_id(w[3], id))
        return bad_broker(w[3]);
      return status(line_of(w),
                    rd_kafka_mock_partition_set_leader(mc_, w[1].c_str(), partition, id));
    }
    return "error unknown command: " + line_of(w);
  }

  const char* bootstraps() const { return rd_kafka_mock_cluster_bootstraps(mc_); }

 private:
  bool broker_id(const std::string& s, int& id) const {
    return parse_int(s, id) && id >= 1 && id <= brokers_;
  }
  std::string bad_broker(const std::string& s) const {
    return "error bad broker id '" + s + "' (brokers are 1.." + std::to_string(brokers_) + ")";
  }
  static std::string line_of(const std::vector<std::string>& w) {
    std::string s;
    for (const auto& x : w) s += (s.empty() ? "" : " ") + x;
    return s;
  }
  static std::string status(const std::string& what, rd_kafka_resp_err_t err) {
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return "ok " + what;
    return "error " + what + ": " + rd_kafka_err2str(err);
  }

  rd_kafka_mock_cluster_t* mc_;
  int brokers_;
};

// Serves commands from stdin until `quit`, EOF or SIGTERM/SIGINT (read from `sig_fd`).
int serve(Cluster& cluster, int sig_fd) {
  std::string buf;
  char chunk[4096];
  bool quit = false;
  while (!quit) {
    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {sig_fd, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      std::perror("kafka-mock: poll");
      return 1;
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo si{};
      if (::read(sig_fd, &si, sizeof si) == static_cast<ssize_t>(sizeof si))
        std::fprintf(stderr, "kafka-mock: %s, shutting down\n",
                     strsignal(static_cast<int>(si.ssi_signo)));
      return 0;
    }
    if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    const ssize_t n = ::read(STDIN_FILENO, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      std::perror("kafka-mock: read stdin");
      return 1;
    }
    if (n == 0) {  // EOF; a last unterminated line still counts
      if (!buf.empty()) reply(cluster.execute(buf, quit));
      return 0;
    }
    buf.append(chunk, static_cast<size_t>(n));
    for (auto nl = buf.find('\n'); nl != std::string::npos && !quit; nl = buf.find('\n')) {
      std::string line = buf.substr(0, nl);
      buf.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;  // blank: no reply
      reply(cluster.execute(line, quit));
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string topics_csv = kDefaultTopics;
  int brokers = 3;
  int partitions = 3;
  int replication = 0;
  bool verbose = false;

  CLI::App app{
      "kafka-mock: librdkafka mock Kafka cluster on 127.0.0.1 ephemeral ports (for tests).\n"
      "Prints one line `bootstrap=<host:port,...>`, then reads commands from stdin, one per line,\n"
      "each answered with one line `ok ...` or `error ...`:\n"
      "  ping | bootstrap | down <id> | up <id> | all-down | all-up\n"
      "  rtt <id|all> <ms> | leader <topic> <partition> <id|none> | quit\n"
      "Broker ids are 1..N. EOF on stdin, SIGTERM or SIGINT also exit (status 0).\n"
      "Note: the mock keeps only ~5 MB (or 100000 batches) per partition; older messages are\n"
      "evicted, so consumers starting from the beginning may miss early data.",
      "kafka-mock"};
  app.add_option("-t,--topics", topics_csv, "Comma-separated topics to create")
      ->capture_default_str();
  app.add_option("-b,--brokers", brokers, "Number of brokers (ids 1..N)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("-p,--partitions", partitions, "Partitions per topic")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("-r,--replication-factor", replication,
                 "Replication factor per topic (0 = min(3, brokers))")
      ->check(CLI::Range(0, 64))
      ->capture_default_str();
  app.add_flag("-v,--verbose", verbose, "librdkafka mock debug logging on stderr");
  CLI11_PARSE(app, argc, argv);

  if (replication == 0) replication = brokers < 3 ? brokers : 3;
  if (replication > brokers) {
    std::cerr << "kafka-mock: --replication-factor " << replication << " exceeds --brokers "
              << brokers << "\n";
    return 2;
  }
  const auto topics = split_csv(topics_csv);

  // Block the shutdown signals before librdkafka starts its threads so that they inherit the
  // mask and the signals are only ever consumed through the signalfd below.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGPIPE);  // a vanished reader must not kill us mid-reply
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  sigdelset(&sigs, SIGPIPE);
  const int sig_fd = signalfd(-1, &sigs, SFD_CLOEXEC);
  if (sig_fd < 0) {
    std::perror("kafka-mock: signalfd");
    return 1;
  }

  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const bool conf_ok = rd_kafka_conf_set(conf, "log_level", verbose ? "7" : "3", errstr,
                                         sizeof errstr) == RD_KAFKA_CONF_OK &&
                       (!verbose || rd_kafka_conf_set(conf, "debug", "mock", errstr,
                                                      sizeof errstr) == RD_KAFKA_CONF_OK);
  if (!conf_ok) {
    std::cerr << "kafka-mock: " << errstr << "\n";
    rd_kafka_conf_destroy(conf);
    return 1;
  }
  // The handle only hosts the mock cluster; it never produces anything itself.
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) {
    std::cerr << "kafka-mock: rd_kafka_new: " << errstr << "\n";
    rd_kafka_conf_destroy(conf);
    return 1;
  }
  rd_kafka_mock_cluster_t* mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) {
    std::cerr << "kafka-mock: rd_kafka_mock_cluster_new failed\n";
    rd_kafka_destroy(rk);
    return 1;
  }

  int rc = 0;
  for (const auto& t : topics) {
    const auto err = rd_kafka_mock_topic_create(mc, t.c_str(), partitions, replication);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::cerr << "kafka-mock: create topic " << t << ": " << rd_kafka_err2str(err) << "\n";
      rc = 1;
    }
  }

  if (rc == 0) {
    Cluster cluster(mc, brokers);
    reply(std::string("bootstrap=") + cluster.bootstraps());
    rc = serve(cluster, sig_fd);
  }

  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  ::close(sig_fd);
  return rc;
}
