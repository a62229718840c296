// Hostile input at the edge and stored text on the way out: the one text validator
// (check_text), the one output escaper (escape_for_terminal behind render), the YAML/JSON shape
// bounds, money limits, the CSV BOM and slug transliteration.
#include "core/config.hpp"
#include "core/ids.hpp"
#include "core/input.hpp"
#include "core/money.hpp"
#include "core/output.hpp"
#include "core/text.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <sstream>

using namespace crm;

namespace {

// The message check_text gives for `value` under a plain 200-character rule ("" when valid).
std::string refusal(std::string_view value, const TextRule& rule = TextRule("--name", 200)) {
  auto r = check_text(value, rule);
  return r ? "" : r.error().message;
}

std::string rendered(const nlohmann::json& data, Format f, const RenderOptions& o = {}) {
  std::ostringstream out;
  render(data, f, out, o);
  return out.str();
}

const std::string k_esc_red = "\x1b[31mred\x1b[0m";
const std::string k_rlo = "evil\u202Etxt.exe"; // U+202E RIGHT-TO-LEFT OVERRIDE

} // namespace

// --- check_text: every class of bad character, with its code point and position ---------------

TEST(InputCheckText, ControlCharactersAreNamedWithCodePointAndPosition) {
  EXPECT_EQ(refusal("Acme\x1b[31m"),
            "--name: contains a control character (U+001B) at position 5: remove it");
  EXPECT_EQ(refusal(std::string("pw\0rest", 7)),
            "--name: contains a NUL character (U+0000) at position 3: remove it");
  EXPECT_EQ(refusal("a\x7f"), "--name: contains a control character (U+007F) at position 2: "
                              "remove it");
  EXPECT_EQ(refusal("Line\nBreak"),
            "--name: contains a control character (U+000A) at position 5: remove it");
  EXPECT_NE(refusal("tab\there").find("(U+0009) at position 4"), std::string::npos);
  EXPECT_NE(refusal("cr\r").find("(U+000D) at position 3"), std::string::npos);
  EXPECT_NE(refusal("bell\x07").find("(U+0007)"), std::string::npos);
}

TEST(InputCheckText, C1ControlsAndBidiOverridesAreRefused) {
  // Positions count code points, not bytes: "é" is one.
  EXPECT_EQ(refusal("é\u0085x"),
            "--name: contains a control character (U+0085) at position 2: remove it");
  EXPECT_NE(refusal("csi\u009b31m").find("(U+009B) at position 4"), std::string::npos);
  for (char32_t cp : {0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069}) {
    std::string s = "ab";
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
    char want[64];
    std::snprintf(want, sizeof want, "bidirectional control character (U+%04X) at position 3",
                  static_cast<unsigned>(cp));
    EXPECT_NE(refusal(s).find(want), std::string::npos) << refusal(s);
  }
}

TEST(InputCheckText, InvalidUtf8IsRefusedByKind) {
  auto bad = [](std::string_view s, const std::string& needle) {
    std::string m = refusal(s);
    EXPECT_NE(m.find("--name: is not valid UTF-8"), std::string::npos) << m;
    EXPECT_NE(m.find(needle), std::string::npos) << m;
  };
  bad("a\xC0\xAF", "overlong encoding of U+002F at position 2");        // "/" in two bytes
  bad("a\xE0\x80\xAF", "overlong encoding of U+002F at position 2");    // ... and three
  bad("\xF0\x82\x82\xAC", "overlong encoding of U+20AC at position 1"); // "€" in four
  bad("x\xED\xA0\x80", "UTF-16 surrogate (U+D800) at position 2");
  bad("\xED\xBF\xBF", "UTF-16 surrogate (U+DFFF)");
  bad("ab\xE2\x82", "truncated multi-byte sequence at position 3");
  bad("\xE2\x82z", "truncated multi-byte sequence at position 1");
  bad("a\xFF", "invalid byte 0xFF at position 2");
  bad("\x80", "invalid byte 0x80 at position 1");
  bad("\xF4\x90\x80\x80", "above U+10FFFF");
  EXPECT_FALSE(is_valid_utf8("a\xC0\xAF"));
  EXPECT_TRUE(is_valid_utf8("Café 🦷"));
  EXPECT_EQ(to_valid_utf8("a\xFF"
                          "b"),
            "a\xEF\xBF\xBD"
            "b");
}

TEST(InputCheckText, QuotesUnicodeAndSqlMetacharactersAreData) {
  for (const char* ok :
       {"O'Brien \"Dental\" & Sons", "Café 🦷 Zürich", "東京歯科クリニック",
        "x'); DROP TABLE organizations; --", "50% <b>off</b> \\n", "Łódź", "عيادة", "\u200D"})
    EXPECT_EQ(refusal(ok), "") << ok;
  EXPECT_EQ(refusal("two\nlines\tand tabs\r\n", TextRule("greeting", 100, LineBreaks::allowed)),
            "");
}

TEST(InputCheckText, LengthCountsCodePointsAndNeverEchoesTheValueInFull) {
  std::string e200;
  for (int i = 0; i < 200; ++i)
    e200 += "é"; // 400 bytes, 200 characters
  EXPECT_EQ(refusal(e200), "");
  EXPECT_EQ(refusal(e200 + "é"), "--name: is 201 characters long: at most 200 are allowed (it "
                                 "starts \"" +
                                     e200.substr(0, 80) + "…\")");
  std::string huge = std::string(10000, 'a') + "SECRET-TAIL";
  std::string m = refusal(huge, TextRule("tenant name", 200));
  EXPECT_NE(m.find("is 10011 characters long: at most 200"), std::string::npos) << m;
  EXPECT_EQ(m.find(std::string(41, 'a')), std::string::npos);
  EXPECT_EQ(m.find("SECRET"), std::string::npos);
  EXPECT_LT(m.size(), 160u);
  // The excerpt is escaped: a long value full of escapes does not reach the message raw.
  std::string esc = refusal(std::string(300, '\x1b'), TextRule("x", 1000));
  EXPECT_EQ(esc.find('\x1b'), std::string::npos);
  // A secret is never quoted, even in part.
  std::string s =
      refusal(std::string(2000, 'k'), TextRule("password", 1024, LineBreaks::refused, Echo::never));
  EXPECT_EQ(s, "password: is 2000 characters long: at most 1024 are allowed");
}

TEST(InputCheckText, MessagesAreOneLine) {
  for (std::string bad : {std::string("a\nb"), std::string("\x1b]0;title\x07"),
                          std::string(500, '\n'), std::string("\xC0\x8A")})
    EXPECT_EQ(refusal(bad).find('\n'), std::string::npos) << refusal(bad);
}

// --- the one output escaper --------------------------------------------------------------------

TEST(OutputEscaper, TableShowsEscapeSequencesAndBidiEscaped) {
  nlohmann::json rows = nlohmann::json::array(
      {{{"name", k_esc_red}, {"email", "a@x.example"}},
       {{"name", k_rlo}, {"email", "c1\u009b2J@x.example"}},
       {{"name", "Café 🦷 \"O'Brien\""}, {"email", std::string("bad\xFF") + "@x.example"}}});
  std::string t = rendered(rows, Format::table, RenderOptions{{"name", "email"}, false});
  EXPECT_EQ(t.find('\x1b'), std::string::npos) << t;
  EXPECT_EQ(t.find("\u202E"), std::string::npos) << t;
  EXPECT_EQ(t.find("\u009b"), std::string::npos) << t;
  EXPECT_NE(t.find("\\x1b[31mred\\x1b[0m"), std::string::npos) << t;
  EXPECT_NE(t.find("evil\\u202etxt.exe"), std::string::npos) << t;
  EXPECT_NE(t.find("c1\\u009b2J@x.example"), std::string::npos) << t;
  EXPECT_NE(t.find("bad\\xff@x.example"), std::string::npos) << t;
  EXPECT_NE(t.find("Café 🦷 \"O'Brien\""), std::string::npos) << t; // printable text unchanged
  // Columns still line up: widths are those of the escaped text.
  std::istringstream lines(t);
  std::string header, first;
  std::getline(lines, header);
  std::getline(lines, first);
  EXPECT_EQ(header.find("EMAIL"), first.find("a@x.example")) << t;
  EXPECT_EQ(first.rfind("\\x1b[31mred\\x1b[0m", 0), 0u) << t;
  // An object (key/value table) and a bare value are escaped too.
  EXPECT_EQ(rendered(nlohmann::json{{"name", k_esc_red}}, Format::table).find('\x1b'),
            std::string::npos);
  EXPECT_EQ(rendered(nlohmann::json(k_rlo), Format::table), "evil\\u202etxt.exe\n");
  EXPECT_EQ(escape_for_terminal("a\tb\nc\rd\x7f"), "a\\tb\\nc\\rd\\x7f");
}

TEST(OutputEscaper, JsonStaysValidWithInvalidUtf8AndControlsEscaped) {
  nlohmann::json rows = nlohmann::json::array(
      {{{"name", std::string("stored\xFF\xFE") + "bytes"}, {"note", k_esc_red + k_rlo}}});
  std::string j;
  ASSERT_NO_THROW(j = rendered(rows, Format::json));
  EXPECT_EQ(j.find('\x1b'), std::string::npos);
  EXPECT_EQ(j.find("\u202E"), std::string::npos);
  EXPECT_NE(j.find("\\u202e"), std::string::npos) << j;
  auto back = nlohmann::json::parse(j);
  EXPECT_EQ(back[0]["note"], k_esc_red + k_rlo); // same value, escaped only in the text
  EXPECT_EQ(back[0]["name"], "stored\uFFFD\uFFFDbytes");
  // A nested object in a table cell is dumped without throwing either.
  nlohmann::json nested = nlohmann::json::array({{{"settings", {{"k", std::string("\xC0")}}}}});
  EXPECT_NO_THROW(rendered(nested, Format::table));
  EXPECT_NO_THROW(rendered(nested, Format::csv));
}

TEST(OutputEscaper, YamlStaysValidAndCsvStaysRfc4180) {
  nlohmann::json data = {{"name", k_esc_red},
                         {"rtl", k_rlo},
                         {std::string("key\u202E"), "v"},
                         {"bad", std::string("x\xFF")}};
  std::string y = rendered(data, Format::yaml);
  EXPECT_EQ(y.find('\x1b'), std::string::npos) << y;
  EXPECT_EQ(y.find("\u202E"), std::string::npos) << y;
  YAML::Node back;
  ASSERT_NO_THROW(back = YAML::Load(y)) << y;
  EXPECT_EQ(back["name"].as<std::string>(), k_esc_red);
  EXPECT_EQ(back["rtl"].as<std::string>(), k_rlo);
  EXPECT_EQ(back["key\u202E"].as<std::string>(), "v");
  EXPECT_EQ(back["bad"].as<std::string>(), "x\uFFFD");

  nlohmann::json rows = nlohmann::json::array({{{"name", "Acme, \"Inc\"\nLine 2"}}});
  EXPECT_EQ(rendered(rows, Format::csv), "name\r\n\"Acme, \"\"Inc\"\"\nLine 2\"\r\n");
}

// --- hostile files: YAML aliases and depth, JSON depth -----------------------------------------

TEST(InputShape, RecursiveYamlAliasIsAnErrorNotACrash) {
  auto r = check_yaml_shape("a: &a [*a]\n", "settings.yaml", ErrorKind::usage);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::usage);
  EXPECT_NE(r.error().message.find("settings.yaml: a recursive alias"), std::string::npos)
      << r.error().message;
  EXPECT_FALSE(check_yaml_shape("m: &m {self: *m}\n", "f", ErrorKind::usage));
  EXPECT_FALSE(check_yaml_shape("? &k [*k]\n: 1\n", "f", ErrorKind::usage)); // as a key
  // Non-recursive aliases are fine.
  EXPECT_TRUE(check_yaml_shape("base: &b {x: 1}\nuse: [*b, *b]\n", "f", ErrorKind::usage));
  // The config file: the same guard, in its own error class (exit 10).
  auto c = parse_config_text("profiles: &p {local: *p}\n", "config.yaml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, ErrorKind::config);
  EXPECT_NE(c.error().message.find("config.yaml: a recursive alias"), std::string::npos)
      << c.error().message;
}

TEST(InputShape, DeepYamlAndJsonEndInACleanError) {
  auto nested = [](std::size_t n) {
    return "a: " + std::string(n, '[') + std::string(n, ']') + "\n";
  };
  EXPECT_TRUE(check_yaml_shape(nested(60), "f.yaml", ErrorKind::usage));
  for (std::size_t n : {70u, 1500u, 10000u}) {
    auto r = check_yaml_shape(nested(n), "f.yaml", ErrorKind::usage);
    ASSERT_FALSE(r) << n;
    EXPECT_NE(r.error().message.find("f.yaml: nests deeper than 64 levels"), std::string::npos)
        << r.error().message;
  }
  std::string block; // 2000 nested block mappings
  for (std::size_t i = 0; i < 2000; ++i)
    block += std::string(i, ' ') + "k:\n";
  EXPECT_FALSE(check_yaml_shape(block, "f.yaml", ErrorKind::usage));
  auto c = parse_config_text(nested(10000), "config.yaml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, ErrorKind::config);
  EXPECT_NE(c.error().message.find("deeper than 64"), std::string::npos) << c.error().message;
  // Billion laughs: aliases expanding to millions of values.
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char n = 'b'; n <= 'h'; ++n)
    bomb += std::string(1, n) + ": &" + n + " [" + [&] {
      std::string s;
      for (int i = 0; i < 10; ++i)
        s += (i ? ", *" : "*") + std::string(1, static_cast<char>(n - 1));
      return s;
    }() + "]\n";
  auto b = check_yaml_shape(bomb, "f.yaml", ErrorKind::usage);
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("through aliases"), std::string::npos);

  EXPECT_TRUE(check_json_shape("{\"a\": [[1], {\"b\": \"[[[[[[\"}]}", "stdin", ErrorKind::usage));
  auto j = check_json_shape(std::string(1'000'000, '['), "credential input", ErrorKind::usage);
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().kind, ErrorKind::usage);
  EXPECT_NE(j.error().message.find("credential input: JSON nests deeper than 64 levels"),
            std::string::npos);
}

// --- money: the column's limits, never rounded, never an overflow --------------------------------

TEST(MoneyLimits, TooManyDigitsIsAUsageErrorNamingValueAndLimit) {
  EXPECT_TRUE(Decimal::parse("99999999999999.999999")); // numeric(20,6) holds 14 + 6
  EXPECT_TRUE(Decimal::parse("-00000000000000000000012.5"));
  EXPECT_EQ(Decimal::parse("0.1234560")->to_string(), "0.123456"); // a zero is not rounding
  auto big = Decimal::parse("123456789012345");
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().kind, ErrorKind::usage);
  EXPECT_EQ(big.error().message, "'123456789012345' has 15 digits before the decimal point: at "
                                 "most 14 fit (numeric(20,6))");
  auto fine = Decimal::parse("0.1234567");
  ASSERT_FALSE(fine);
  EXPECT_EQ(fine.error().kind, ErrorKind::usage);
  EXPECT_NE(fine.error().message.find("'0.1234567' has 7 decimal places: at most 6 are kept "
                                      "(numeric(20,6))"),
            std::string::npos)
      << fine.error().message;
  // 40 digits used to overflow the 128-bit units; a million digits is not echoed back.
  EXPECT_FALSE(Decimal::parse(std::string(40, '9')));
  auto huge = Decimal::parse(std::string(1'000'000, '9'));
  ASSERT_FALSE(huge);
  EXPECT_LT(huge.error().message.size(), 200u);
  // Prices: numeric(20,2).
  EXPECT_TRUE(Decimal::parse("400.00", k_numeric_20_2));
  auto cents = Decimal::parse("19.999", k_numeric_20_2);
  ASSERT_FALSE(cents);
  EXPECT_NE(cents.error().message.find("at most 2 are kept (numeric(20,2))"), std::string::npos);
  EXPECT_FALSE(Decimal::parse("1234567890123456789", k_numeric_20_2));
  // fits(): what a computed value (cogs x markup) is checked with.
  EXPECT_TRUE(Decimal::parse("99999999999999")->fits(k_numeric_20_6));
  EXPECT_FALSE((*Decimal::parse("99999999999999") * Decimal::from_int(2)).fits(k_numeric_20_6));
  EXPECT_FALSE(Decimal::parse("0.125")->fits(k_numeric_20_2));
}

// --- CSV BOM and slugs -----------------------------------------------------------------------

TEST(TextBom, Utf8ByteOrderMarkIsStripped) {
  EXPECT_EQ(strip_utf8_bom("\xEF\xBB\xBF"
                           "email,name,role\n"),
            "email,name,role\n");
  EXPECT_EQ(strip_utf8_bom("email"), "email");
  EXPECT_EQ(strip_utf8_bom("\xEF\xBB"), "\xEF\xBB");
}

TEST(SlugTransliteration, AccentedLatinLettersBecomeAscii) {
  EXPECT_EQ(slugify("Café Zürich"), "cafe-zurich");
  EXPECT_EQ(slugify("Straße Ærø Øst"), "strasse-aero-ost");
  EXPECT_EQ(slugify("Łódź Kraków"), "lodz-krakow");
  EXPECT_EQ(slugify("Şişli Čapek Œuvre Ğ"), "sisli-capek-oeuvre-g");
  EXPECT_EQ(slugify("Þórshöfn Ñandú Ÿ"), "thorshofn-nandu-y");
  EXPECT_EQ(slugify("  O'Brien & Sons — Café  "), "o-brien-sons-cafe");
  // Emoji and other scripts are dropped as before.
  EXPECT_EQ(slugify("🦷 Dental"), "dental");
  EXPECT_EQ(slugify("東京 Clinic"), "clinic");
  EXPECT_EQ(slugify("🦷🦷"), "");
  EXPECT_EQ(slugify("a×b÷c"), "a-b-c");
  EXPECT_EQ(slugify(std::string(100, 'a') + "ß").size(), 63u);
  EXPECT_TRUE(is_valid_slug(slugify(std::string(62, 'a') + "ß")));
}
