// crm-sim: Vapi — the credential check (`GET /assistant`, `GET /tool` with a Bearer private key).
// State lives in State::vapi; saved tools and assistants (POST/GET/PATCH/DELETE /tool/{id},
// GET/PATCH /assistant/{id}) belong here when the product needs them.
#include "common.hpp"

namespace sim {
namespace {

/// True when the request carries an accepted private key. Holds st.mu.
bool authorised(State& st, const Request& req) {
  return st.vapi.keys.count(bearer(req)) > 0;
}

void unauthorised(Response& res) {
  json_reply(res, 401,
             {{"message", "Invalid Key. Hot tip, you may be using the private key instead of the "
                          "public key, or vice versa."},
              {"error", "Unauthorized"},
              {"statusCode", 401}});
}

/// The `limit` query parameter (default 100, at most 1000), or nullopt after answering 400.
std::optional<long long> limit_of(const Request& req, Response& res) {
  if (!req.has_param("limit")) return 100;
  auto v = parse_count(req.get_param_value("limit"));
  if (v && *v <= 1000) return v;
  json_reply(res, 400,
             {{"message", json::array({v ? "limit must not be greater than 1000"
                                         : "limit must be a number conforming to the specified "
                                           "constraints"})},
              {"error", "Bad Request"},
              {"statusCode", 400}});
  return std::nullopt;
}

/// A list route over a (for now always empty) collection: plain JSON array.
httplib::Server::Handler list_route(State& st) {
  return provider_route(st, [&st](const Request& req, Response& res) {
    std::lock_guard lk(st.mu);
    if (!authorised(st, req)) return unauthorised(res);
    if (!limit_of(req, res)) return;
    json_reply(res, 200, json::array());
  });
}

} // namespace

void add_vapi_routes(httplib::Server& srv, State& st) {
  srv.Get("/assistant", list_route(st));
  srv.Get("/tool", list_route(st));
}

} // namespace sim
