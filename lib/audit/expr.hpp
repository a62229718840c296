// Policy expression analysis: a parser for the SQL expressions pg_get_expr prints (normalised,
// fully parenthesised) and for the bodies of simple SQL helper functions, and the questions the
// RLS audit asks of them (does it tie the tenant column to the tenant GUC, is it always true,
// does it fail open when the GUC is unset, which GUCs does it read). Pure: no database.
#pragma once
#include "core/result.hpp"

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace crm::audit {

/// One node of a parsed expression.
struct Expr {
  enum class Kind {
    literal,  // 'text' or a number; `text` holds the value
    boolean,  // true / false; `text` is "true" or "false"
    null,     // NULL
    column,   // `names` = qualified name parts, last is the column
    param,    // $1; `text` = "1"
    func,     // `names` = qualified function name; `args`; `expansion` = resolved helper body
    cast,     // args[0]::`text` (type name, lower case)
    op,       // binary (args[0] op args[1]) or prefix (args[0]) operator `text`
    and_,     // args
    or_,      // args
    not_,     // args[0]
    is_null,  // args[0] IS NULL (`negated`: IS NOT NULL)
    in_list,  // args[0] IN (args[1..]); a subquery is one arg (`negated`: NOT IN)
    any_all,  // args[0] `text` ANY|SOME (args[1]) (`negated`: ALL)
    subquery, // (SELECT args... FROM `names` WHERE filter[0]); `from_calls` = functions in FROM
    exists,   // EXISTS (args[0] = subquery)
    case_,    // CASE: `args` = [subject?] when, then, when, then, ..., [else]; `has_else`
    list,     // ARRAY[...], ROW(...), (a, b)
    star,     // *
    opaque    // something the parser skipped; `gucs`/`calls` list what it mentioned
  };
  Kind kind = Kind::opaque;
  std::string text;
  std::vector<std::string> names;
  std::vector<Expr> args;
  std::vector<Expr> filter;     // subquery WHERE / JOIN ... ON conditions
  std::vector<Expr> from_calls; // subquery: function calls in FROM
  std::vector<Expr> expansion;  // func: the helper's body with parameters substituted (0 or 1)
  bool negated = false;
  bool has_subject = false, has_else = false; // case_
  std::vector<std::string> gucs;              // opaque: current_setting('...') names seen
  std::vector<std::string> calls;             // opaque: function names seen

  /// The qualified name joined with dots ("crm.current_org_id").
  std::string qualified() const;
};

/// Parses one SQL expression (pg_get_expr output or hand-written SQL). A syntax the parser does
/// not know is an error (ErrorKind::unexpected) naming the position.
Result<Expr> parse_expr(std::string_view sql);

/// Parses the body of a LANGUAGE sql function (prosrc, or pg_get_function_sqlbody for BEGIN
/// ATOMIC / RETURN bodies) into the expression it returns: the last statement's single target
/// (`SELECT expr`), a scalar subquery (`SELECT x FROM ... WHERE ...`) or the RETURN expression.
Result<Expr> parse_function_body(std::string_view body);

/// The GUC names a text mentions as current_setting('name' ...), lower case; for bodies the
/// parser does not handle (plpgsql).
std::vector<std::string> scan_gucs(std::string_view text);

/// The relations a SQL or plpgsql text names after FROM, JOIN, UPDATE, INTO and DELETE FROM
/// (qualified names joined with a dot, unquoted names in lower case).
std::vector<std::string> scan_relations(std::string_view text);

/// A user-defined function, as the analysis needs it.
struct FunctionDef {
  std::string schema, name;
  std::vector<std::string> arg_names; // "" for unnamed arguments
  std::string language;               // sql, plpgsql, ...
  std::string body;
  std::vector<std::string> body_gucs; // scan_gucs(body)
  /// The returned expression of a LANGUAGE sql body that parses (see prepare_function).
  std::vector<Expr> parsed; // 0 or 1
};

/// Fills body_gucs and, for LANGUAGE sql, parsed (once, before lookups).
void prepare_function(FunctionDef& f);

/// Argument count meaning "any overload" in a FunctionLookup.
inline constexpr std::size_t k_any_arity = static_cast<std::size_t>(-1);
/// Looks up a user-defined function by (possibly qualified) name and argument count (k_any_arity:
/// any); nullptr for built-ins and unknown names.
using FunctionLookup =
    std::function<const FunctionDef*(const std::vector<std::string>& names, std::size_t nargs)>;

/// Replaces helper calls by their bodies, one level deep: a call to a LANGUAGE sql function whose
/// body parses gets `expansion` = the body with its parameters ($1, or by name) replaced by the
/// call's arguments. Calls inside a body stay calls. `unresolved` collects user functions that
/// were not expanded (another language, unparsable, or one level too deep).
Expr expand_helpers(const Expr& e, const FunctionLookup& lookup,
                    std::set<std::string>* unresolved = nullptr);

/// What the audit needs to know to read a policy of one table.
struct PolicyContext {
  std::string table;         // the table's name (pg_get_expr qualifies outer columns by it)
  std::string tenant_column; // the table's tenant column
  FunctionLookup lookup;     // for GUC reads of helpers called one level down
};

/// The facts about one (expanded) policy expression.
struct ExprFacts {
  bool isolating = false;         // every row it admits has tenant column = a GUC-derived value
  bool ties = false;              // somewhere compares the tenant column with a GUC-derived value
  bool always_true = false;       // true, 1 = 1, x OR true, col = col ...
  bool fail_open = false;         // current_setting(...) IS NULL OR ... (admits rows without a GUC)
  bool tenant_cast = false;       // tenant column cast to text in a comparison
  bool empty_string_cast = false; // current_setting(...)::type without nullif(..., '')
  std::string empty_string_cast_where; // "" (the policy) or the helper's name
  std::set<std::string> gucs;          // GUC names read ("(dynamic)" for a computed name)
};

/// Analyses an expression already passed through expand_helpers.
ExprFacts analyse(const Expr& e, const PolicyContext& ctx);

/// True for type names that are text ("text", "character varying", "varchar(10)", "name", ...).
bool is_text_type(std::string_view type);

/// True when `name` matches `pattern` (case-insensitive; a trailing `*` matches any suffix).
bool guc_matches(std::string_view pattern, std::string_view name);

} // namespace crm::audit
