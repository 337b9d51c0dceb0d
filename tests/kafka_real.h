// Test helper: a real Apache Kafka cluster (scripts/kafka.sh: KRaft nodes from Maven Central) in
// a folder of its own, up for as long as this object lives. Needs PROJECT_DIR, java, mvn, kcat.
//
//   test::RealKafka kafka("outage", 3);      // 3 nodes, broker and controller each
//   kafka.kill(2); kafka.start(2);           // SIGKILL a node; start it again with its data
//   kafka.all_down(); kafka.all_up();        // the same calls as test::KafkaMock's
//   kafka.leader_of("EVENTS_GEO", 0);        // node id of a partition's leader
#pragma once

#include <map>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "kafka_mock.h"

namespace test {

class RealKafka {
 public:
  explicit RealKafka(const std::string& name, int brokers = 1)
      : dir_("/tmp/iot-gateway-kafka-cluster-" + name), brokers_(brokers) {
    script({"down"});  // a cluster a killed test run left behind
    const auto r = script({"up", "--brokers", std::to_string(brokers)}, std::chrono::minutes(5));
    std::smatch m;
    if (r.exit_code != 0 || !std::regex_search(r.out, m, std::regex("BOOTSTRAP=([^\\s]+)")))
      throw std::runtime_error("scripts/kafka.sh up failed (exit " + std::to_string(r.exit_code) +
                               "): " + r.err);
    bootstrap_ = m[1].str();
  }
  ~RealKafka() { script({"down"}); }
  RealKafka(const RealKafka&) = delete;
  RealKafka& operator=(const RealKafka&) = delete;

  const std::string& bootstrap() const { return bootstrap_; }
  int brokers() const { return brokers_; }
  void kill(int node) { check(script({"kill", std::to_string(node)}), "kill"); }
  void start(int node) { check(script({"start", std::to_string(node)}), "start"); }
  void all_down() {
    for (int i = 1; i <= brokers_; ++i) kill(i);
  }
  void all_up() {
    for (int i = 1; i <= brokers_; ++i) start(i);
  }
  // The node id leading `topic`'s partition (from a broker's metadata), -1 if none.
  int leader_of(const std::string& topic, int partition) const {
    const auto r = run_command({"kcat", "-L", "-b", bootstrap_, "-t", topic});
    std::smatch m;
    const std::regex re("partition " + std::to_string(partition) + ", leader (-?[0-9]+)");
    return std::regex_search(r.out, m, re) ? std::stoi(m[1].str()) : -1;
  }
  // Per partition of `topic`, its end offset (how many messages it has had).
  std::map<int, long long> end_offsets(const std::string& topic, int partitions) const {
    std::vector<std::string> args{"kcat", "-Q", "-b", bootstrap_};
    for (int p = 0; p < partitions; ++p) {
      args.push_back("-t");
      args.push_back(topic + ":" + std::to_string(p) + ":-1");
    }
    const auto r = run_command(args);
    std::map<int, long long> out;
    const std::regex re(topic + " \\[([0-9]+)\\] offset ([0-9]+)");
    for (auto it = std::sregex_iterator(r.out.begin(), r.out.end(), re);
         it != std::sregex_iterator(); ++it)
      out[std::stoi((*it)[1].str())] = std::stoll((*it)[2].str());
    return out;
  }

 private:
  CommandResult script(std::vector<std::string> args,
                       std::chrono::milliseconds timeout = std::chrono::seconds(60)) const {
    args.insert(args.begin(), std::string(PROJECT_DIR) + "/scripts/kafka.sh");
    args.push_back("--dir");
    args.push_back(dir_);
    return run_command(std::move(args), "", timeout);
  }
  static void check(const CommandResult& r, const std::string& what) {
    if (r.exit_code != 0)
      throw std::runtime_error("scripts/kafka.sh " + what + " failed: " + r.err);
  }

  std::string dir_;
  int brokers_;
  std::string bootstrap_;
};

}  // namespace test
