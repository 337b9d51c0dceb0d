// druid-mock: a small in-memory Apache Druid for the gateway's tests.
//
// Serves the Druid HTTP calls the gateway makes, as Druid documents them (native batch tasks
// with inline data, Kafka supervisors, health), plus /mock/* control endpoints for injected
// failures and for reading back what was ingested. See README.md next to this file.
//
// Prints `listening=HOST:PORT` on stdout once it accepts connections; exits 0 on SIGTERM,
// SIGINT or end of stdin (unless --ignore-stdin).
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <iostream>
#include <limits>
#include <optional>
#include <string>
#include <thread>

#include "druid_state.h"
#include "http/server.h"
#include "routes.h"

int main(int argc, char** argv) {
  CLI::App app{"In-memory Apache Druid (task and supervisor APIs) for tests"};
  std::string listen = "127.0.0.1:0";
  std::optional<std::string> user, password;
  int running_polls = 1;
  druid_mock::MockOptions options;
  bool ignore_stdin = false;
  app.add_option("--listen", listen, "HOST:PORT to listen on (port 0: an ephemeral port)");
  app.add_option("--user", user, "require HTTP basic auth with this user on Druid endpoints");
  app.add_option("--password", password, "the password for --user");
  app.add_option("--running-polls", running_polls,
                 "status requests a task answers RUNNING before its final status")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--max-payload", options.max_payload,
                 "largest task payload in bytes (druid.indexer.queue.maxTaskPayloadSize)")
      ->check(CLI::PositiveNumber);
  app.add_flag("--verbose", options.verbose, "log every request to stderr");
  app.add_flag("--ignore-stdin", ignore_stdin, "do not exit at the end of stdin");
  CLI11_PARSE(app, argc, argv);
  if (password && !user) {
    std::cerr << "druid-mock: --password needs --user\n";
    return 2;
  }
  options.user = user;
  options.password = password.value_or("");

  // SIGTERM/SIGINT are taken by sigwait() below; every thread started from here on has them
  // blocked.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  druid_mock::DruidState state(running_polls);
  gw::HttpServerOptions server_options;
  server_options.listen = listen;
  server_options.max_connections = 256;
  // Larger than --max-payload so that an oversized task gets Druid's 400, not the server's 413.
  constexpr std::size_t kSlack = 16u << 20;
  server_options.max_body = options.max_payload > std::numeric_limits<std::size_t>::max() - kSlack
                                ? std::numeric_limits<std::size_t>::max()
                                : options.max_payload + kSlack;
  server_options.read_timeout_ms = 60000;
  gw::HttpServer server(server_options, druid_mock::make_handler(state, options));
  std::string error;
  if (!server.start(error)) {
    std::cerr << "druid-mock: cannot listen on " << listen << ": " << error << '\n';
    return 1;
  }
  std::printf("listening=%s\n", server.bound_address().c_str());
  std::fflush(stdout);

  if (!ignore_stdin) {
    std::thread([] {
      char buf[256];
      for (;;) {
        const ssize_t n = ::read(0, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EINTR)) break;
      }
      kill(getpid(), SIGTERM);
    }).detach();
  }
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  server.stop();
  return 0;
}
