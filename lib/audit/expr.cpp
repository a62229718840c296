#include "audit/expr.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <functional>
#include <utility>

namespace crm::audit {
namespace {

// ---- tokens ---------------------------------------------------------------------------------

struct Token {
  enum class Kind { ident, qident, string, number, op, punct, param, end };
  Kind kind = Kind::end;
  std::string text; // ident: lower case; qident: as written; string: the value
  std::size_t pos = 0;
};

struct ParseError {
  std::string message;
};

bool is_op_char(char c) {
  return c != '\0' && std::strchr("+-*/<>=~!@#%^&|`?", c) != nullptr;
}

bool is_ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool is_ident_char(char c) {
  return is_ident_start(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '$';
}

std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  const std::size_t n = s.size();
  auto fail = [&](const std::string& what) {
    throw ParseError{what + " at offset " + std::to_string(i)};
  };
  auto quoted = [&](char q, bool backslash) {
    std::string v;
    ++i;
    for (;;) {
      if (i >= n) fail("unterminated quoted text");
      char c = s[i];
      if (backslash && c == '\\' && i + 1 < n) {
        v += s[i + 1];
        i += 2;
        continue;
      }
      if (c == q) {
        if (i + 1 < n && s[i + 1] == q) {
          v += q;
          i += 2;
          continue;
        }
        ++i;
        return v;
      }
      v += c;
      ++i;
    }
  };
  while (i < n) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (c == '-' && i + 1 < n && s[i + 1] == '-') {
      while (i < n && s[i] != '\n')
        ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && s[i + 1] == '*') {
      int depth = 0;
      while (i < n) {
        if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
          ++depth;
          i += 2;
        } else if (s[i] == '*' && i + 1 < n && s[i + 1] == '/') {
          i += 2;
          if (--depth == 0) break;
        } else {
          ++i;
        }
      }
      continue;
    }
    Token t;
    t.pos = i;
    char lc = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((lc == 'e' || lc == 'b' || lc == 'x' || lc == 'n') && i + 1 < n && s[i + 1] == '\'') {
      ++i;
      t.kind = Token::Kind::string;
      t.text = quoted('\'', lc == 'e');
    } else if (lc == 'u' && i + 2 < n && s[i + 1] == '&' && s[i + 2] == '\'') {
      i += 2;
      t.kind = Token::Kind::string;
      t.text = quoted('\'', false);
    } else if (c == '\'') {
      t.kind = Token::Kind::string;
      t.text = quoted('\'', false);
    } else if (c == '"') {
      t.kind = Token::Kind::qident;
      t.text = quoted('"', false);
    } else if (c == '$' && i + 1 < n && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
      ++i;
      std::size_t b = i;
      while (i < n && std::isdigit(static_cast<unsigned char>(s[i])))
        ++i;
      t.kind = Token::Kind::param;
      t.text = std::string(s.substr(b, i - b));
    } else if (c == '$') {
      std::size_t e = s.find('$', i + 1);
      if (e == std::string_view::npos) fail("unterminated dollar quote");
      std::string tag(s.substr(i, e - i + 1));
      std::size_t close = s.find(tag, e + 1);
      if (close == std::string_view::npos) fail("unterminated dollar quote");
      t.kind = Token::Kind::string;
      t.text = std::string(s.substr(e + 1, close - e - 1));
      i = close + tag.size();
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && i + 1 < n && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      std::size_t b = i;
      while (i < n && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.'))
        ++i;
      if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        std::size_t k = i + 1;
        if (k < n && (s[k] == '+' || s[k] == '-')) ++k;
        if (k < n && std::isdigit(static_cast<unsigned char>(s[k]))) {
          i = k;
          while (i < n && std::isdigit(static_cast<unsigned char>(s[i])))
            ++i;
        }
      }
      t.kind = Token::Kind::number;
      t.text = std::string(s.substr(b, i - b));
    } else if (is_ident_start(c)) {
      std::size_t b = i;
      while (i < n && is_ident_char(s[i]))
        ++i;
      t.kind = Token::Kind::ident;
      t.text = to_lower(s.substr(b, i - b));
    } else if (c == ':' && i + 1 < n && s[i + 1] == ':') {
      t.kind = Token::Kind::punct;
      t.text = "::";
      i += 2;
    } else if (c == ':' && i + 1 < n && s[i + 1] == '=') {
      t.kind = Token::Kind::op;
      t.text = ":=";
      i += 2;
    } else if (std::strchr("()[],;.:", c)) {
      t.kind = Token::Kind::punct;
      t.text = std::string(1, c);
      ++i;
    } else if (is_op_char(c)) {
      std::size_t b = i;
      while (i < n && is_op_char(s[i])) {
        if (i > b && ((s[i] == '-' && i + 1 < n && s[i + 1] == '-') ||
                      (s[i] == '/' && i + 1 < n && s[i + 1] == '*')))
          break;
        ++i;
      }
      std::string op(s.substr(b, i - b));
      // PostgreSQL: a multi-character operator cannot end in + or - unless it contains one of
      // ~ ! @ # % ^ & | ` ? (so `=-1` is `=` and `-1`).
      while (op.size() > 1 && (op.back() == '+' || op.back() == '-') &&
             op.find_first_of("~!@#%^&|`?") == std::string::npos) {
        op.pop_back();
        --i;
      }
      t.kind = Token::Kind::op;
      t.text = op;
    } else {
      fail(std::string("unexpected character '") + c + "'");
    }
    out.push_back(std::move(t));
  }
  Token end;
  end.pos = n;
  out.push_back(end);
  return out;
}

// ---- parser ---------------------------------------------------------------------------------

Expr make(Expr::Kind k, std::string text = {}) {
  Expr e;
  e.kind = k;
  e.text = std::move(text);
  return e;
}

Expr binary(std::string op, Expr a, Expr b) {
  Expr e = make(Expr::Kind::op, std::move(op));
  e.args.push_back(std::move(a));
  e.args.push_back(std::move(b));
  return e;
}

constexpr int k_bp_or = 10, k_bp_and = 20, k_bp_not = 30, k_bp_is = 40, k_bp_cmp = 50, k_bp_in = 60,
              k_bp_other = 70, k_bp_add = 80, k_bp_mul = 90, k_bp_exp = 100, k_bp_unary = 110,
              k_bp_at = 120, k_bp_collate = 130, k_bp_subscript = 140, k_bp_cast = 150;

int op_bp(const std::string& op) {
  if (op == "=" || op == "<" || op == ">" || op == "<=" || op == ">=" || op == "<>" || op == "!=")
    return k_bp_cmp;
  if (op == "+" || op == "-") return k_bp_add;
  if (op == "*" || op == "/" || op == "%") return k_bp_mul;
  if (op == "^") return k_bp_exp;
  return k_bp_other;
}

// Words that end a select target list or a FROM item (never an alias).
bool is_clause_word(const std::string& w) {
  static const char* k_words[] = {
      "from",   "where",  "group", "having",  "order", "limit",     "offset", "union", "intersect",
      "except", "window", "fetch", "for",     "into",  "on",        "join",   "inner", "left",
      "right",  "full",   "cross", "natural", "using", "returning", "lateral"};
  for (const char* k : k_words)
    if (w == k) return true;
  return false;
}

class Parser {
public:
  explicit Parser(std::vector<Token> tokens) : m_t(std::move(tokens)) {}

  Expr whole() {
    Expr e = expr(0);
    if (!at_end()) fail("unexpected '" + peek().text + "'");
    return e;
  }

  // The expression a function body returns: its last statement (BEGIN ATOMIC ... END unwrapped).
  Expr body() {
    std::size_t from = m_i;
    if (kw("begin") && kw("atomic", 1)) from += 2;
    std::vector<std::size_t> starts;
    int depth = 0;
    std::size_t s = from;
    for (std::size_t i = from;; ++i) {
      const Token& t = m_t[i];
      bool end = t.kind == Token::Kind::end;
      if (t.kind == Token::Kind::punct && (t.text == "(" || t.text == "[")) ++depth;
      if (t.kind == Token::Kind::punct && (t.text == ")" || t.text == "]")) --depth;
      if (end || (depth == 0 && t.kind == Token::Kind::punct && t.text == ";")) {
        if (i > s && !(m_t[s].kind == Token::Kind::ident && m_t[s].text == "end"))
          starts.push_back(s);
        if (end) break;
        s = i + 1;
      }
    }
    if (starts.empty()) fail("the body is empty");
    m_i = starts.back();
    if (kw("return")) {
      next();
      return expr(0);
    }
    if (kw("select") || kw("with") || kw("values")) {
      Expr q = select();
      if (q.kind == Expr::Kind::subquery && q.names.empty() && q.from_calls.empty() &&
          q.filter.empty() && q.args.size() == 1)
        return q.args.front();
      return q;
    }
    fail("the body is not a SELECT or RETURN");
  }

private:
  [[noreturn]] void fail(const std::string& what) const {
    throw ParseError{what + " at offset " + std::to_string(peek().pos)};
  }
  const Token& peek(std::size_t k = 0) const {
    std::size_t j = std::min(m_i + k, m_t.size() - 1);
    return m_t[j];
  }
  Token next() {
    Token t = peek();
    if (m_i < m_t.size() - 1) ++m_i;
    return t;
  }
  bool at_end() const { return peek().kind == Token::Kind::end; }
  bool kw(std::string_view w, std::size_t k = 0) const {
    return peek(k).kind == Token::Kind::ident && peek(k).text == w;
  }
  bool punct(std::string_view p, std::size_t k = 0) const {
    return peek(k).kind == Token::Kind::punct && peek(k).text == p;
  }
  bool op(std::string_view o, std::size_t k = 0) const {
    return peek(k).kind == Token::Kind::op && peek(k).text == o;
  }
  void expect_punct(std::string_view p) {
    if (!punct(p)) fail("expected '" + std::string(p) + "', found '" + peek().text + "'");
    next();
  }
  bool is_name(std::size_t k = 0) const {
    return peek(k).kind == Token::Kind::ident || peek(k).kind == Token::Kind::qident;
  }

  // Skips a balanced group starting at '(' or '[' (or up to a closing bracket at depth 0 when
  // not at one), noting current_setting('...') and function calls it contains.
  void skip_group(Expr& note) {
    int depth = 0;
    do {
      const Token& t = peek();
      if (t.kind == Token::Kind::end) fail("unbalanced parentheses");
      if (t.kind == Token::Kind::punct && (t.text == "(" || t.text == "[")) ++depth;
      if (t.kind == Token::Kind::punct && (t.text == ")" || t.text == "]")) --depth;
      note_token(note);
      next();
    } while (depth > 0);
  }
  void note_token(Expr& note) const {
    const Token& t = peek();
    if (t.kind == Token::Kind::ident && punct("(", 1)) {
      if (t.text == "current_setting" && peek(2).kind == Token::Kind::string)
        note.gucs.push_back(to_lower(peek(2).text));
      note.calls.push_back(t.text);
    }
  }

  std::string type_name() {
    if (!is_name()) fail("expected a type name");
    std::string t = next().text;
    while (punct(".") && is_name(1)) {
      next();
      t += "." + next().text;
    }
    if ((t == "character" || t == "char" || t == "national" || t == "bit") && kw("varying")) {
      next();
      t += " varying";
    } else if (t == "double" && kw("precision")) {
      next();
      t += " precision";
    }
    if ((t == "timestamp" || t == "time") && punct("(")) {
      Expr ignore;
      skip_group(ignore);
    }
    if ((t == "timestamp" || t == "time") && (kw("with") || kw("without")) && kw("time", 1) &&
        kw("zone", 2)) {
      t += kw("with") ? " with time zone" : " without time zone";
      next();
      next();
      next();
    }
    if (t == "interval")
      while (kw("year") || kw("month") || kw("day") || kw("hour") || kw("minute") || kw("second") ||
             kw("to"))
        next();
    if (punct("(")) {
      Expr ignore;
      std::size_t b = m_i;
      skip_group(ignore);
      std::string mod;
      for (std::size_t k = b; k < m_i; ++k)
        mod += m_t[k].text;
      t += mod;
    }
    while (punct("[")) {
      next();
      if (peek().kind == Token::Kind::number) next();
      expect_punct("]");
      t += "[]";
    }
    return t;
  }

  Expr expr(int min_bp) {
    Expr lhs = prefix();
    for (;;) {
      if (punct("::")) {
        if (k_bp_cast < min_bp) break;
        next();
        Expr c = make(Expr::Kind::cast, type_name());
        c.args.push_back(std::move(lhs));
        lhs = std::move(c);
        continue;
      }
      if (punct("[")) {
        if (k_bp_subscript < min_bp) break;
        next();
        Expr idx = punct(":") ? make(Expr::Kind::null) : expr(0);
        if (punct(":")) {
          next();
          if (!punct("]")) (void)expr(0);
        }
        expect_punct("]");
        lhs = binary("[]", std::move(lhs), std::move(idx));
        continue;
      }
      if (punct(".")) { // (composite).field or (composite).*
        next();
        if (!is_name() && !op("*")) fail("expected a field name");
        Expr f = make(Expr::Kind::op, ".");
        f.names.push_back(next().text);
        f.args.push_back(std::move(lhs));
        lhs = std::move(f);
        continue;
      }
      if (kw("collate")) {
        if (k_bp_collate < min_bp) break;
        next();
        (void)type_name();
        continue;
      }
      if (kw("at") && kw("time", 1) && kw("zone", 2)) {
        if (k_bp_at < min_bp) break;
        next();
        next();
        next();
        Expr zone = expr(k_bp_at + 1);
        Expr f = make(Expr::Kind::func);
        f.names = {"timezone"};
        f.args.push_back(std::move(zone));
        f.args.push_back(std::move(lhs));
        lhs = std::move(f);
        continue;
      }
      if (kw("is")) {
        if (k_bp_is < min_bp) break;
        next();
        bool neg = false;
        if (kw("not")) {
          next();
          neg = true;
        }
        if (kw("null")) {
          next();
          Expr e = make(Expr::Kind::is_null);
          e.negated = neg;
          e.args.push_back(std::move(lhs));
          lhs = std::move(e);
        } else if (kw("true") || kw("false") || kw("unknown")) {
          std::string what = next().text;
          Expr e = make(Expr::Kind::op, "is " + what);
          e.negated = neg;
          e.args.push_back(std::move(lhs));
          lhs = std::move(e);
        } else if (kw("distinct") && kw("from", 1)) {
          next();
          next();
          Expr rhs = expr(k_bp_is + 1);
          lhs = binary(neg ? "is not distinct from" : "is distinct from", std::move(lhs),
                       std::move(rhs));
        } else if (kw("document") || kw("normalized") || kw("json")) {
          next();
          Expr e = make(Expr::Kind::op, "is special");
          e.args.push_back(std::move(lhs));
          lhs = std::move(e);
        } else {
          fail("unexpected '" + peek().text + "' after IS");
        }
        continue;
      }
      if (kw("isnull") || kw("notnull")) {
        if (k_bp_is < min_bp) break;
        Expr e = make(Expr::Kind::is_null);
        e.negated = next().text == "notnull";
        e.args.push_back(std::move(lhs));
        lhs = std::move(e);
        continue;
      }
      if (kw("and")) {
        if (k_bp_and < min_bp) break;
        next();
        Expr rhs = expr(k_bp_and + 1);
        if (lhs.kind != Expr::Kind::and_) {
          Expr a = make(Expr::Kind::and_);
          a.args.push_back(std::move(lhs));
          lhs = std::move(a);
        }
        lhs.args.push_back(std::move(rhs));
        continue;
      }
      if (kw("or")) {
        if (k_bp_or < min_bp) break;
        next();
        Expr rhs = expr(k_bp_or + 1);
        if (lhs.kind != Expr::Kind::or_) {
          Expr o = make(Expr::Kind::or_);
          o.args.push_back(std::move(lhs));
          lhs = std::move(o);
        }
        lhs.args.push_back(std::move(rhs));
        continue;
      }
      std::size_t at = 0;
      bool neg = false;
      if (kw("not") && (kw("in", 1) || kw("like", 1) || kw("ilike", 1) || kw("between", 1) ||
                        kw("similar", 1))) {
        at = 1;
        neg = true;
      }
      if (kw("in", at) && punct("(", at + 1)) {
        if (k_bp_in < min_bp) break;
        for (std::size_t k = 0; k <= at; ++k)
          next();
        next(); // (
        Expr e = make(Expr::Kind::in_list);
        e.negated = neg;
        e.args.push_back(std::move(lhs));
        if (kw("select") || kw("with") || kw("values")) {
          e.args.push_back(select());
        } else {
          for (;;) {
            e.args.push_back(expr(0));
            if (!punct(",")) break;
            next();
          }
        }
        expect_punct(")");
        lhs = std::move(e);
        continue;
      }
      if (kw("like", at) || kw("ilike", at) || (kw("similar", at) && kw("to", at + 1))) {
        if (k_bp_in < min_bp) break;
        for (std::size_t k = 0; k < at; ++k)
          next();
        std::string w = next().text;
        if (w == "similar") next();
        Expr rhs = expr(k_bp_in + 1);
        if (kw("escape")) {
          next();
          (void)expr(k_bp_in + 1);
        }
        Expr e = binary(w == "like"    ? "~~"
                        : w == "ilike" ? "~~*"
                                       : "similar to",
                        std::move(lhs), std::move(rhs));
        e.negated = neg;
        lhs = std::move(e);
        continue;
      }
      if (kw("between", at)) {
        if (k_bp_in < min_bp) break;
        for (std::size_t k = 0; k <= at; ++k)
          next();
        if (kw("symmetric") || kw("asymmetric")) next();
        Expr lo = expr(k_bp_in + 1);
        if (!kw("and")) fail("expected AND in BETWEEN");
        next();
        Expr hi = expr(k_bp_in + 1);
        Expr e = make(Expr::Kind::op, "between");
        e.negated = neg;
        e.args.push_back(std::move(lhs));
        e.args.push_back(std::move(lo));
        e.args.push_back(std::move(hi));
        lhs = std::move(e);
        continue;
      }
      if (kw("operator") && punct("(", 1)) {
        if (k_bp_other < min_bp) break;
        next();
        next();
        std::string name;
        while (!punct(")") && !at_end())
          name = next().text;
        expect_punct(")");
        Expr rhs = expr(k_bp_other + 1);
        lhs = binary(name, std::move(lhs), std::move(rhs));
        continue;
      }
      if (peek().kind == Token::Kind::op && !op("=>") && !op(":=")) {
        const std::string o = peek().text;
        int bp = op_bp(o);
        if (bp < min_bp) break;
        next();
        if ((kw("any") || kw("some") || kw("all")) && punct("(", 1)) {
          bool all = next().text == "all";
          next(); // (
          Expr e = make(Expr::Kind::any_all, o);
          e.negated = all;
          e.args.push_back(std::move(lhs));
          e.args.push_back(kw("select") || kw("with") || kw("values") ? select() : expr(0));
          expect_punct(")");
          lhs = std::move(e);
          continue;
        }
        Expr rhs = expr(bp + 1);
        lhs = binary(o, std::move(lhs), std::move(rhs));
        continue;
      }
      break;
    }
    return lhs;
  }

  Expr list_until(std::string_view close) {
    Expr l = make(Expr::Kind::list);
    if (!punct(close))
      for (;;) {
        l.args.push_back(expr(0));
        if (!punct(",")) break;
        next();
      }
    expect_punct(close);
    return l;
  }

  Expr prefix() {
    const Token& t = peek();
    switch (t.kind) {
    case Token::Kind::end:
      fail("unexpected end of expression");
    case Token::Kind::string:
      return make(Expr::Kind::literal, next().text);
    case Token::Kind::number:
      return make(Expr::Kind::literal, next().text);
    case Token::Kind::param:
      return make(Expr::Kind::param, next().text);
    case Token::Kind::op: {
      if (op("*")) {
        next();
        return make(Expr::Kind::star);
      }
      std::string o = next().text;
      Expr e = make(Expr::Kind::op, o);
      e.args.push_back(expr(k_bp_unary));
      if (o == "-" && e.args[0].kind == Expr::Kind::literal) {
        Expr lit = make(Expr::Kind::literal, "-" + e.args[0].text);
        return lit;
      }
      return e;
    }
    case Token::Kind::punct: {
      if (punct("(")) {
        next();
        if (kw("select") || kw("with") || kw("values")) {
          Expr q = select();
          expect_punct(")");
          return q;
        }
        Expr e = expr(0);
        if (punct(",")) {
          Expr l = make(Expr::Kind::list);
          l.args.push_back(std::move(e));
          while (punct(",")) {
            next();
            l.args.push_back(expr(0));
          }
          expect_punct(")");
          return l;
        }
        expect_punct(")");
        return e;
      }
      if (punct("[")) {
        next();
        return list_until("]");
      }
      fail("unexpected '" + t.text + "'");
    }
    case Token::Kind::qident:
      return name_or_call();
    case Token::Kind::ident:
      break;
    }
    const std::string w = t.text;
    if (w == "true" || w == "false") return make(Expr::Kind::boolean, next().text);
    if (w == "null") {
      next();
      return make(Expr::Kind::null);
    }
    if (w == "not") {
      next();
      Expr e = make(Expr::Kind::not_);
      e.args.push_back(expr(k_bp_not));
      return e;
    }
    if (w == "exists" && punct("(", 1)) {
      next();
      next();
      Expr e = make(Expr::Kind::exists);
      e.args.push_back(select());
      expect_punct(")");
      return e;
    }
    if (w == "case") return case_expr();
    if (w == "cast" && punct("(", 1)) {
      next();
      next();
      Expr inner = expr(0);
      if (!kw("as")) fail("expected AS in CAST");
      next();
      Expr c = make(Expr::Kind::cast, type_name());
      c.args.push_back(std::move(inner));
      expect_punct(")");
      return c;
    }
    if (w == "array" && punct("[", 1)) {
      next();
      next();
      return list_until("]");
    }
    if (w == "array" && punct("(", 1)) {
      next();
      next();
      Expr f = make(Expr::Kind::func);
      f.names = {"array"};
      f.args.push_back(select());
      expect_punct(")");
      return f;
    }
    if (w == "row" && punct("(", 1)) {
      next();
      next();
      return list_until(")");
    }
    static const char* k_bare_funcs[] = {
        "current_user", "session_user", "current_role",      "user",           "current_date",
        "current_time", "localtime",    "current_timestamp", "localtimestamp", "current_catalog"};
    for (const char* f : k_bare_funcs)
      if (w == f && !punct("(", 1)) {
        next();
        Expr e = make(Expr::Kind::func);
        e.names = {w};
        return e;
      }
    // A typed literal: interval '1 day', uuid '...', timestamp with time zone '...'.
    if (peek(1).kind == Token::Kind::string ||
        ((w == "timestamp" || w == "time") && (kw("with", 1) || kw("without", 1)))) {
      std::string type = type_name();
      if (peek().kind != Token::Kind::string) fail("expected a literal after " + type);
      Expr c = make(Expr::Kind::cast, type);
      c.args.push_back(make(Expr::Kind::literal, next().text));
      return c;
    }
    return name_or_call();
  }

  Expr name_or_call() {
    std::vector<std::string> names = {next().text};
    while (punct(".") && (is_name(1) || op("*", 1))) {
      next();
      names.push_back(next().text);
    }
    if (punct("(")) return call(std::move(names));
    Expr c = make(Expr::Kind::column);
    c.names = std::move(names);
    return c;
  }

  Expr call(std::vector<std::string> names) {
    Expr f = make(Expr::Kind::func);
    f.names = std::move(names);
    next(); // (
    if (!punct(")")) {
      if (kw("distinct") || kw("all")) next();
      for (;;) {
        if (kw("variadic")) next();
        if (op("*") && punct(")", 1)) {
          next();
          f.args.push_back(make(Expr::Kind::star));
        } else {
          if (is_name() && (op("=>", 1) || op(":=", 1))) {
            next();
            next();
          }
          f.args.push_back(expr(0));
        }
        if (kw("order") && kw("by", 1)) { // aggregate ORDER BY: skip to the closing paren
          while (!punct(")") && !at_end()) {
            if (punct("(")) {
              Expr ignore;
              skip_group(ignore);
            } else {
              next();
            }
          }
          break;
        }
        // EXTRACT(f FROM x), POSITION(a IN b), SUBSTRING(a FROM b FOR c), OVERLAY(... PLACING).
        if (punct(",") || kw("from") || kw("in") || kw("for") || kw("placing")) {
          next();
          continue;
        }
        break;
      }
    }
    expect_punct(")");
    if (kw("within") && kw("group", 1)) {
      next();
      next();
      skip_group(f);
    }
    if (kw("filter") && punct("(", 1)) {
      next();
      skip_group(f);
    }
    if (kw("over")) {
      next();
      if (punct("("))
        skip_group(f);
      else
        next();
    }
    return f;
  }

  Expr case_expr() {
    next(); // case
    Expr c = make(Expr::Kind::case_);
    if (!kw("when")) {
      c.has_subject = true;
      c.args.push_back(expr(0));
    }
    while (kw("when")) {
      next();
      c.args.push_back(expr(0));
      if (!kw("then")) fail("expected THEN");
      next();
      c.args.push_back(expr(0));
    }
    if (kw("else")) {
      next();
      c.has_else = true;
      c.args.push_back(expr(0));
    }
    if (!kw("end")) fail("expected END");
    next();
    return c;
  }

  // SELECT ... up to the closing parenthesis or ';' (not consumed).
  Expr select() {
    if (kw("with") || kw("values")) { // not analysed: noted as opaque
      Expr o = make(Expr::Kind::opaque);
      int depth = 0;
      while (!at_end() && !(depth == 0 && (punct(")") || punct(";")))) {
        if (punct("(")) ++depth;
        if (punct(")")) --depth;
        note_token(o);
        next();
      }
      return o;
    }
    if (!kw("select")) fail("expected SELECT");
    next();
    Expr q = make(Expr::Kind::subquery);
    if (kw("distinct")) {
      next();
      if (kw("on")) {
        next();
        skip_group(q);
      }
    } else if (kw("all")) {
      next();
    }
    auto stop = [&] {
      return at_end() || punct(")") || punct(";") ||
             (peek().kind == Token::Kind::ident && is_clause_word(peek().text));
    };
    while (!stop()) {
      q.args.push_back(expr(0));
      if (kw("as")) {
        next();
        next();
      } else if (is_name() && !is_clause_word(peek().text)) {
        next();
      }
      if (!punct(",")) break;
      next();
    }
    if (kw("into")) // plpgsql SELECT ... INTO var
      while (!at_end() && !kw("from") && !kw("where") && !punct(")") && !punct(";"))
        next();
    if (kw("from")) {
      next();
      from_clause(q);
    }
    if (kw("where")) {
      next();
      q.filter.push_back(expr(0));
    }
    // GROUP BY, HAVING, ORDER BY, LIMIT ...: skipped; UNION and friends add their SELECT.
    int depth = 0;
    while (!at_end() && !(depth == 0 && (punct(")") || punct(";")))) {
      if (depth == 0 && (kw("union") || kw("intersect") || kw("except"))) {
        next();
        if (kw("all") || kw("distinct")) next();
        bool paren = punct("(");
        if (paren) next();
        q.args.push_back(select());
        if (paren) expect_punct(")");
        continue;
      }
      if (punct("(")) ++depth;
      if (punct(")")) --depth;
      note_token(q);
      next();
    }
    return q;
  }

  void from_clause(Expr& q) {
    bool expect_rel = true;
    int guard = 0;
    while (!at_end() && !punct(")") && !punct(";") && !kw("where") && !kw("group") &&
           !kw("having") && !kw("order") && !kw("limit") && !kw("offset") && !kw("union") &&
           !kw("intersect") && !kw("except") && !kw("window") && !kw("fetch") && !kw("for")) {
      if (++guard > 100000) fail("FROM clause too long");
      if (punct(",")) {
        next();
        expect_rel = true;
      } else if (kw("join")) {
        next();
        expect_rel = true;
      } else if (kw("on")) {
        next();
        q.filter.push_back(expr(0));
      } else if (kw("using") && punct("(", 1)) {
        next();
        skip_group(q);
      } else if (kw("lateral") || kw("only")) {
        next();
      } else if (punct("(")) {
        next();
        if (kw("select") || kw("with") || kw("values"))
          q.from_calls.push_back(select());
        else {
          while (!punct(")") && !at_end())
            next();
        }
        expect_punct(")");
        expect_rel = false;
      } else if (expect_rel && is_name()) {
        std::vector<std::string> names = {next().text};
        while (punct(".") && is_name(1)) {
          next();
          names.push_back(next().text);
        }
        if (punct("(")) {
          q.from_calls.push_back(call(names));
        } else {
          std::string full;
          for (const auto& n : names)
            full += (full.empty() ? "" : ".") + n;
          q.names.push_back(full);
        }
        expect_rel = false;
      } else {
        next(); // alias, AS, join words
      }
    }
  }

  std::vector<Token> m_t;
  std::size_t m_i = 0;
};

// ---- analysis helpers -----------------------------------------------------------------------

std::string last_name(const Expr& e) {
  return e.names.empty() ? std::string() : e.names.back();
}

bool is_current_setting(const Expr& e) {
  return e.kind == Expr::Kind::func && last_name(e) == "current_setting" &&
         (e.names.size() == 1 || e.names.front() == "pg_catalog");
}

const Expr& unwrap_casts(const Expr& e) {
  const Expr* p = &e;
  while (p->kind == Expr::Kind::cast && !p->args.empty())
    p = &p->args.front();
  return *p;
}

// Applies `fn` to every child: arguments, filters, FROM calls and expansions.
template <class F> void for_children(const Expr& e, F&& fn) {
  for (const auto& a : e.args)
    fn(a);
  for (const auto& a : e.filter)
    fn(a);
  for (const auto& a : e.from_calls)
    fn(a);
  for (const auto& a : e.expansion)
    fn(a);
}

struct Analysis {
  const PolicyContext& ctx;

  bool is_tenant_col(const Expr& e) const {
    if (e.kind != Expr::Kind::column || e.names.empty()) return false;
    if (e.names.back() != ctx.tenant_column) return false;
    return e.names.size() == 1 || e.names[e.names.size() - 2] == ctx.table;
  }
  bool tenant_ref(const Expr& e, bool* text_cast = nullptr) const {
    if (is_tenant_col(e)) return true;
    if (e.kind == Expr::Kind::cast && !e.args.empty() && tenant_ref(e.args[0], text_cast)) {
      if (text_cast && is_text_type(e.text)) *text_cast = true;
      return true;
    }
    return false;
  }

  void gucs(const Expr& e, std::set<std::string>& out) const {
    if (is_current_setting(e)) {
      const Expr* a = e.args.empty() ? nullptr : &unwrap_casts(e.args.front());
      out.insert(a && a->kind == Expr::Kind::literal ? to_lower(a->text) : "(dynamic)");
    } else if (e.kind == Expr::Kind::func && e.expansion.empty() && ctx.lookup) {
      if (const FunctionDef* f = ctx.lookup(e.names, e.args.size()))
        for (const auto& g : f->body_gucs)
          out.insert(g);
    } else if (e.kind == Expr::Kind::opaque) {
      for (const auto& g : e.gucs)
        out.insert(g);
      if (ctx.lookup)
        for (const auto& c : e.calls)
          if (const FunctionDef* f = ctx.lookup({c}, k_any_arity))
            for (const auto& g : f->body_gucs)
              out.insert(g);
    }
    for_children(e, [&](const Expr& c) { gucs(c, out); });
  }
  bool reads_guc(const Expr& e) const {
    std::set<std::string> s;
    gucs(e, s);
    return !s.empty();
  }
  // Mentions the outer row's tenant column (not a subquery's own column of that name).
  bool refs_outer_tenant(const Expr& e, bool inside_subquery = false) const {
    if (e.kind == Expr::Kind::column && !e.names.empty() && e.names.back() == ctx.tenant_column)
      return !inside_subquery ? (e.names.size() == 1 || e.names[e.names.size() - 2] == ctx.table)
                              : (e.names.size() >= 2 && e.names[e.names.size() - 2] == ctx.table);
    bool sub = inside_subquery || e.kind == Expr::Kind::subquery;
    bool found = false;
    for_children(e, [&](const Expr& c) { found = found || refs_outer_tenant(c, sub); });
    return found;
  }
  bool guc_derived(const Expr& e) const { return reads_guc(e) && !refs_outer_tenant(e); }

  bool tie(const Expr& e) const {
    if (e.kind == Expr::Kind::op && e.args.size() == 2 &&
        (e.text == "=" || e.text == "is not distinct from"))
      return (tenant_ref(e.args[0]) && guc_derived(e.args[1])) ||
             (tenant_ref(e.args[1]) && guc_derived(e.args[0]));
    if (e.kind == Expr::Kind::in_list && !e.negated && e.args.size() >= 2 &&
        tenant_ref(e.args[0])) {
      for (std::size_t i = 1; i < e.args.size(); ++i)
        if (guc_derived(e.args[i])) return true;
      return false;
    }
    if (e.kind == Expr::Kind::any_all && !e.negated && e.text == "=" && e.args.size() == 2)
      return tenant_ref(e.args[0]) && guc_derived(e.args[1]);
    return false;
  }
  // EXISTS (SELECT ... WHERE m.org_id = <table>.org_id AND <reads the GUC>).
  bool exists_tie(const Expr& e) const {
    if (e.kind != Expr::Kind::exists || e.args.empty()) return false;
    const Expr& q = e.args.front();
    if (!reads_guc(q)) return false;
    std::function<bool(const Expr&)> eq_outer = [&](const Expr& c) {
      if (c.kind == Expr::Kind::and_) {
        for (const auto& a : c.args)
          if (eq_outer(a)) return true;
        return false;
      }
      if (c.kind != Expr::Kind::op || c.text != "=" || c.args.size() != 2) return false;
      auto outer = [&](const Expr& x) {
        const Expr& u = unwrap_casts(x);
        return u.kind == Expr::Kind::column && u.names.size() >= 2 &&
               u.names.back() == ctx.tenant_column && u.names[u.names.size() - 2] == ctx.table;
      };
      return outer(c.args[0]) || outer(c.args[1]);
    };
    for (const auto& f : q.filter)
      if (eq_outer(f)) return true;
    return false;
  }

  bool isolating(const Expr& e) const {
    switch (e.kind) {
    case Expr::Kind::and_:
      for (const auto& a : e.args)
        if (isolating(a)) return true;
      return false;
    case Expr::Kind::or_:
      for (const auto& a : e.args)
        if (!isolating(a) && !const_false(a)) return false;
      return true;
    case Expr::Kind::func:
      return !e.expansion.empty() && isolating(e.expansion.front());
    case Expr::Kind::exists:
      return exists_tie(e);
    case Expr::Kind::case_: {
      // Every branch's result isolates (or admits nothing).
      std::size_t first = e.has_subject ? 1 : 0;
      std::size_t whens = (e.args.size() - first - (e.has_else ? 1 : 0)) / 2;
      for (std::size_t i = 0; i < whens; ++i) {
        const Expr& r = e.args[first + 2 * i + 1];
        if (!isolating(r) && !const_false(r)) return false;
      }
      if (e.has_else && !isolating(e.args.back()) && !const_false(e.args.back())) return false;
      return true;
    }
    default:
      return tie(e);
    }
  }

  static bool same_constant(const Expr& a, const Expr& b) {
    const Expr& x = unwrap_casts(a);
    const Expr& y = unwrap_casts(b);
    if (x.kind != y.kind) return false;
    if (x.kind == Expr::Kind::literal || x.kind == Expr::Kind::boolean) return x.text == y.text;
    return false;
  }
  static bool same_column(const Expr& a, const Expr& b) {
    const Expr& x = unwrap_casts(a);
    const Expr& y = unwrap_casts(b);
    return x.kind == Expr::Kind::column && y.kind == Expr::Kind::column && x.names == y.names;
  }
  bool const_true(const Expr& e) const {
    switch (e.kind) {
    case Expr::Kind::boolean:
      return e.text == "true";
    case Expr::Kind::cast:
      return !e.args.empty() && const_true(e.args[0]);
    case Expr::Kind::or_:
      for (const auto& a : e.args)
        if (const_true(a)) return true;
      return false;
    case Expr::Kind::and_:
      for (const auto& a : e.args)
        if (!const_true(a)) return false;
      return !e.args.empty();
    case Expr::Kind::not_:
      return !e.args.empty() && const_false(e.args[0]);
    case Expr::Kind::func:
      return !e.expansion.empty() && const_true(e.expansion.front());
    case Expr::Kind::is_null: {
      if (e.args.empty()) return false;
      const Expr& x = unwrap_casts(e.args[0]);
      bool constant = x.kind == Expr::Kind::literal || x.kind == Expr::Kind::boolean;
      return e.negated ? constant : x.kind == Expr::Kind::null;
    }
    case Expr::Kind::op:
      if (e.args.size() == 2 && (e.text == "=" || e.text == ">=" || e.text == "<="))
        return same_constant(e.args[0], e.args[1]) || same_column(e.args[0], e.args[1]);
      if (e.args.size() == 2 && (e.text == "<>" || e.text == "!="))
        return both_constants_differ(e.args[0], e.args[1]);
      return false;
    default:
      return false;
    }
  }
  static bool both_constants_differ(const Expr& a, const Expr& b) {
    const Expr& x = unwrap_casts(a);
    const Expr& y = unwrap_casts(b);
    return x.kind == Expr::Kind::literal && y.kind == Expr::Kind::literal && x.text != y.text;
  }
  bool const_false(const Expr& e) const {
    switch (e.kind) {
    case Expr::Kind::boolean:
      return e.text == "false";
    case Expr::Kind::null:
      return true;
    case Expr::Kind::cast:
      return !e.args.empty() && const_false(e.args[0]);
    case Expr::Kind::and_:
      for (const auto& a : e.args)
        if (const_false(a)) return true;
      return false;
    case Expr::Kind::or_:
      for (const auto& a : e.args)
        if (!const_false(a)) return false;
      return !e.args.empty();
    case Expr::Kind::not_:
      return !e.args.empty() && const_true(e.args[0]);
    case Expr::Kind::func:
      return !e.expansion.empty() && const_false(e.expansion.front());
    case Expr::Kind::op:
      if (e.args.size() == 2 && e.text == "=") return both_constants_differ(e.args[0], e.args[1]);
      return false;
    default:
      return false;
    }
  }

  // A disjunct that is true exactly when no tenant is set.
  bool unset_test(const Expr& e) const {
    if (e.kind == Expr::Kind::is_null && !e.negated && !e.args.empty())
      return guc_derived(e.args[0]);
    if (e.kind == Expr::Kind::op && e.args.size() == 2 && e.text == "=") {
      auto empty = [](const Expr& x) {
        const Expr& u = unwrap_casts(x);
        return u.kind == Expr::Kind::literal && u.text.empty();
      };
      return (empty(e.args[0]) && guc_derived(e.args[1])) ||
             (empty(e.args[1]) && guc_derived(e.args[0]));
    }
    if (e.kind == Expr::Kind::not_ && !e.args.empty() && e.args[0].kind == Expr::Kind::is_null &&
        e.args[0].negated && !e.args[0].args.empty())
      return guc_derived(e.args[0].args[0]);
    if (e.kind == Expr::Kind::func && !e.expansion.empty()) return unset_test(e.expansion[0]);
    return false;
  }
  bool fail_open(const Expr& e) const {
    switch (e.kind) {
    case Expr::Kind::or_:
      for (const auto& a : e.args)
        if (unset_test(a) || fail_open(a)) return true;
      return false;
    case Expr::Kind::and_:
      if (isolating(e)) return false;
      for (const auto& a : e.args)
        if (fail_open(a)) return true;
      return false;
    case Expr::Kind::func:
      return !e.expansion.empty() && fail_open(e.expansion.front());
    default:
      return false;
    }
  }

  bool any_tie(const Expr& e) const {
    if (tie(e) || exists_tie(e)) return true;
    bool found = false;
    for_children(e, [&](const Expr& c) { found = found || any_tie(c); });
    return found;
  }
  bool text_cast(const Expr& e) const {
    bool cmp = (e.kind == Expr::Kind::op && e.args.size() == 2 &&
                (e.text == "=" || e.text == "<>" || e.text == "!=" ||
                 e.text == "is not distinct from" || e.text == "is distinct from")) ||
               e.kind == Expr::Kind::in_list || e.kind == Expr::Kind::any_all;
    if (cmp)
      for (const auto& a : e.args) {
        bool cast = false;
        if (tenant_ref(a, &cast) && cast) return true;
      }
    bool found = false;
    for_children(e, [&](const Expr& c) { found = found || text_cast(c); });
    return found;
  }
  // current_setting(...)::type (not text) without nullif; `where` is the helper it was found in.
  bool empty_cast(const Expr& e, const std::string& where, std::string& found_where) const {
    if (e.kind == Expr::Kind::cast && !e.args.empty() && is_current_setting(e.args[0]) &&
        !is_text_type(e.text)) {
      found_where = where;
      return true;
    }
    for (const auto& c : e.args)
      if (empty_cast(c, where, found_where)) return true;
    for (const auto& c : e.filter)
      if (empty_cast(c, where, found_where)) return true;
    for (const auto& c : e.from_calls)
      if (empty_cast(c, where, found_where)) return true;
    for (const auto& c : e.expansion)
      if (empty_cast(c, e.qualified(), found_where)) return true;
    return false;
  }
};

// Replaces $n and named parameters by the call's arguments.
Expr substitute(const Expr& body, const FunctionDef& f, const std::vector<Expr>& args) {
  if (body.kind == Expr::Kind::param) {
    std::size_t n = static_cast<std::size_t>(std::stoul(body.text));
    if (n >= 1 && n <= args.size()) return args[n - 1];
  }
  if (body.kind == Expr::Kind::column && !body.names.empty()) {
    bool plain = body.names.size() == 1;
    bool by_fn = body.names.size() == 2 && body.names[0] == f.name;
    if (plain || by_fn)
      for (std::size_t i = 0; i < f.arg_names.size() && i < args.size(); ++i)
        if (!f.arg_names[i].empty() && to_lower(f.arg_names[i]) == body.names.back())
          return args[i];
  }
  Expr out = body;
  for (auto& a : out.args)
    a = substitute(a, f, args);
  for (auto& a : out.filter)
    a = substitute(a, f, args);
  for (auto& a : out.from_calls)
    a = substitute(a, f, args);
  return out;
}

Expr expand(const Expr& e, const FunctionLookup& lookup, std::set<std::string>* unresolved,
            int depth) {
  Expr out = e;
  for (auto& a : out.args)
    a = expand(a, lookup, unresolved, depth);
  for (auto& a : out.filter)
    a = expand(a, lookup, unresolved, depth);
  for (auto& a : out.from_calls)
    a = expand(a, lookup, unresolved, depth);
  if (out.kind == Expr::Kind::func && lookup && out.expansion.empty()) {
    if (const FunctionDef* f = lookup(out.names, out.args.size())) {
      if (depth == 0 && !f->parsed.empty())
        out.expansion.push_back(
            expand(substitute(f->parsed.front(), *f, out.args), lookup, unresolved, depth + 1));
      else if (unresolved)
        unresolved->insert(out.qualified());
    }
  }
  return out;
}

} // namespace

std::string Expr::qualified() const {
  std::string s;
  for (const auto& n : names)
    s += (s.empty() ? "" : ".") + n;
  return s;
}

Result<Expr> parse_expr(std::string_view sql) {
  try {
    Parser p(tokenize(sql));
    return p.whole();
  } catch (const ParseError& e) {
    return make_error(ErrorKind::unexpected, "cannot parse expression: " + e.message);
  }
}

Result<Expr> parse_function_body(std::string_view body) {
  try {
    Parser p(tokenize(body));
    return p.body();
  } catch (const ParseError& e) {
    return make_error(ErrorKind::unexpected, "cannot parse function body: " + e.message);
  }
}

std::vector<std::string> scan_gucs(std::string_view text) {
  std::vector<std::string> out;
  std::vector<Token> t;
  try {
    t = tokenize(text);
  } catch (const ParseError&) {
    return out;
  }
  for (std::size_t i = 0; i + 2 < t.size(); ++i)
    if (t[i].kind == Token::Kind::ident && t[i].text == "current_setting" &&
        t[i + 1].kind == Token::Kind::punct && t[i + 1].text == "(" &&
        t[i + 2].kind == Token::Kind::string) {
      std::string g = to_lower(t[i + 2].text);
      if (std::find(out.begin(), out.end(), g) == out.end()) out.push_back(g);
    }
  return out;
}

std::vector<std::string> scan_relations(std::string_view text) {
  std::vector<std::string> out;
  std::vector<Token> t;
  try {
    t = tokenize(text);
  } catch (const ParseError&) {
    return out;
  }
  auto name = [&](std::size_t i) {
    return t[i].kind == Token::Kind::ident || t[i].kind == Token::Kind::qident;
  };
  for (std::size_t i = 0; i + 1 < t.size(); ++i) {
    if (t[i].kind != Token::Kind::ident) continue;
    const std::string& w = t[i].text;
    if (w != "from" && w != "join" && w != "update" && w != "into") continue;
    std::size_t k = i + 1;
    if (t[k].kind == Token::Kind::ident && (t[k].text == "only" || t[k].text == "lateral")) ++k;
    if (k >= t.size() || !name(k)) continue;
    std::string full = t[k].text;
    while (k + 2 < t.size() && t[k + 1].kind == Token::Kind::punct && t[k + 1].text == "." &&
           name(k + 2)) {
      full += "." + t[k + 2].text;
      k += 2;
    }
    if (std::find(out.begin(), out.end(), full) == out.end()) out.push_back(full);
  }
  return out;
}

void prepare_function(FunctionDef& f) {
  f.body_gucs = scan_gucs(f.body);
  f.parsed.clear();
  if (f.language == "sql")
    if (auto b = parse_function_body(f.body)) f.parsed.push_back(std::move(*b));
}

Expr expand_helpers(const Expr& e, const FunctionLookup& lookup,
                    std::set<std::string>* unresolved) {
  return expand(e, lookup, unresolved, 0);
}

ExprFacts analyse(const Expr& e, const PolicyContext& ctx) {
  Analysis a{ctx};
  ExprFacts f;
  a.gucs(e, f.gucs);
  f.isolating = a.isolating(e);
  f.ties = a.any_tie(e);
  f.always_true = a.const_true(e);
  f.fail_open = !f.always_true && a.fail_open(e);
  f.tenant_cast = a.text_cast(e);
  f.empty_string_cast = a.empty_cast(e, "", f.empty_string_cast_where);
  return f;
}

bool is_text_type(std::string_view type) {
  std::string t = to_lower(type);
  if (t.rfind("pg_catalog.", 0) == 0) t = t.substr(11);
  if (auto p = t.find('('); p != std::string::npos) t = t.substr(0, p);
  return t == "text" || t == "character varying" || t == "varchar" || t == "character" ||
         t == "char" || t == "bpchar" || t == "name" || t == "citext";
}

bool guc_matches(std::string_view pattern, std::string_view name) {
  std::string p = to_lower(pattern), n = to_lower(name);
  if (!p.empty() && p.back() == '*') return n.rfind(p.substr(0, p.size() - 1), 0) == 0;
  return p == n;
}

} // namespace crm::audit
