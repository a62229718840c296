// The tenant template: settings, modules, branding and the services price list
// (templates/tenant/default.yaml or `--settings FILE`).
#pragma once
#include "core/money.hpp"
#include "core/result.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace crm::tenant {

/// One service of the price list.
struct Service {
  std::string name;
  Decimal price;
  std::vector<std::string> keywords;
};

struct Template {
  nlohmann::json settings = nlohmann::json::object();
  nlohmann::json modules = nlohmann::json::object();
  nlohmann::json branding = nlohmann::json::object();
  std::vector<Service> services;
};

/// Parses a template; bad YAML, a bad price or a duplicate service name → usage error naming it.
Result<Template> parse_template(const std::string& yaml_text, const std::string& origin);
Result<Template> load_template(const std::string& path);

} // namespace crm::tenant
