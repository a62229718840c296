#include "tenant/vault.hpp"

#include "core/crypto.hpp"
#include "core/input.hpp"
#include "core/mask.hpp"
#include "db/audit.hpp"
#include "providers/verify.hpp"

#include "core/text.hpp"
#include "db/sql.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>

namespace crm::tenant {
namespace {

std::string aad_for(const std::string& org_id, const std::string& provider) {
  return "crmctl:org_credentials:" + org_id + ":" + provider;
}

Status check_provider(const std::string& provider) {
  if (provider == "vapi")
    return make_error(ErrorKind::usage,
                      "Vapi is a platform key, never a tenant credential: set "
                      "providers.vapi.private_key in the profile (e.g. env:VAPI_PRIVATE_KEY)");
  if (!providers::credential_fields().count(provider))
    return make_error(ErrorKind::usage, "unknown provider '" + provider +
                                            "': use twilio, elevenlabs, retell or google");
  return {};
}

// Every name and value through the one text validator; a value is never quoted (a secret), and
// a NUL is refused rather than truncating the secret where it is used.
Status check_text_of(const Values& v) {
  for (const auto& [k, val] : v) {
    CRM_TRY(check_text(k, TextRule("credential field name", 64)));
    CRM_TRY(check_text(
        val, TextRule("credential field '" + k + "'", 4096, LineBreaks::refused, Echo::never)));
  }
  return {};
}

Status check_fields(const std::string& provider, const Values& v) {
  CRM_TRY(check_text_of(v));
  const auto& fields = providers::credential_fields().at(provider);
  for (const auto& [k, val] : v)
    if (std::find(fields.begin(), fields.end(), k) == fields.end())
      return make_error(
          ErrorKind::usage, "unknown field '" + k + "' for " + provider + " (expected: " + [&] {
            std::string s;
            for (auto& f : fields)
              s += (s.empty() ? "" : ", ") + f;
            return s;
          }() + ")");
  for (const auto& f : fields) {
    auto it = v.find(f);
    if (it == v.end() || it->second.empty())
      return make_error(ErrorKind::usage, provider + " credentials need '" + f + "'");
  }
  if (provider == "twilio" && v.at("account_sid").rfind("AC", 0) != 0)
    return make_error(ErrorKind::usage, "twilio account_sid must start with AC");
  return {};
}

std::string bytea_hex(const std::string& raw) {
  return "\\x" + crypto::hex(raw);
}

std::string from_bytea(const std::string& text) {
  // PostgreSQL hex output "\x0a1b..."
  std::string out;
  for (std::size_t i = 2; i + 1 < text.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(text.substr(i, 2), nullptr, 16)));
  return out;
}

bool is_identifier_field(const std::string& k) {
  return k == "account_sid" || k == "client_id";
}

} // namespace

Values mask_values(const Values& v) {
  Values m;
  for (const auto& [k, val] : v)
    m[k] = is_identifier_field(k) ? val : mask_secret(val);
  return m;
}

Result<Values> parse_credential_text(const std::string& provider, const std::string& text) {
  CRM_TRY(check_provider(provider));
  Values v;
  // `[[[[...` a million deep: refused on the text, before a parser or destructor recurses.
  if (auto first = text.find_first_not_of(" \t\r\n");
      first != std::string::npos && (text[first] == '{' || text[first] == '['))
    CRM_TRY(check_json_shape(text, "credential input", ErrorKind::usage));
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (!it.value().is_string())
        return make_error(ErrorKind::usage,
                          "credential field '" + excerpt(it.key()) + "' must be a string");
      v[it.key()] = it.value().get<std::string>();
    }
  } else {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      auto eq = line.find('=');
      if (eq == std::string::npos || eq == 0)
        return make_error(ErrorKind::usage,
                          "credential input must be a JSON object or KEY=VALUE lines");
      v[to_lower(line.substr(0, eq))] = line.substr(eq + 1);
    }
  }
  CRM_TRY(check_fields(provider, v));
  return v;
}

Result<Values> credential_from_env(const std::string& provider, const EnvLookup& env) {
  CRM_TRY(check_provider(provider));
  Values v;
  for (const auto& f : providers::credential_fields().at(provider)) {
    std::string name = to_upper(provider) + "_" + to_upper(f);
    auto val = env(name);
    if (!val || val->empty())
      return make_error(ErrorKind::config,
                        "environment variable " + name + " is not set (needed by --from-env)");
    CRM_TRY(check_text(*val, TextRule(name, 4096, LineBreaks::refused, Echo::never)));
    v[f] = *val;
  }
  CRM_TRY(check_fields(provider, v));
  return v;
}

Result<CredentialSet> set_credentials(db::TenantTx& tx, const TenantRef& t,
                                      const std::string& provider, const Values& values,
                                      const MasterKey& key, const Actor& actor, DryRun dry_run) {
  CRM_TRY(require_active(t));
  CRM_TRY(check_provider(provider));
  CRM_TRY(check_fields(provider, values));
  CredentialSet out{t.slug, provider, key.id, mask_values(values), false, dry_run == DryRun::yes};
  CRM_TRY_ASSIGN(auto cur,
                 tx.exec("SELECT key_id FROM org_credentials WHERE provider = $1", {provider}));
  if (!cur.empty() && cur.get(0, "key_id") != key.id)
    return make_error(ErrorKind::config,
                      "the stored " + provider + " credentials of '" + t.slug +
                          "' are sealed under master key " + cur.get(0, "key_id") +
                          ", but the current master key is " + key.id +
                          ": use the right CRMCTL_MASTER_KEY, or `crmctl creds rotate-key`");
  out.replaced = !cur.empty();
  if (dry_run == DryRun::yes) return out;
  nlohmann::json plain = values;
  nlohmann::json masked = out.masked;
  CRM_TRY_ASSIGN(auto sealed,
                 crypto::aes256gcm_encrypt(key.bytes, plain.dump(), aad_for(t.id, provider)));
  CRM_TRY(tx.exec(
      "INSERT INTO org_credentials (org_id, provider, ciphertext, nonce, tag, key_id, masked) "
      "VALUES ($1::uuid, $2, $3::bytea, $4::bytea, $5::bytea, $6, $7::jsonb) ON CONFLICT (org_id, "
      "provider) DO UPDATE SET "
      "ciphertext = EXCLUDED.ciphertext, nonce = EXCLUDED.nonce, tag = EXCLUDED.tag, key_id = "
      "EXCLUDED.key_id, "
      "masked = EXCLUDED.masked, last_verified_at = NULL, verification_error = NULL, updated_at = "
      "now()",
      {t.id, provider, bytea_hex(sealed.ciphertext), bytea_hex(sealed.nonce), bytea_hex(sealed.tag),
       key.id, masked.dump()}));
  CRM_TRY(db::write_audit(
      tx,
      {actor.name, t.id, "creds.set", "org_credentials/" + provider,
       audit_args(
           actor,
           nlohmann::json{{"provider", provider}, {"values", masked}, {"key_id", key.id}}.dump()),
       "ok", ""}));
  return out;
}

Result<std::vector<CredentialInfo>> list_credentials(db::TenantTx& tx, const TenantRef& t) {
  CRM_TRY(require_active(t));
  CRM_TRY_ASSIGN(auto r, tx.exec("SELECT provider, masked::text AS masked, key_id, " +
                                 db::rfc3339_sql("last_verified_at") +
                                 " AS verified, coalesce(verification_error, '') AS err, " +
                                 db::rfc3339_sql("updated_at") +
                                 " AS updated FROM org_credentials ORDER BY provider"));
  std::vector<CredentialInfo> out;
  for (std::size_t i = 0; i < r.size(); ++i) {
    CredentialInfo c{r.get(i, "provider"), r.get(i, "key_id"),  r.get(i, "verified"),
                     r.get(i, "err"),      r.get(i, "updated"), {}};
    auto m = nlohmann::json::parse(r.get(i, "masked"), nullptr, false);
    if (m.is_object())
      for (auto it = m.begin(); it != m.end(); ++it)
        if (it.value().is_string()) c.masked[it.key()] = it.value().get<std::string>();
    out.push_back(std::move(c));
  }
  return out;
}

Result<Values> load_credentials(db::TenantTx& tx, const TenantRef& t, const std::string& provider,
                                const MasterKey& key) {
  CRM_TRY_ASSIGN(
      auto r,
      tx.exec("SELECT ciphertext, nonce, tag, key_id FROM org_credentials WHERE provider = $1",
              {provider}));
  if (r.empty())
    return make_error(ErrorKind::not_found, "tenant '" + t.slug + "' has no " + provider +
                                                " credentials: run `crmctl creds set --tenant " +
                                                t.slug + " " + provider + " --from-stdin`");
  if (r.get(0, "key_id") != key.id)
    return make_error(ErrorKind::config, "the " + provider + " credentials of '" + t.slug +
                                             "' are sealed under master key " + r.get(0, "key_id") +
                                             ", not the current " + key.id +
                                             " (wrong CRMCTL_MASTER_KEY?)");
  crypto::Sealed s{from_bytea(r.get(0, "nonce")), from_bytea(r.get(0, "ciphertext")),
                   from_bytea(r.get(0, "tag"))};
  auto plain = crypto::aes256gcm_decrypt(key.bytes, s, aad_for(t.id, provider));
  if (!plain)
    return make_error(ErrorKind::config, "cannot decrypt the " + provider + " credentials of '" +
                                             t.slug + "': wrong master key or tampered row");
  auto j = nlohmann::json::parse(*plain, nullptr, false);
  if (!j.is_object())
    return make_error(ErrorKind::config, "stored " + provider + " credentials are malformed");
  Values v;
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.value().is_string()) v[it.key()] = it.value().get<std::string>();
  return v;
}

Result<CredentialDeleted> delete_credentials(db::TenantTx& tx, const TenantRef& t,
                                             const std::string& provider, const Actor& actor,
                                             DryRun dry_run) {
  CRM_TRY(require_active(t));
  CRM_TRY(check_provider(provider));
  CRM_TRY_ASSIGN(auto r, tx.exec("SELECT 1 FROM org_credentials WHERE provider = $1", {provider}));
  if (r.empty())
    return make_error(ErrorKind::not_found,
                      "tenant '" + t.slug + "' has no " + provider + " credentials");
  CredentialDeleted out{t.slug, provider, dry_run == DryRun::yes};
  if (dry_run == DryRun::yes) return out;
  CRM_TRY(tx.exec("DELETE FROM org_credentials WHERE provider = $1", {provider}));
  CRM_TRY(db::write_audit(tx, {actor.name, t.id, "creds.delete", "org_credentials/" + provider,
                               audit_args(actor, "{}"), "ok", ""}));
  return out;
}

Result<VerifyReport>
verify_stored(db::TenantTx& tx, const TenantRef& t, const std::string& provider,
              const MasterKey& key, http::Client& http,
              const std::function<std::string(const std::string&)>& base_url_of,
              const Actor& actor) {
  CRM_TRY(require_active(t));
  std::vector<std::string> which;
  if (!provider.empty()) {
    CRM_TRY(check_provider(provider));
    which.push_back(provider);
  } else {
    CRM_TRY_ASSIGN(auto r, tx.exec("SELECT provider FROM org_credentials ORDER BY provider"));
    for (std::size_t i = 0; i < r.size(); ++i)
      which.push_back(r.get(i, "provider"));
    if (which.empty())
      return make_error(ErrorKind::not_found,
                        "tenant '" + t.slug + "' has no stored credentials to verify");
  }
  VerifyReport rep;
  for (const auto& p : which) {
    CRM_TRY_ASSIGN(Values v, load_credentials(tx, t, p, key));
    auto r = providers::verify_credentials(http, p, base_url_of(p), v);
    CRM_TRY(tx.exec(r ? "UPDATE org_credentials SET last_verified_at = now(), verification_error "
                        "= NULL WHERE provider = $1"
                      : "UPDATE org_credentials SET verification_error = $2 WHERE provider = $1",
                    r ? db::Params{p} : db::Params{p, r.error().message}));
    CRM_TRY(db::write_audit(tx, {actor.name, t.id, "creds.verify", "org_credentials/" + p,
                                 audit_args(actor, "{}"), r ? "ok" : "error",
                                 r ? "" : r.error().message}));
    rep.results.push_back({p, r.ok(), r ? "" : r.error().message});
    if (!r && (!rep.failure || r.error().kind == ErrorKind::upstream))
      rep.failure = make_error(r.error().kind, "verification failed for tenant '" + t.slug +
                                                   "': " + r.error().message);
  }
  return rep;
}

Result<RotateResult> rotate_key(db::AdminTx& tx, const MasterKey& from, const MasterKey& to,
                                const Actor& actor, DryRun dry_run) {
  if (from.id == to.id)
    return make_error(ErrorKind::usage, "the new master key is the current one");
  CRM_TRY_ASSIGN(auto orgs, tx.exec("SELECT coalesce(schema_name, '') AS schema_name "
                                    "FROM organizations ORDER BY created_at, id"));
  std::map<std::string, std::string> tables = {{"public", "public.org_credentials"}};
  for (std::size_t i = 0; i < orgs.size(); ++i)
    if (!orgs.get(i, "schema_name").empty())
      tables[orgs.get(i, "schema_name")] =
          db::quote_ident(orgs.get(i, "schema_name")) + ".org_credentials";
  RotateResult out{from.id, to.id, 0, 0, dry_run == DryRun::yes};
  for (const auto& [schema, table] : tables) {
    CRM_TRY_ASSIGN(auto exists, tx.exec("SELECT to_regclass($1) IS NOT NULL AS e", {table}));
    if (exists.get(0, "e") != "t") continue;
    CRM_TRY_ASSIGN(
        auto rows,
        tx.exec("SELECT org_id::text AS org, provider, ciphertext, nonce, tag, key_id FROM " +
                table + " ORDER BY org_id, provider FOR UPDATE"));
    for (std::size_t i = 0; i < rows.size(); ++i) {
      std::string org = rows.get(i, "org"), p = rows.get(i, "provider"),
                  kid = rows.get(i, "key_id");
      if (kid == to.id) {
        ++out.already_rotated;
        continue;
      }
      if (kid != from.id)
        return make_error(ErrorKind::config,
                          "credentials " + p + " of tenant " + org + " are sealed under key " +
                              kid + ", which is neither the current (" + from.id +
                              ") nor the new (" + to.id + ") key: nothing was rotated");
      crypto::Sealed s{from_bytea(rows.get(i, "nonce")), from_bytea(rows.get(i, "ciphertext")),
                       from_bytea(rows.get(i, "tag"))};
      auto plain = crypto::aes256gcm_decrypt(from.bytes, s, aad_for(org, p));
      if (!plain)
        return make_error(ErrorKind::config,
                          "cannot decrypt " + p + " credentials of tenant " + org +
                              " with the current master key: nothing was rotated");
      ++out.rotated;
      if (dry_run == DryRun::yes) continue;
      CRM_TRY_ASSIGN(auto sealed, crypto::aes256gcm_encrypt(to.bytes, *plain, aad_for(org, p)));
      CRM_TRY(
          tx.exec("UPDATE " + table +
                      " SET ciphertext = $3::bytea, nonce = $4::bytea, tag = $5::bytea, "
                      "key_id = $6, updated_at = now() WHERE org_id = $1::uuid AND provider = $2",
                  {org, p, bytea_hex(sealed.ciphertext), bytea_hex(sealed.nonce),
                   bytea_hex(sealed.tag), to.id}));
    }
  }
  if (dry_run == DryRun::yes) return out;
  nlohmann::json args = {{"from_key", out.from_key},
                         {"to_key", out.to_key},
                         {"rotated", out.rotated},
                         {"already_rotated", out.already_rotated}};
  CRM_TRY(db::write_audit(tx, {actor.name, "", "creds.rotate_key", "org_credentials",
                               audit_args(actor, args.dump()), "ok", ""}));
  return out;
}

} // namespace crm::tenant
