#include "tenant/template.hpp"

#include "core/input.hpp"
#include "core/text.hpp"

#include <yaml-cpp/yaml.h>

#include <set>

namespace crm::tenant {

namespace {

// Settings text may span lines (prompts, greetings); keys and names may not.
constexpr std::size_t k_max_setting_length = 100000;
constexpr std::size_t k_max_name_length = 200;

// YAML to JSON with every key and string checked by the one text validator. The document's
// shape (depth, aliases) was bounded by check_yaml_shape before this recursion starts.
Result<nlohmann::json> to_json(const YAML::Node& n, const std::string& where) {
  if (n.IsMap()) {
    nlohmann::json o = nlohmann::json::object();
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string k = it->first.as<std::string>();
      CRM_TRY(check_text(k, TextRule(where + " key", k_max_name_length)));
      CRM_TRY_ASSIGN(o[k], to_json(it->second, where + "." + k));
    }
    return o;
  }
  if (n.IsSequence()) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& x : n) {
      CRM_TRY_ASSIGN(auto v, to_json(x, where + "[" + std::to_string(a.size()) + "]"));
      a.push_back(std::move(v));
    }
    return a;
  }
  if (n.IsNull()) return nlohmann::json(nullptr);
  std::string s = n.Scalar();
  CRM_TRY(check_text(s, TextRule(where, k_max_setting_length, LineBreaks::allowed)));
  if (n.Tag() == "!") return nlohmann::json(s); // quoted: keep as text
  if (s == "true") return nlohmann::json(true);
  if (s == "false") return nlohmann::json(false);
  return nlohmann::json(s);
}

} // namespace

Result<Template> parse_template(const std::string& text, const std::string& origin) {
  Template t;
  // A recursive alias (`a: &a [*a]`), 10,000 levels or an alias bomb: a usage error, no crash.
  CRM_TRY(check_yaml_shape(text, origin, ErrorKind::usage));
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsMap())
      return make_error(ErrorKind::usage, origin + ": top level must be a mapping");
    for (auto it = root.begin(); it != root.end(); ++it) {
      std::string k = it->first.as<std::string>();
      if (k != "settings" && k != "modules" && k != "branding" && k != "services")
        return make_error(ErrorKind::usage, origin + ": unknown key '" + excerpt(k) +
                                                "' (known: settings, modules, branding, services)");
    }
    for (auto [key, into] : {std::pair{"settings", &t.settings}, std::pair{"modules", &t.modules},
                             std::pair{"branding", &t.branding}})
      if (root[key]) {
        if (!root[key].IsMap())
          return make_error(ErrorKind::usage, origin + ": line " +
                                                  std::to_string(root[key].Mark().line + 1) +
                                                  ": " + key + " must be a mapping of names to "
                                                  "values");
        CRM_TRY_ASSIGN(*into, to_json(root[key], origin + ": " + key));
      }
    std::set<std::string> names;
    if (auto svc = root["services"]) {
      if (!svc.IsSequence())
        return make_error(ErrorKind::usage, origin + ": services must be a list");
      for (const auto& s : svc) {
        Service x;
        x.name = s["name"] ? s["name"].as<std::string>() : "";
        if (x.name.empty()) return make_error(ErrorKind::usage, origin + ": a service has no name");
        CRM_TRY(check_text(x.name, TextRule(origin + ": service name", k_max_name_length)));
        if (!names.insert(x.name).second)
          return make_error(ErrorKind::usage,
                            origin + ": service '" + x.name + "' is listed twice");
        // services.price is numeric(20, 2): 18 digits before the point, 2 after.
        std::string price_text = s["price"] ? s["price"].as<std::string>() : "";
        auto price = Decimal::parse(price_text, k_numeric_20_2);
        if (!price && !price_text.empty())
          return make_error(ErrorKind::usage,
                            origin + ": service '" + x.name + "' price: " + price.error().message);
        if (!price || price->is_negative())
          return make_error(ErrorKind::usage,
                            origin + ": service '" + x.name + "' needs a price like \"400.00\"");
        x.price = *price;
        if (auto kw = s["keywords"])
          for (const auto& k : kw) {
            x.keywords.push_back(k.as<std::string>());
            CRM_TRY(check_text(
                x.keywords.back(),
                TextRule(origin + ": service '" + x.name + "' keyword", k_max_name_length)));
          }
        t.services.push_back(std::move(x));
      }
    }
  } catch (const YAML::Exception& e) {
    return make_error(ErrorKind::usage, origin + ": invalid YAML at line " +
                                            std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return t;
}

Result<Template> load_template(const std::string& path) {
  CRM_TRY_ASSIGN(std::string text, read_file(path, "settings file"));
  return parse_template(text, path);
}

} // namespace crm::tenant
