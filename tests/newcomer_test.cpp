// What a new user meets first (issue 19): a misspelt command, a port already taken.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <filesystem>
#include <fstream>

#include "process.h"

namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("iot-gateway-newcomer-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Runs the binary with `args` to its end; its stderr in `err`.
int run_to_end(const std::vector<std::string>& args, const fs::path& dir, std::string& err) {
  const fs::path log = dir / "stderr.log";
  const int code = test::wait_exit(test::spawn_gateway(args, log.string()));
  err = test::slurp(log);
  return code;
}

}  // namespace

TEST_CASE("a misspelt command is named, with the nearest one") {
  const fs::path dir = fresh_dir("command");
  std::string err;
  CHECK(run_to_end({"chek-config"}, dir, err) == 2);
  CHECK_MESSAGE(
      err.find("unknown command 'chek-config'; did you mean 'check-config'?") != std::string::npos,
      err);
  CHECK(err.find("A subcommand is required") == std::string::npos);
  fs::remove(dir / "stderr.log");
  CHECK(run_to_end({"buffer", "stat"}, dir, err) == 2);
  CHECK_MESSAGE(err.find("iot-gateway buffer: unknown command 'stat'; did you mean 'stats'?") !=
                    std::string::npos,
                err);
}

TEST_CASE("a gateway whose endpoint cannot listen does not start, and says why") {
  const fs::path dir = fresh_dir("port");
  // Hold a port, listening, for the whole test.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(listen(fd, 1) == 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const std::string listen_at = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  std::ofstream(dir / "gw.yaml") << "gateway: {id: port-gw, data_dir: " << (dir / "data").string()
                                 << "}\nsimulator: {clock: virtual, duration: 2m}\n"
                                 << "sinks:\n  kafka: {enabled: false}\n"
                                 << "  file: {enabled: true, path: " << (dir / "out").string()
                                 << "}\nhttp: {listen: '" << listen_at << "'}\n";
  std::string err;
  CHECK(run_to_end({"run", "-c", (dir / "gw.yaml").string()}, dir, err) == 1);
  close(fd);
  CHECK_MESSAGE(err.find("http: cannot listen on " + listen_at) != std::string::npos, err);
  CHECK(err.find("not starting") != std::string::npos);
  CHECK(err.find("bounded run complete") == std::string::npos);
}
