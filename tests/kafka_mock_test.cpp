// The kafka-mock tool and its test helper: kcat round trip through a 3-broker mock cluster,
// per-key ordering, and produce failing while all brokers are down.
#include "kafka_mock.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include <vector>
#include "process.h"

namespace fs = std::filesystem;

namespace {

void write_lines(const fs::path& p, const std::vector<std::string>& lines) {
  std::ofstream f(p, std::ios::binary);
  for (const auto& l : lines) f << l << '\n';
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const auto tab = line.find('\t', start);
    out.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) return out;
    start = tab + 1;
  }
}

}  // namespace

TEST_CASE("kafka-mock answers commands" * doctest::timeout(10)) {
  test::KafkaMock kafka("CMD_TEST", 3, 2);
  CHECK(std::count(kafka.bootstrap().begin(), kafka.bootstrap().end(), ',') == 2);
  CHECK(kafka.command("ping") == "ok pong");
  CHECK(kafka.command("bootstrap") == "ok " + kafka.bootstrap());
  CHECK(kafka.command("down 1") == "ok down 1");
  CHECK(kafka.command("up 1") == "ok up 1");
  CHECK(kafka.command("down 3") == "ok down 3");
  CHECK(kafka.command("all-up") == "ok all-up");
  CHECK(kafka.command("down 0").rfind("error ", 0) == 0);
  CHECK(kafka.command("up 4").rfind("error ", 0) == 0);
  CHECK(kafka.command("down").rfind("error ", 0) == 0);
  CHECK(kafka.command("explode").rfind("error ", 0) == 0);
  CHECK(kafka.command("ping") == "ok pong");
}

TEST_CASE("kafka-mock round trip with kcat and all brokers down" * doctest::timeout(30) *
          doctest::skip(!test::kcat_available())) {
  using Clock = std::chrono::steady_clock;
  const std::string topic = "KCAT_TEST";
  const fs::path dir = test::fresh_dir("kafka-roundtrip");
  test::KafkaMock kafka(topic, 3, 3);

  // 1,000 lines over 17 keys; the value carries the key and its per-key sequence number.
  std::vector<std::string> produced;
  std::map<std::string, int> next_seq;
  for (int i = 0; i < 1000; ++i) {
    const std::string key = "dev-" + std::to_string(i * 7 % 17);
    produced.push_back(key + "\t" + key + ":" + std::to_string(next_seq[key]++) + ":payload-" +
                       std::to_string(i));
  }
  write_lines(dir / "batch1.tsv", produced);
  const auto p1 = test::produce_with_kcat(kafka.bootstrap(), topic, (dir / "batch1.tsv").string());
  REQUIRE_MESSAGE(p1.exit_code == 0, "kcat -P: " << p1.err);

  const auto consumed = test::consume_with_kcat(kafka.bootstrap(), topic, "%k\t%s\t%p\n");
  REQUIRE(consumed.size() == produced.size());

  std::vector<std::string> got;  // "key\tvalue", as produced
  std::map<std::string, std::vector<int>> seqs_by_key;
  std::map<std::string, std::set<std::string>> partitions_by_key;
  std::set<std::string> partitions;
  for (const auto& line : consumed) {
    const auto f = split_tabs(line);
    REQUIRE(f.size() == 3);
    got.push_back(f[0] + "\t" + f[1]);
    const auto colon = f[1].find(':');
    REQUIRE(f[1].substr(0, colon) == f[0]);
    seqs_by_key[f[0]].push_back(std::stoi(f[1].substr(colon + 1)));
    partitions_by_key[f[0]].insert(f[2]);
    partitions.insert(f[2]);
  }
  auto want = produced;
  std::sort(want.begin(), want.end());
  std::sort(got.begin(), got.end());
  CHECK(got == want);
  CHECK(seqs_by_key.size() == next_seq.size());
  for (const auto& [key, seqs] : seqs_by_key) {
    INFO("key " << key);
    CHECK(partitions_by_key[key].size() == 1);  // one key, one partition
    std::vector<int> expected(seqs.size());
    for (size_t i = 0; i < expected.size(); ++i) expected[i] = static_cast<int>(i);
    CHECK(seqs == expected);  // per-key order kept
  }
  CHECK(partitions.size() > 1);  // the keys really were spread over partitions

  // All brokers down: the listeners refuse connections, delivery times out.
  REQUIRE(kafka.command("all-down") == "ok all-down");
  write_lines(dir / "down.tsv", {"dev-x\tlost"});
  const auto t0 = Clock::now();
  const auto p2 =
      test::produce_with_kcat(kafka.bootstrap(), topic, (dir / "down.tsv").string(),
                              {"-X", "message.timeout.ms=2000"}, std::chrono::seconds(10));
  const auto down_secs = std::chrono::duration<double>(Clock::now() - t0).count();
  MESSAGE("produce with all brokers down: exit " << p2.exit_code << " after " << down_secs << " s");
  CHECK_FALSE(p2.timed_out);
  CHECK(p2.exit_code != 0);
  CHECK(down_secs < 8.0);

  // Back up: producing works again and everything is consumable.
  REQUIRE(kafka.command("all-up") == "ok all-up");
  std::vector<std::string> after;
  for (int i = 0; i < 10; ++i)
    after.push_back("dev-" + std::to_string(i) + "\tafter-" + std::to_string(i));
  write_lines(dir / "after.tsv", after);
  const auto p3 = test::produce_with_kcat(kafka.bootstrap(), topic, (dir / "after.tsv").string(),
                                          {"-X", "message.timeout.ms=5000"});
  REQUIRE_MESSAGE(p3.exit_code == 0, "kcat -P: " << p3.err);
  const auto all = test::consume_with_kcat(kafka.bootstrap(), topic);
  CHECK(all.size() == produced.size() + after.size());
  const std::set<std::string> all_set(all.begin(), all.end());
  for (const auto& l : after) CHECK(all_set.count(l) == 1);
  CHECK(all_set.count("dev-x\tlost") == 0);

  fs::remove_all(dir);
}
