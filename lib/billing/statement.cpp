#include "billing/statement.hpp"

#include "billing/usage.hpp"
#include "core/output.hpp"

#include <cairo-pdf.h>
#include <cairo.h>

#include <algorithm>
#include <cstdio>

namespace crm::billing {

namespace {

bool is_hex_color(const nlohmann::json& v) {
  if (!v.is_string()) return false;
  const auto& s = v.get_ref<const std::string&>();
  if (s.size() != 7 || s[0] != '#') return false;
  return std::all_of(s.begin() + 1, s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

struct Rgb {
  double r, g, b;
};
Rgb rgb_of(const std::string& hex) {
  auto part = [&](std::size_t i) { return std::stoi(hex.substr(i, 2), nullptr, 16) / 255.0; };
  return {part(1), part(3), part(5)};
}

Result<Decimal> dec(const db::Rows& r, std::size_t i, const char* col) {
  return Decimal::parse(r.get(i, col), {24, 18});
}

} // namespace

std::string brand_color_of(const nlohmann::json& branding, const nlohmann::json& settings,
                           const std::string& fallback) {
  for (const auto* obj : {&branding, &settings})
    if (obj->is_object())
      for (const char* key : {"primary_color", "color", "brand_color", "branding_color"})
        if (obj->contains(key) && is_hex_color((*obj)[key])) return (*obj)[key].get<std::string>();
  return fallback;
}

Result<Statement> load_statement(db::TenantTx& tx, const tenant::TenantRef& t,
                                 const Period& period) {
  CRM_TRY_ASSIGN(auto st, tx.exec("SELECT s.id::text AS id, s.status, s.currency, s.rounding, "
                                  "s.total::text AS total, coalesce(r.timezone, 'UTC') AS tz "
                                  "FROM statements s LEFT JOIN usage_rollups r ON r.period = "
                                  "s.period AND r.version = 1 WHERE s.period = $1",
                                  {period.text()}));
  if (st.empty())
    return make_error(ErrorKind::not_found,
                      "tenant '" + t.slug + "' has no statement for " + period.text() +
                          ": run `crmctl billing rollup --tenant " + t.slug + " --period " +
                          period.text() + "` first");
  Statement s;
  s.tenant_slug = t.slug;
  s.period = period;
  s.status = st.get(0, "status");
  s.currency = st.get(0, "currency");
  s.rounding = st.get(0, "rounding");
  s.timezone = st.get(0, "tz");
  CRM_TRY_ASSIGN(s.total, dec(st, 0, "total"));
  CRM_TRY_ASSIGN(auto org, tx.exec("SELECT name, branding, settings FROM organizations WHERE id = $1",
                                   {t.id}));
  if (!org.empty()) {
    s.tenant_name = org.get(0, "name");
    s.brand_color = brand_color_of(nlohmann::json::parse(org.get(0, "branding"), nullptr, false),
                                   nlohmann::json::parse(org.get(0, "settings"), nullptr, false),
                                   s.brand_color);
  }
  CRM_TRY_ASSIGN(auto lines,
                 tx.exec("SELECT line_no, kind, description, units::text AS units, "
                         "free_units::text AS free_units, paid_units::text AS paid_units, "
                         "unit_price::text AS unit_price, amount::text AS amount, call_count, "
                         "period_from::text AS period_from, period_to::text AS period_to FROM "
                         "statement_lines WHERE statement_id = $1 ORDER BY line_no",
                         {st.get(0, "id")}));
  for (std::size_t i = 0; i < lines.size(); ++i) {
    StatementLine l;
    l.line_no = std::stoi(lines.get(i, "line_no"));
    l.kind = lines.get(i, "kind");
    l.description = lines.get(i, "description");
    CRM_TRY_ASSIGN(l.units, dec(lines, i, "units"));
    CRM_TRY_ASSIGN(l.free_units, dec(lines, i, "free_units"));
    CRM_TRY_ASSIGN(l.paid_units, dec(lines, i, "paid_units"));
    CRM_TRY_ASSIGN(l.unit_price, dec(lines, i, "unit_price"));
    CRM_TRY_ASSIGN(l.amount, dec(lines, i, "amount"));
    l.calls = std::stoll(lines.get(i, "call_count"));
    l.period_from = lines.get(i, "period_from");
    l.period_to = lines.get(i, "period_to");
    s.lines.push_back(std::move(l));
  }
  CRM_TRY_ASSIGN(auto days, billable_by_day(tx, period, s.timezone));
  for (const auto& d : days)
    s.minutes_per_day.push_back(s.rounding == "per_second"
                                    ? Decimal::from_int(d.seconds).divided_by(60, 6)
                                    : Decimal::from_int(d.ceil_minutes));
  return s;
}

nlohmann::json statement_json(const Statement& s) {
  nlohmann::json lines = nlohmann::json::array();
  for (const auto& l : s.lines)
    lines.push_back({{"line", l.line_no},
                     {"kind", l.kind},
                     {"description", l.description},
                     {"units", l.units.to_string(6)},
                     {"free_units", l.free_units.to_string(6)},
                     {"paid_units", l.paid_units.to_string(6)},
                     {"unit_price", l.unit_price.to_string(6)},
                     {"amount", l.amount.to_string(2)},
                     {"calls", l.calls},
                     {"period_from", l.period_from},
                     {"period_to", l.period_to}});
  return {{"tenant", s.tenant_slug},
          {"name", s.tenant_name},
          {"period", s.period.text()},
          {"status", s.status},
          {"currency", s.currency},
          {"rounding", s.rounding},
          {"timezone", s.timezone},
          {"lines", lines},
          {"total", s.total.to_string(2)}};
}

std::string statement_csv(const Statement& s) {
  std::string out = "period,line,kind,description,units,free_units,paid_units,unit_price,amount,"
                    "currency,calls,period_from,period_to\r\n";
  auto rec = [&](const std::vector<std::string>& f) {
    for (std::size_t i = 0; i < f.size(); ++i)
      out += (i ? "," : "") + csv_field(f[i]);
    out += "\r\n";
  };
  for (const auto& l : s.lines)
    rec({s.period.text(), std::to_string(l.line_no), l.kind, l.description, l.units.to_string(6),
         l.free_units.to_string(6), l.paid_units.to_string(6), l.unit_price.to_string(6),
         l.amount.to_string(2), s.currency, std::to_string(l.calls), l.period_from, l.period_to});
  rec({s.period.text(), "", "total", "Total (" + s.status + ")", "", "", "", "",
       s.total.to_string(2), s.currency, "", s.period.first_day(), s.period.last_day()});
  return out;
}

namespace {

cairo_status_t append_to_string(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

void text_at(cairo_t* cr, double x, double y, const std::string& s, bool right = false) {
  if (right) {
    cairo_text_extents_t e;
    cairo_text_extents(cr, s.c_str(), &e);
    x -= e.x_advance;
  }
  cairo_move_to(cr, x, y);
  cairo_show_text(cr, s.c_str());
}

// Cairo's toy text API wants valid UTF-8 without controls: stored text is shown escaped.
std::string printable(const std::string& s, std::size_t max_chars) {
  std::string e = escape_for_terminal(s);
  if (e.size() > max_chars) e = e.substr(0, max_chars) + "...";
  return e;
}

} // namespace

Result<std::string> statement_pdf(const Statement& s) {
  std::string out;
  const double W = 612, H = 792, M = 48; // US Letter, points
  cairo_surface_t* surface = cairo_pdf_surface_create_for_stream(append_to_string, &out, W, H);
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE,
                                 ("Statement " + s.period.text()).c_str());
  // A fixed date (the end of the period) keeps the document the same from run to run.
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE,
                                 (s.period.next().first_day() + "T00:00:00").c_str());
  cairo_t* cr = cairo_create(surface);
  const Rgb brand = rgb_of(s.brand_color);

  // Band with the tenant's name.
  cairo_set_source_rgb(cr, brand.r, brand.g, brand.b);
  cairo_rectangle(cr, 0, 0, W, 84);
  cairo_fill(cr);
  const double lum = 0.2126 * brand.r + 0.7152 * brand.g + 0.0722 * brand.b;
  const double ink = lum > 0.6 ? 0.0 : 1.0;
  cairo_set_source_rgb(cr, ink, ink, ink);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size(cr, 22);
  text_at(cr, M, 50, printable(s.tenant_name.empty() ? s.tenant_slug : s.tenant_name, 60));

  cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
  cairo_set_font_size(cr, 16);
  text_at(cr, M, 120, "Statement " + s.period.text() + (s.status == "draft" ? " (draft)" : ""));
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, 9.5);
  text_at(cr, M, 140,
          "Period " + s.period.first_day() + " to " + s.period.last_day() + " (" + s.timezone +
              ")   Currency " + s.currency + "   Rounding " + s.rounding);

  // Lines.
  // Right edges of the number columns (description on the left).
  const double cols[] = {M, 360, 410, 460, 510, W - M};
  double y = 172;
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  text_at(cr, cols[0], y, "Description");
  text_at(cr, cols[1], y, "Minutes", true);
  text_at(cr, cols[2], y, "Free", true);
  text_at(cr, cols[3], y, "Paid", true);
  text_at(cr, cols[4], y, "Rate", true);
  text_at(cr, cols[5], y, "Amount", true);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_line_width(cr, 0.6);
  cairo_move_to(cr, M, y + 5);
  cairo_line_to(cr, W - M, y + 5);
  cairo_stroke(cr);
  y += 20;
  for (const auto& l : s.lines) {
    if (y > 540) break; // one page: the chart keeps its place
    text_at(cr, cols[0], y, printable(l.description, 46));
    text_at(cr, cols[1], y, l.units.to_string(2), true);
    text_at(cr, cols[2], y, l.free_units.to_string(2), true);
    text_at(cr, cols[3], y, l.paid_units.to_string(2), true);
    text_at(cr, cols[4], y, l.unit_price.to_string(4), true);
    text_at(cr, cols[5], y, l.amount.to_string(2), true);
    y += 9.5;
    cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
    cairo_set_font_size(cr, 7.5);
    text_at(cr, cols[0] + 8, y, std::to_string(l.calls) + " calls, " + l.period_from + " to " +
                                    l.period_to);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_set_font_size(cr, 9.5);
    y += 16;
  }
  cairo_move_to(cr, M, y - 6);
  cairo_line_to(cr, W - M, y - 6);
  cairo_stroke(cr);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size(cr, 12);
  text_at(cr, cols[0], y + 10, "Total");
  text_at(cr, cols[5], y + 10, s.total.to_string(2) + " " + s.currency, true);

  // Billed minutes per day.
  const double cx = M, cy = 600, cw = W - 2 * M, ch = 120;
  cairo_set_font_size(cr, 10);
  text_at(cr, cx, cy - 10, "Billed minutes per day");
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, 7);
  Decimal peak;
  for (const auto& m : s.minutes_per_day)
    peak = std::max(peak, m);
  const std::size_t n = std::max<std::size_t>(s.minutes_per_day.size(), 1);
  const double bw = cw / static_cast<double>(n);
  // Bar heights are drawing coordinates (minutes, not money), from whole hundredths.
  auto hundredths = [](const Decimal& d) {
    std::string t = d.to_string(2);
    t.erase(t.size() - 3, 1); // "12.34" -> "1234"
    return std::stoll(t);
  };
  const long long top = hundredths(peak);
  for (std::size_t i = 0; i < s.minutes_per_day.size(); ++i) {
    const double v = top > 0 ? static_cast<double>(hundredths(s.minutes_per_day[i])) /
                                   static_cast<double>(top)
                             : 0.0;
    cairo_set_source_rgb(cr, brand.r, brand.g, brand.b);
    cairo_rectangle(cr, cx + static_cast<double>(i) * bw + 1, cy + ch - v * ch, bw - 2, v * ch);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    if (i % 5 == 0 || i + 1 == s.minutes_per_day.size())
      text_at(cr, cx + static_cast<double>(i) * bw + 1, cy + ch + 10, std::to_string(i + 1));
  }
  cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
  text_at(cr, cx + cw, cy - 10, "peak " + peak.to_string(2) + " min", true);
  cairo_move_to(cr, cx, cy + ch);
  cairo_line_to(cr, cx + cw, cy + ch);
  cairo_stroke(cr);

  cairo_show_page(cr);
  cairo_status_t status = cairo_status(cr);
  cairo_destroy(cr);
  cairo_surface_finish(surface);
  cairo_surface_destroy(surface);
  if (status != CAIRO_STATUS_SUCCESS)
    return make_error(ErrorKind::unexpected,
                      std::string("PDF rendering failed: ") + cairo_status_to_string(status));
  return out;
}

} // namespace crm::billing
