#include "db/copy.hpp"

#include "db/raw.hpp"
#include "db/sql.hpp"

#include <libpq-fe.h>

#include <cstring>
#include <memory>

namespace crm::db {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_octal(char c) {
  return c >= '0' && c <= '7';
}

// Decodes the escapes of [p, end) (a field with no delimiting tab inside, except escaped ones
// after a backslash) into dst (<= p): where the field's decoded bytes end, and where its raw
// bytes end (the delimiting tab or `end`).
std::pair<char*, char*> decode_field(char* p, char* end, char* dst) {
  for (;;) {
    char* tab = static_cast<char*>(std::memchr(p, '\t', static_cast<std::size_t>(end - p)));
    char* stop = tab ? tab : end;
    for (;;) {
      char* bs = static_cast<char*>(std::memchr(p, '\\', static_cast<std::size_t>(stop - p)));
      char* plain_end = bs ? bs : stop;
      if (dst != p) std::memmove(dst, p, static_cast<std::size_t>(plain_end - p));
      dst += plain_end - p;
      p = plain_end;
      if (!bs) return {dst, stop};
      if (bs + 1 >= end) { // a lone backslash at the end of the line: kept as it is
        *dst++ = '\\';
        return {dst, end};
      }
      char c = bs[1];
      p = bs + 2;
      switch (c) {
      case 'b': c = '\b'; break;
      case 'f': c = '\f'; break;
      case 'n': c = '\n'; break;
      case 'r': c = '\r'; break;
      case 't': c = '\t'; break;
      case 'v': c = '\v'; break;
      case 'x':
        if (p < end && hex_value(*p) >= 0) {
          int v = hex_value(*p++);
          if (p < end && hex_value(*p) >= 0) v = v * 16 + hex_value(*p++);
          c = static_cast<char>(v);
        }
        break;
      default:
        if (is_octal(c)) {
          int v = c - '0';
          for (int k = 0; k < 2 && p < end && is_octal(*p); ++k)
            v = v * 8 + (*p++ - '0');
          c = static_cast<char>(v & 0xff);
        }
        break; // any other character stands for itself (an escaped tab included)
      }
      *dst++ = c;
      if (bs + 1 == tab) break; // the tab was escaped: look for the field's end again
    }
  }
}

// `sql` with $n (outside string literals, quoted identifiers, dollar quotes and comments)
// replaced by params[n-1] quoted by libpq.
Result<std::string> inline_params(pg_conn* pg, const std::string& sql, const Params& params) {
  if (params.empty()) return sql;
  std::string out;
  out.reserve(sql.size() + 64);
  const std::size_t n = sql.size();
  std::size_t i = 0;
  auto copy_until = [&](std::size_t to) {
    out.append(sql, i, to - i);
    i = to;
  };
  while (i < n) {
    // literals, quoted identifiers, comments and dollar quotes are copied as they are
    if (const SqlSpanAt span = sql_span_at(sql, i); span.kind != SqlSpan::none) {
      copy_until(span.end);
      continue;
    }
    const char c = sql[i];
    if (c == '$' && i + 1 < n && sql[i + 1] >= '0' && sql[i + 1] <= '9') { // $n
      std::size_t j = i + 1;
      while (j < n && sql[j] >= '0' && sql[j] <= '9')
        ++j;
      const std::size_t k = std::stoul(sql.substr(i + 1, j - i - 1));
      if (k == 0 || k > params.size())
        return make_error(ErrorKind::unexpected, "COPY query refers to $" + std::to_string(k) +
                                                     " but has " +
                                                     std::to_string(params.size()) +
                                                     " parameters");
      const auto& v = params[k - 1];
      if (!v) {
        out += "NULL";
      } else {
        std::unique_ptr<char, decltype(&PQfreemem)> lit(
            PQescapeLiteral(pg, v->data(), v->size()), &PQfreemem);
        if (!lit)
          return make_error(ErrorKind::unexpected,
                            std::string("cannot quote a COPY parameter: ") + PQerrorMessage(pg));
        out += lit.get();
      }
      i = j;
      continue;
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

// Reads every result of the current command (the session is idle in the transaction again):
// the first error, if any.
Status finish_results(pg_conn* pg, const std::string& target) {
  std::optional<Error> err;
  while (PGresult* r = PQgetResult(pg)) {
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && !err) err = result_error(pg, r, target);
    PQclear(r);
  }
  if (err) return std::move(*err);
  return {};
}

// After a callback error: cancel the COPY and drain what is still on its way, so the session can
// roll back.
void abandon_copy(pg_conn* pg, const std::string& target) {
  if (PGcancel* cancel = PQgetCancel(pg)) {
    char buf[256];
    (void)PQcancel(cancel, buf, sizeof buf);
    PQfreeCancel(cancel);
  }
  char* row = nullptr;
  int n;
  while ((n = PQgetCopyData(pg, &row, 0)) > 0)
    PQfreemem(row);
  (void)finish_results(pg, target); // 57014 query_canceled, or the COPY's end if it was faster
}

} // namespace

void decode_copy_line(char* line, std::size_t size, std::vector<CopyField>& fields) {
  fields.clear();
  if (size > 0 && line[size - 1] == '\n') --size;
  char* const end = line + size;
  char* p = line;
  for (;;) {
    if (end - p >= 2 && p[0] == '\\' && p[1] == 'N' && (end - p == 2 || p[2] == '\t')) {
      fields.push_back({std::string_view(), true});
      if (end - p == 2) return;
      p += 3;
      continue;
    }
    auto [dst, stop] = decode_field(p, end, p);
    fields.push_back({std::string_view(p, static_cast<std::size_t>(dst - p)), false});
    if (stop == end) return;
    p = stop + 1;
  }
}

namespace {
constexpr char k_binary_signature[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', '\377', '\r', '\n', '\0'};

std::uint32_t be32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) | (std::uint32_t{u[2]} << 8) |
         std::uint32_t{u[3]};
}
std::int16_t be16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<std::int16_t>((u[0] << 8) | u[1]);
}
Error malformed(const std::string& what) {
  return make_error(ErrorKind::unexpected, "malformed binary COPY stream: " + what);
}
} // namespace

Result<std::size_t> CopyBinaryDecoder::decode(const char* p, const char* end,
                                              const RowFn& on_row) {
  const char* const start = p;
  auto have = [&](std::size_t n) { return static_cast<std::size_t>(end - p) >= n; };
  if (!m_header) {
    if (!have(19)) return static_cast<std::size_t>(0);
    if (std::memcmp(p, k_binary_signature, sizeof k_binary_signature) != 0)
      return malformed("no PGCOPY signature");
    const std::uint32_t flags = be32(p + 11);
    if (flags & 0xffff0000u) // bit 16: OIDs included; 17-31: reserved, critical
      return malformed("critical header flags " + std::to_string(flags >> 16));
    const std::uint32_t ext = be32(p + 15);
    if (!have(19 + std::size_t{ext})) return static_cast<std::size_t>(0);
    p += 19 + std::size_t{ext};
    m_header = true;
  }
  while (have(2)) {
    if (m_ended) return malformed("data after the end marker");
    const std::int16_t count = be16(p);
    if (count == -1) {
      m_ended = true;
      p += 2;
      continue;
    }
    if (count < 0) return malformed("field count " + std::to_string(count));
    const char* q = p + 2;
    m_fields.clear();
    bool whole = true;
    for (std::int16_t i = 0; i < count; ++i) {
      if (end - q < 4) {
        whole = false;
        break;
      }
      const auto len = static_cast<std::int32_t>(be32(q));
      q += 4;
      if (len == -1) {
        m_fields.push_back({std::string_view(), true});
        continue;
      }
      if (len < 0) return malformed("field length " + std::to_string(len));
      if (end - q < len) {
        whole = false;
        break;
      }
      m_fields.push_back({std::string_view(q, static_cast<std::size_t>(len)), false});
      q += len;
    }
    if (!whole) break;
    CRM_TRY(on_row(m_fields));
    p = q;
  }
  return static_cast<std::size_t>(p - start);
}

Status CopyBinaryDecoder::feed(const char* data, std::size_t size, const RowFn& on_row) {
  if (m_carry.empty()) {
    CRM_TRY_ASSIGN(const std::size_t used, decode(data, data + size, on_row));
    m_carry.assign(data + used, size - used);
    return {};
  }
  m_carry.append(data, size);
  CRM_TRY_ASSIGN(const std::size_t used, decode(m_carry.data(), m_carry.data() + m_carry.size(),
                                                on_row));
  m_carry.erase(0, used);
  return {};
}

Result<std::uint64_t> copy_out(Tx& tx, const std::string& select_sql, const Params& params,
                               const CopyCallback& on_row, CopyFormat format) {
  pg_conn* pg = RawAccess::session(tx);
  if (!pg) return make_error(ErrorKind::unexpected, "transaction already finished");
  const std::string& target = RawAccess::target(tx);
  CRM_TRY_ASSIGN(const std::string sql, inline_params(pg, select_sql, params));
  const bool binary = format == CopyFormat::binary;
  // "\n": sql may end in a comment
  const std::string statement =
      "COPY (" + sql + "\n) TO STDOUT" + (binary ? " (FORMAT binary)" : "");
  std::size_t columns = 0;
  {
    std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(pg, statement.c_str()), &PQclear);
    if (!r || PQresultStatus(r.get()) != PGRES_COPY_OUT) {
      Error e = result_error(pg, r.get(), target);
      r.reset();
      (void)finish_results(pg, target);
      return e;
    }
    columns = static_cast<std::size_t>(PQnfields(r.get()));
  }
  std::uint64_t rows = 0;
  auto deliver = [&](const std::vector<CopyField>& fields) -> Status {
    if (fields.size() != columns)
      return make_error(ErrorKind::unexpected, "COPY row " + std::to_string(rows + 1) + " has " +
                                                   std::to_string(fields.size()) +
                                                   " fields, not " + std::to_string(columns));
    CRM_TRY(on_row(CopyRow(fields)));
    ++rows;
    return {};
  };
  std::vector<CopyField> fields;
  fields.reserve(columns);
  CopyBinaryDecoder decoder;
  for (;;) {
    char* raw = nullptr;
    const int n = PQgetCopyData(pg, &raw, 0);
    if (n == -1) break; // the end; the command's result follows
    if (n < 0) {
      Error e = result_error(pg, nullptr, target);
      (void)finish_results(pg, target);
      return e;
    }
    std::unique_ptr<char, decltype(&PQfreemem)> line(raw, &PQfreemem);
    Status st;
    if (binary) {
      st = decoder.feed(line.get(), static_cast<std::size_t>(n), deliver);
    } else {
      decode_copy_line(line.get(), static_cast<std::size_t>(n), fields);
      st = deliver(fields);
    }
    if (!st) {
      line.reset();
      abandon_copy(pg, target);
      return std::move(st).error();
    }
  }
  CRM_TRY(finish_results(pg, target));
  if (binary && !decoder.finished())
    return malformed("the stream ended without its end marker");
  return rows;
}

} // namespace crm::db
