// `crmctl number search | buy | activate | list | release | route | reconcile` (one .cpp per verb).
#pragma once
#include "cmd/app.hpp"

#include <vector>

namespace crm::cmd {
struct NumberSearchOptions {
  std::string country = "US", area_code, contains;
  int limit = 20;
};
struct NumberBuyOptions {
  std::string number, area_code, country = "US", idempotency_key;
};
struct NumberActivateOptions {
  std::vector<std::string> numbers;
  std::string agent;
  bool all_tenants = false;
  int jobs = 4;
};
struct NumberListOptions {
  bool all = false; // include released numbers
  std::string status;
};
struct NumberReleaseOptions {
  std::string number;
};
struct NumberRouteOptions {
  std::string number, ai, forward_to;
};
struct NumberReconcileOptions {
  bool fix = false;
  std::string min_age = "3m";
  bool exit_code = false;
};
void register_number(CLI::App& root, Context& ctx);
void register_number_search(CLI::App& noun, Context& ctx);
void register_number_buy(CLI::App& noun, Context& ctx);
void register_number_activate(CLI::App& noun, Context& ctx);
void register_number_list(CLI::App& noun, Context& ctx);
void register_number_release(CLI::App& noun, Context& ctx);
void register_number_route(CLI::App& noun, Context& ctx);
void register_number_reconcile(CLI::App& noun, Context& ctx);
Result<void> run_number_search(const NumberSearchOptions& o, Deps& d);
Result<void> run_number_buy(const NumberBuyOptions& o, Deps& d);
Result<void> run_number_activate(const NumberActivateOptions& o, Deps& d);
Result<void> run_number_list(const NumberListOptions& o, Deps& d);
Result<void> run_number_release(const NumberReleaseOptions& o, Deps& d);
Result<void> run_number_route(const NumberRouteOptions& o, Deps& d);
Result<void> run_number_reconcile(const NumberReconcileOptions& o, Deps& d);
} // namespace crm::cmd
