// Policy expression analysis (lib/audit/expr): the forms pg_get_expr prints and the helper bodies
// of crmctl, Supabase and hand-written schemas, and the facts the RLS audit draws from them.
#include "audit/expr.hpp"

#include <gtest/gtest.h>

#include <map>

using namespace crm;
using namespace crm::audit;

namespace {

// A tiny function catalog: name → definition.
struct Helpers {
  std::map<std::string, FunctionDef> defs;
  void add(const std::string& schema, const std::string& name, std::vector<std::string> args,
           const std::string& lang, const std::string& body) {
    FunctionDef f;
    f.schema = schema;
    f.name = name;
    f.arg_names = std::move(args);
    f.language = lang;
    f.body = body;
    prepare_function(f);
    defs[schema + "." + name] = f;
  }
  FunctionLookup lookup() const {
    return [this](const std::vector<std::string>& names, std::size_t) -> const FunctionDef* {
      std::string key = names.size() == 2 ? names[0] + "." + names[1] : "public." + names[0];
      auto it = defs.find(key);
      return it == defs.end() ? nullptr : &it->second;
    };
  }
};

Helpers canonical() {
  Helpers h;
  h.add("crm", "current_org_id", {}, "sql",
        "\n  SELECT coalesce(\n    nullif(current_setting('app.current_org_id', true), '')::uuid,\n"
        "    nullif(nullif(current_setting('request.jwt.claims', true), '')::jsonb\n"
        "           -> 'app_metadata' ->> 'org_id', '')::uuid)\n");
  h.add("auth", "uid", {}, "sql",
        "select coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),"
        " (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid");
  h.add("auth", "jwt", {}, "sql",
        "select coalesce(nullif(current_setting('request.jwt.claim', true), ''),"
        " nullif(current_setting('request.jwt.claims', true), ''))::jsonb");
  h.add("public", "org_matches", {"row_org"}, "sql",
        "SELECT row_org = nullif(current_setting('app.current_org_id', true), '')::uuid");
  h.add("public", "always", {}, "sql", "SELECT true");
  h.add("public", "strict_org", {}, "sql", "SELECT current_setting('app.current_org_id')::uuid");
  h.add("public", "plpgsql_org", {}, "plpgsql",
        "BEGIN RETURN current_setting('app.current_org_id', true)::uuid; END");
  return h;
}

ExprFacts facts(const std::string& sql, const Helpers& h, const std::string& col = "org_id",
                const std::string& table = "calls") {
  auto e = parse_expr(sql);
  EXPECT_TRUE(e) << sql << ": " << (e ? "" : e.error().message);
  if (!e) return {};
  PolicyContext ctx{table, col, h.lookup()};
  return analyse(expand_helpers(*e, ctx.lookup), ctx);
}

} // namespace

TEST(AuditExpr, ParsesWhatPgGetExprPrints) {
  for (const char* sql : {
           "(org_id = crm.current_org_id())",
           "((org_id)::text = current_setting('app.current_org_id'::text, true))",
           "((current_setting('app.current_org_id'::text, true) IS NULL) OR (org_id = "
           "(current_setting('app.current_org_id'::text, true))::uuid))",
           "(org_id IN ( SELECT fx.visible_orgs() AS visible_orgs))",
           "(tenant_id = (((auth.jwt() -> 'app_metadata'::text) ->> 'tenant_id'::text))::uuid)",
           "(EXISTS ( SELECT 1 FROM memberships m WHERE ((m.org_id = contacts.org_id) AND "
           "(m.user_id = auth.uid()))))",
           "(( SELECT crm.current_org_isolation() AS current_org_isolation) = 'row'::text)",
           "CASE WHEN (x > 1) THEN (org_id = crm.current_org_id()) ELSE false END",
           "(status = ANY (ARRAY['a'::text, 'b'::text]))",
           "((created_at AT TIME ZONE 'UTC'::text) > (now() - '1 day'::interval))",
           "(NOT (id IS DISTINCT FROM 3))",
           "((name)::character varying(10) ~~ 'x%'::text)",
           "(x BETWEEN 1 AND (2 + 3))",
           "((a)::timestamp with time zone IS NOT NULL)",
           "(tags[1] = 'x'::text)",
           "((data -> 'a'::text) @> '{}'::jsonb)",
           "(EXTRACT(year FROM created_at) > (2000)::numeric)",
           "(count(*) > 0)",
           "(-1 < x)",
       }) {
    auto e = parse_expr(sql);
    EXPECT_TRUE(e) << sql << ": " << (e ? "" : e.error().message);
  }
  EXPECT_FALSE(parse_expr("(org_id = "));
  EXPECT_FALSE(parse_expr("org_id = 'unterminated"));
}

TEST(AuditExpr, OperatorPrecedence) {
  auto e = parse_expr("a = 1 OR b = 2 AND c = 3");
  ASSERT_TRUE(e);
  ASSERT_EQ(e->kind, Expr::Kind::or_);
  ASSERT_EQ(e->args.size(), 2u);
  EXPECT_EQ(e->args[1].kind, Expr::Kind::and_);
  auto n = parse_expr("NOT a IS NULL");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->kind, Expr::Kind::not_);
  EXPECT_EQ(n->args[0].kind, Expr::Kind::is_null);
  auto arrow = parse_expr("x::jsonb -> 'a' ->> 'b'");
  ASSERT_TRUE(arrow);
  EXPECT_EQ(arrow->text, "->>");
  EXPECT_EQ(arrow->args[0].text, "->");
}

TEST(AuditExpr, FunctionBodies) {
  auto b = parse_function_body("SELECT 1 + 2;");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->kind, Expr::Kind::op);
  auto q = parse_function_body("select o.isolation from public.organizations o where o.id = $1");
  ASSERT_TRUE(q);
  ASSERT_EQ(q->kind, Expr::Kind::subquery);
  EXPECT_EQ(q->names, std::vector<std::string>{"public.organizations"});
  ASSERT_EQ(q->filter.size(), 1u);
  auto atomic = parse_function_body("BEGIN ATOMIC\n SELECT (x = 1);\nEND");
  ASSERT_TRUE(atomic) << atomic.error().message;
  auto ret = parse_function_body("RETURN ($1 > 0)");
  ASSERT_TRUE(ret);
  EXPECT_EQ(ret->kind, Expr::Kind::op);
  EXPECT_EQ(scan_gucs("BEGIN RETURN current_setting('App.X', true); END"),
            std::vector<std::string>{"app.x"});
}

TEST(AuditExpr, TheCanonicalPolicyIsolates) {
  auto h = canonical();
  auto f = facts("(org_id = crm.current_org_id())", h);
  EXPECT_TRUE(f.isolating);
  EXPECT_FALSE(f.always_true);
  EXPECT_FALSE(f.fail_open);
  EXPECT_FALSE(f.tenant_cast);
  EXPECT_FALSE(f.empty_string_cast);
  EXPECT_EQ(f.gucs, (std::set<std::string>{"app.current_org_id", "request.jwt.claims"}));
}

TEST(AuditExpr, HelperWithTheTenantColumnAsArgumentIsResolvedOneLevel) {
  auto h = canonical();
  EXPECT_TRUE(facts("org_matches(org_id)", h).isolating);
  EXPECT_FALSE(facts("org_matches(other_col)", h).isolating);
  EXPECT_TRUE(facts("always()", h).always_true);
}

TEST(AuditExpr, AlwaysTrueForms) {
  auto h = canonical();
  for (const char* sql : {"true", "(1 = 1)", "((org_id = crm.current_org_id()) OR true)",
                          "(org_id = org_id)", "('a'::text = 'a'::text)", "(NOT false)"})
    EXPECT_TRUE(facts(sql, h).always_true) << sql;
  for (const char* sql : {"false", "(1 = 2)", "(org_id = crm.current_org_id())"})
    EXPECT_FALSE(facts(sql, h).always_true) << sql;
}

TEST(AuditExpr, FailOpen) {
  auto h = canonical();
  auto f = facts("((current_setting('app.current_org_id'::text, true) IS NULL) OR (org_id = "
                 "(current_setting('app.current_org_id'::text, true))::uuid))",
                 h);
  EXPECT_TRUE(f.fail_open);
  EXPECT_FALSE(f.isolating);
  EXPECT_TRUE(f.ties);
  EXPECT_TRUE(f.empty_string_cast);
  EXPECT_TRUE(facts("((current_setting('app.current_org_id'::text, true) = ''::text) OR (org_id "
                    "= crm.current_org_id()))",
                    h)
                  .fail_open);
  // An AND with the tenant predicate stays closed.
  EXPECT_FALSE(facts("((org_id = crm.current_org_id()) AND ((current_setting('x.y'::text, true) "
                     "IS NULL) OR (a = 1)))",
                     h)
                   .fail_open);
}

TEST(AuditExpr, GucsCastsAndSupabase) {
  auto h = canonical();
  auto cast = facts("((org_id)::text = current_setting('app.current_org_id'::text, true))", h);
  EXPECT_TRUE(cast.tenant_cast);
  EXPECT_TRUE(cast.isolating);
  auto unknown = facts("(org_id = (current_setting('app.tenant'::text))::uuid)", h);
  EXPECT_EQ(unknown.gucs, std::set<std::string>{"app.tenant"});
  EXPECT_TRUE(unknown.empty_string_cast);
  auto strict = facts("(org_id = strict_org())", h);
  EXPECT_TRUE(strict.empty_string_cast);
  EXPECT_EQ(strict.empty_string_cast_where, "strict_org");
  // plpgsql is not expanded, but the GUC it reads still counts.
  auto pl = facts("(org_id = plpgsql_org())", h);
  EXPECT_TRUE(pl.isolating);
  auto sb = facts("(tenant_id = (((auth.jwt() -> 'app_metadata'::text) ->> "
                  "'tenant_id'::text))::uuid)",
                  h, "tenant_id", "projects");
  EXPECT_TRUE(sb.isolating);
  EXPECT_EQ(sb.gucs, (std::set<std::string>{"request.jwt.claim", "request.jwt.claims"}));
  auto owner = facts("(owner_id = auth.uid())", h, "tenant_id", "projects");
  EXPECT_FALSE(owner.isolating);
  EXPECT_FALSE(owner.ties);
  auto exists = facts("(EXISTS ( SELECT 1 FROM members m WHERE ((m.org_id = contacts.org_id) AND "
                      "(m.user_id = auth.uid()))))",
                      h, "org_id", "contacts");
  EXPECT_TRUE(exists.isolating);
  auto in_sub = facts("(org_id IN ( SELECT m.org_id FROM members m WHERE (m.user_id = "
                      "auth.uid())))",
                      h);
  EXPECT_TRUE(in_sub.isolating);
  EXPECT_TRUE(guc_matches("request.jwt.claim*", "request.jwt.claim.sub"));
  EXPECT_FALSE(guc_matches("app.current_org_id", "app.current_org"));
  EXPECT_TRUE(is_text_type("character varying(255)"));
  EXPECT_FALSE(is_text_type("uuid"));
}
