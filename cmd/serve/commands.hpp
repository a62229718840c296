// `crmctl serve`: the webhook daemon (lib/webhook/server).
#pragma once
#include "cmd/app.hpp"

#include <string>

namespace crm::cmd {

struct ServeOptions {
  std::string listen = "127.0.0.1:8080";
  int threads = 16;
  int backlog = 64;
  std::string max_body = "1MiB";
  std::string read_timeout = "5s";
  std::string request_timeout = "15s";
  int batch_max = 64;
  std::string batch_wait = "2ms";
  int committers = 2;
};
void register_serve(CLI::App& root, Context& ctx);
Result<void> run_serve(const ServeOptions& o, Deps& d);

} // namespace crm::cmd
