// The coordinator's HTTP side in process (tests/e2e/dashboard_e2e.sh runs it with real processes
// and a browser): the token guards every page and API call, /api and /metrics report what the
// scheduler holds, --metrics-public opens /metrics only.
#include <httplib.h>

#include <gtest/gtest.h>

#include "common/json.h"
#include "coordinator/server.h"
#include "tests/coordinator/scheduler_fixture.h"
#include "tests/testing/temp_dir.h"

namespace hkv::coordinator {
namespace {

class HttpServerTest : public ::testing::Test {
 protected:
  void start(bool metrics_public) {
    ServerOptions so;
    so.db_path = dir_.path() + "/c.db";
    so.token = "tok";
    so.http = HttpOptions{"127.0.0.1", 0, "", metrics_public};
    auto server = CoordinatorServer::start(so);
    ASSERT_TRUE(server.ok()) << server.status().to_string();
    server_ = std::move(server).value();
    ASSERT_GT(server_->http_port(), 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->http_port());
    auto sweep = server_->scheduler()->submit_sweep(sweep_yaml("web", 0, 3), "web.yaml");
    ASSERT_TRUE(sweep.ok()) << sweep.status().to_string();
    auto w = server_->scheduler()->register_worker({"", "host", "cuda:0", "H100", 80LL << 30});
    ASSERT_TRUE(w.ok());
    auto task = server_->scheduler()->pull_task(*w);  // one task running
    ASSERT_TRUE(task.ok() && task->has_value());
    Heartbeat hb{*w, (*task)->task_id, (*task)->attempt, 12.5, false, 0.75};
    hb.memory_used_bytes = 12345;
    hb.gpu_busy_fraction = 0.5;
    ASSERT_TRUE(server_->scheduler()->heartbeat(hb).ok());
  }

  int status(const std::string& path, const httplib::Headers& headers = {}) {
    auto r = client_->Get(path, headers);
    return r ? r->status : -1;
  }

  Json get_json(const std::string& path) {
    auto r = client_->Get(path, {{"Authorization", "Bearer tok"}});
    EXPECT_TRUE(r && r->status == 200) << path;
    auto j = parse_json(r ? r->body : "{}", path);
    EXPECT_TRUE(j.ok());
    return j.ok() ? *j : Json();
  }

  hkv::testing::TempDir dir_;
  std::unique_ptr<CoordinatorServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(HttpServerTest, EveryPageAndApiCallNeedsTheToken) {
  start(/*metrics_public=*/false);
  for (const char* path :
       {"/", "/sweeps/1", "/api/sweeps", "/api/sweeps/1", "/api/workers", "/metrics"}) {
    EXPECT_EQ(status(path), 401) << path;
    EXPECT_EQ(status(path, {{"Authorization", "Bearer nope"}}), 401) << path;
    EXPECT_EQ(status(path, {{"Cookie", "hkv_token=nope"}}), 401) << path;
    EXPECT_EQ(status(path, {{"Authorization", "Bearer tok"}}), 200) << path;
    EXPECT_EQ(status(path, {{"Cookie", "a=b; hkv_token=tok"}}), 200) << path;
  }
  EXPECT_EQ(status("/login"), 200);
  auto bad = client_->Post("/login", "token=nope", "application/x-www-form-urlencoded");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 401);
  auto good = client_->Post("/login", "token=tok", "application/x-www-form-urlencoded");
  ASSERT_TRUE(good);
  EXPECT_EQ(good->status, 303);
  EXPECT_NE(good->get_header_value("Set-Cookie").find("hkv_token=tok;"), std::string::npos);
  EXPECT_NE(good->get_header_value("Set-Cookie").find("HttpOnly"), std::string::npos);
  EXPECT_EQ(status("/api/sweeps/99", {{"Authorization", "Bearer tok"}}), 404);
}

TEST_F(HttpServerTest, ApiAndMetricsReportTheSchedulersCounts) {
  start(/*metrics_public=*/false);
  Json sweeps = get_json("/api/sweeps");
  ASSERT_EQ(sweeps["sweeps"].size(), 1u);
  const Json& s = sweeps["sweeps"][0];
  EXPECT_EQ(s["name"], "web");
  EXPECT_EQ(s["model"], "/models/tiny.gguf");
  EXPECT_EQ(s["tasks"]["total"], 3);
  EXPECT_EQ(s["tasks"]["pending"], 2);
  EXPECT_EQ(s["tasks"]["running"], 1);
  Json workers = get_json("/api/workers");
  ASSERT_EQ(workers["workers"].size(), 1u);
  EXPECT_EQ(workers["workers"][0]["state"], "busy");
  EXPECT_EQ(workers["workers"][0]["model"], "/models/tiny.gguf");
  EXPECT_EQ(workers["workers"][0]["memory_used_bytes"], 12345);
  EXPECT_EQ(workers["workers"][0]["busy_fraction"], 0.75);
  EXPECT_EQ(workers["workers"][0]["gpu_busy_fraction"], 0.5);
  auto m = client_->Get("/metrics", {{"Authorization", "Bearer tok"}});
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("hkv_sweep_tasks{sweep=\"1\",name=\"web\",state=\"pending\"} 2\n"),
            std::string::npos)
      << m->body;
  EXPECT_NE(m->body.find("hkv_sweep_tasks{sweep=\"1\",name=\"web\",state=\"running\"} 1\n"),
            std::string::npos);
  EXPECT_NE(m->body.find("# TYPE hkv_rpc_duration_seconds histogram"), std::string::npos);
  EXPECT_NE(m->body.find("hkv_worker_device_memory_bytes{worker=\"host/cuda:0\"} 85899345920"),
            std::string::npos);
  EXPECT_NE(m->body.find("hkv_worker_memory_used_bytes{worker=\"host/cuda:0\"} 12345\n"),
            std::string::npos);
  EXPECT_NE(m->body.find("hkv_worker_tokens_per_second{worker=\"host/cuda:0\"} 12.5\n"),
            std::string::npos);
  EXPECT_NE(m->body.find("hkv_worker_gpu_busy_fraction{worker=\"host/cuda:0\"} 0.5\n"),
            std::string::npos);
  EXPECT_NE(m->body.find("hkv_rpc_duration_seconds_count{rpc=\"PullTask\"} 0\n"),
            std::string::npos);  // in process: the pull did not go through gRPC
}

TEST_F(HttpServerTest, MetricsPublicOpensMetricsOnly) {
  start(/*metrics_public=*/true);
  EXPECT_EQ(status("/metrics"), 200);
  EXPECT_EQ(status("/api/sweeps"), 401);
  EXPECT_EQ(status("/"), 401);
}

}  // namespace
}  // namespace hkv::coordinator
