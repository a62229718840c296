// crm-sim: Retell (list agents, the credential check) and Google OAuth (refresh-token grant).
#include "common.hpp"

namespace sim {

void add_retell_routes(httplib::Server& srv, State& st) {
  srv.Get("/list-agents", provider_route(st, [&st](const Request& req, Response& res) {
            std::lock_guard lk(st.mu);
            if (!st.retell.count(bearer(req)))
              return json_reply(res, 401, {{"status", "error"}, {"message", "Invalid API Key"}});
            json_reply(res, 200, json::array());
          }));
}

void add_google_routes(httplib::Server& srv, State& st) {
  srv.Post(
      "/token", provider_route(st, [&st](const Request& req, Response& res) {
        std::string key = req.get_param_value("client_id") + ":" +
                          req.get_param_value("client_secret") + ":" +
                          req.get_param_value("refresh_token");
        std::lock_guard lk(st.mu);
        if (req.get_param_value("grant_type") != "refresh_token" || !st.google.count(key))
          return json_reply(res, 400,
                            {{"error", "invalid_grant"}, {"error_description", "Bad Request"}});
        json_reply(res, 200,
                   {{"access_token", "ya29.sim"}, {"expires_in", 3599}, {"token_type", "Bearer"}});
      }));
}

} // namespace sim
