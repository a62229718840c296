// `crmctl webhooks list | replay`: the webhook inbox (the daemon, `crmctl serve`, writes it).
#pragma once
#include "cmd/app.hpp"

#include <string>

namespace crm::cmd {

struct WebhooksListOptions {
  std::string status;
  int limit = 100;
};
struct WebhooksReplayOptions {
  long long id = 0;
  std::string since;
};
/// Registers the `webhooks` noun and its verbs.
void register_webhooks(CLI::App& root, Context& ctx);
void register_webhooks_list(CLI::App& noun, Context& ctx);
void register_webhooks_replay(CLI::App& noun, Context& ctx);
/// Lists inbox rows, newest first.
Result<void> run_webhooks_list(const WebhooksListOptions& o, Deps& d);
/// Applies unrouted, held or failed inbox rows again.
Result<void> run_webhooks_replay(const WebhooksReplayOptions& o, Deps& d);

} // namespace crm::cmd
