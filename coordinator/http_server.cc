// HTTP routes: login, dashboard pages, /api JSON and /metrics, behind the coordinator's token.
#include "coordinator/http_server.h"

#include <httplib.h>

#include "common/logging.h"
#include "common/strings.h"
#include "coordinator/dashboard_page.h"
#include "coordinator/http_api.h"
#include "coordinator/metrics_text.h"

namespace hkv::coordinator {
namespace {

constexpr char kCookie[] = "hkv_token";

// The request carries the token: "Authorization: Bearer <token>" or the login cookie.
bool authorized(const httplib::Request& req, const std::string& token) {
  const std::string auth = req.get_header_value("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (starts_with(auth, kBearer) && constant_time_equal(auth.substr(kBearer.size()), token)) {
    return true;
  }
  for (const std::string& part : split(req.get_header_value("Cookie"), ';')) {
    std::string_view c = trim(part);
    const std::string prefix = std::string(kCookie) + "=";
    if (starts_with(c, prefix) && constant_time_equal(c.substr(prefix.size()), token)) {
      return true;
    }
  }
  return false;
}

void json_reply(httplib::Response& res, const Result<Json>& body) {
  if (!body.ok()) {
    res.status = body.status().code() == StatusCode::kNotFound ? 404 : 500;
    res.set_content(dump_json(Json{{"error", body.status().to_string()}}), "application/json");
    return;
  }
  res.set_content(dump_json(*body), "application/json");
}

void unauthorized(const httplib::Request& req, httplib::Response& res) {
  res.status = 401;
  res.set_header("WWW-Authenticate", "Bearer realm=\"headkv\"");
  if (starts_with(req.path, "/api/") || req.path == "/metrics") {
    res.set_content(dump_json(Json{{"error",
                                    "missing or wrong token: send 'Authorization: Bearer <token>' "
                                    "or sign in at /login"}}),
                    "application/json");
  } else {
    res.set_content(login_html("Sign in with the coordinator's token."), "text/html");
  }
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::start(Scheduler* scheduler,
                                                      const RpcMetrics* rpcs,
                                                      const HttpOptions& o) {
  if (o.token.empty()) {
    return errorf(StatusCode::kInvalidArgument, "the HTTP server needs the coordinator's token");
  }
  std::unique_ptr<HttpServer> s(new HttpServer());
  s->server_ = std::make_unique<httplib::Server>();
  httplib::Server& svr = *s->server_;
  auto pages = std::make_shared<SweepPages>();
  const std::string token = o.token;
  const bool metrics_public = o.metrics_public;
  // Every route but the login form and (with --metrics-public) /metrics needs the token.
  svr.set_pre_routing_handler(
      [token, metrics_public](const httplib::Request& req, httplib::Response& res) {
        if (req.path == "/login" || (metrics_public && req.path == "/metrics") ||
            authorized(req, token)) {
          return httplib::Server::HandlerResponse::Unhandled;
        }
        unauthorized(req, res);
        return httplib::Server::HandlerResponse::Handled;
      });
  svr.Get("/login", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(login_html(""), "text/html");
  });
  svr.Post("/login", [token](const httplib::Request& req, httplib::Response& res) {
    if (!constant_time_equal(req.get_param_value("token"), token)) {
      res.status = 401;
      res.set_content(login_html("Wrong token."), "text/html");
      return;
    }
    res.set_header("Set-Cookie", std::string(kCookie) + "=" + token +
                                     "; Path=/; Max-Age=604800; HttpOnly; SameSite=Lax");
    res.set_redirect("/", 303);
  });
  auto page = [](const httplib::Request&, httplib::Response& res) {
    res.set_content(dashboard_html(), "text/html");
  };
  svr.Get("/", page);
  svr.Get(R"(/sweeps/(\d+))", page);
  svr.Get("/api/sweeps", [scheduler](const httplib::Request&, httplib::Response& res) {
    json_reply(res, sweeps_json(*scheduler));
  });
  svr.Get(R"(/api/sweeps/(\d+))",
          [scheduler, pages](const httplib::Request& req, httplib::Response& res) {
            json_reply(res, pages->sweep_json(*scheduler, std::stoll(req.matches[1].str())));
          });
  svr.Get("/api/workers", [scheduler](const httplib::Request&, httplib::Response& res) {
    json_reply(res, workers_json(*scheduler));
  });
  svr.Get("/metrics", [scheduler, rpcs](const httplib::Request&, httplib::Response& res) {
    Result<std::string> text = prometheus_text(*scheduler, *rpcs);
    if (!text.ok()) {
      res.status = 500;
      res.set_content(text.status().to_string() + "\n", "text/plain");
      return;
    }
    res.set_content(*text, "text/plain; version=0.0.4; charset=utf-8");
  });
  s->port_ =
      o.port == 0 ? svr.bind_to_any_port(o.host) : (svr.bind_to_port(o.host, o.port) ? o.port : -1);
  if (s->port_ <= 0) {
    return errorf(StatusCode::kUnavailable, "HTTP: cannot listen on %s:%d", o.host.c_str(), o.port);
  }
  s->thread_ = std::thread([server = s->server_.get()] { server->listen_after_bind(); });
  HKV_LOG(kInfo, "coordinator", "HTTP dashboard, /api and /metrics on %s:%d%s", o.host.c_str(),
          s->port_, o.metrics_public ? " (/metrics without the token)" : "");
  return s;
}

void HttpServer::stop() {
  if (server_) {
    server_->stop();
  }
  if (thread_.joinable()) {
    thread_.join();
  }
}

HttpServer::~HttpServer() {
  stop();
}

}  // namespace hkv::coordinator
