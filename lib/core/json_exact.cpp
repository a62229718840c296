#include "core/json_exact.hpp"

#include "core/input.hpp"

#include <vector>

namespace crm {

namespace {

using json = nlohmann::json;

// A SAX consumer that builds the document, keeping float tokens as text.
class ExactBuilder : public nlohmann::json_sax<json> {
public:
  bool null() override { return put(json()); }
  bool boolean(bool v) override { return put(json(v)); }
  bool number_integer(number_integer_t v) override { return put(json(v)); }
  bool number_unsigned(number_unsigned_t v) override { return put(json(v)); }
  bool number_float(number_float_t, const string_t& s) override { return put(json(s)); }
  bool string(string_t& v) override { return put(json(v)); }
  bool binary(binary_t&) override { return false; }
  bool start_object(std::size_t) override { return open(json::object()); }
  bool key(string_t& k) override {
    m_key = k;
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(json::array()); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    m_error_at = position;
    m_error = ex.what();
    return false;
  }
  json result() { return std::move(m_root); }
  std::size_t error_at() const { return m_error_at; }

private:
  bool put(json v) {
    if (m_stack.empty()) {
      m_root = std::move(v);
    } else if (m_stack.back()->is_object()) {
      (*m_stack.back())[m_key] = std::move(v);
    } else {
      m_stack.back()->push_back(std::move(v));
    }
    return true;
  }
  bool open(json v) {
    json* slot = nullptr;
    if (m_stack.empty()) {
      m_root = std::move(v);
      slot = &m_root;
    } else if (m_stack.back()->is_object()) {
      slot = &((*m_stack.back())[m_key] = std::move(v));
    } else {
      m_stack.back()->push_back(std::move(v));
      slot = &m_stack.back()->back();
    }
    m_stack.push_back(slot);
    return true;
  }
  bool close() {
    m_stack.pop_back();
    return true;
  }
  json m_root;
  std::vector<json*> m_stack;
  std::string m_key;
  std::size_t m_error_at = 0;
  std::string m_error;
};

} // namespace

Result<nlohmann::json> parse_json_exact(std::string_view text, const std::string& origin) {
  CRM_TRY(check_json_shape(text, origin, ErrorKind::usage));
  ExactBuilder b;
  bool ok = json::sax_parse(text.begin(), text.end(), &b);
  if (!ok)
    return make_error(ErrorKind::usage, origin + ": not valid JSON (at byte " +
                                            std::to_string(b.error_at()) + ")");
  return b.result();
}

} // namespace crm
