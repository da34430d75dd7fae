// fetch/ without a network: checksums against known vectors, manifest round trips and checks,
// BABILong conversions from each shape the Hub has used, zip extraction, model file choice.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "common/mapped_file.h"
#include "fetch/datasets.h"
#include "fetch/downloader.h"
#include "fetch/hub.h"
#include "fetch/manifest.h"
#include "fetch/model_fetch.h"
#include "fetch/sha.h"
#include "tests/testing/temp_dir.h"

namespace hkv::fetch {
namespace {

TEST(ShaTest, KnownVectors) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  testing::TempDir dir;
  // `git hash-object` of "hello\n".
  EXPECT_EQ(*git_blob_sha1_file(dir.write("h", "hello\n")),
            "ce013625030ba8dba906f756967f9e9ca394464a");
  EXPECT_EQ(*sha256_file(dir.write("a", "abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_file(dir.path() + "/none").status().code(), StatusCode::kNotFound);
}

TEST(VerifyDownloadTest, MismatchDeletesTheFile) {
  testing::TempDir dir;
  HubFile lfs{"data.zip", 3, "pointer", sha256_hex("abc")};
  EXPECT_TRUE(verify_download(lfs, dir.write("ok", "abc")).ok());
  std::string bad = dir.write("bad", "abd");
  Result<std::string> r = verify_download(lfs, bad);
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("checksum mismatch"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(bad));
  HubFile git{"README.md", 6, "ce013625030ba8dba906f756967f9e9ca394464a", ""};
  EXPECT_TRUE(verify_download(git, dir.write("r", "hello\n")).ok());
  std::string wrong_size = dir.write("w", "hello");
  EXPECT_NE(verify_download(git, wrong_size).status().message().find("5 bytes, the Hub lists 6"),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(wrong_size));
}

TEST(ManifestTest, RoundTripAndChecks) {
  testing::TempDir dir;
  dir.write("a.jsonl", "abc");
  Manifest m{"longbench",
             "http://127.0.0.1:1",
             "datasets/THUDM/LongBench",
             "main",
             "2026-12-06T00:00:00Z",
             {{"data.zip", 9, "s", "oid"}},
             {{"a.jsonl", 3, sha256_hex("abc"), ""}}};
  ASSERT_TRUE(write_manifest(dir.path() + "/" + kManifestName, m).ok());
  Result<Manifest> back = read_manifest(dir.path() + "/" + kManifestName);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(*back, m);
  EXPECT_TRUE(verify_manifest(dir.path(), m, true).complete());
  EXPECT_TRUE(manifest_up_to_date(dir.path(), kManifestName, m.sources));
  EXPECT_FALSE(manifest_up_to_date(dir.path(), kManifestName, {{"data.zip", 9, "", "other"}}));
  dir.write("a.jsonl", "abd");  // same size, other bytes: only the hash check sees it
  EXPECT_TRUE(verify_manifest(dir.path(), m, false).complete());
  ManifestCheck c = verify_manifest(dir.path(), m, true);
  EXPECT_EQ(c.wrong_hash, 1);
  std::filesystem::remove(dir.path() + "/a.jsonl");
  c = verify_manifest(dir.path(), m, false);
  EXPECT_EQ(c.missing, 1);
  EXPECT_FALSE(manifest_up_to_date(dir.path(), kManifestName, m.sources));
}

TEST(ManifestTest, RejectsPathsOutsideTheFolder) {
  Json j = manifest_to_json({"babilong", "e", "r", "main", "t", {}, {{"../x", 1, "s", ""}}});
  EXPECT_EQ(manifest_from_json(j, "m").status().code(), StatusCode::kDataLoss);
}

TEST(BabilongConvertTest, ArrayColumnsAndJsonLines) {
  const std::string want =
      "{\"input\":\"i1\",\"question\":\"q1\",\"target\":\"t1\"}\n"
      "{\"input\":\"i2\",\"question\":\"q2\",\"target\":\"t2\"}\n";
  EXPECT_EQ(*babilong_json_to_jsonl(
                R"([{"input":"i1","question":"q1","target":"t1","extra":1},
                    {"input":"i2","question":"q2","target":"t2"}])",
                "a"),
            want);
  EXPECT_EQ(*babilong_json_to_jsonl(
                R"({"input":["i1","i2"],"question":["q1","q2"],"target":["t1","t2"]})", "c"),
            want);
  EXPECT_EQ(*babilong_json_to_jsonl("{\"input\":\"i1\",\"question\":\"q1\",\"target\":\"t1\"}\n"
                                    "\n{\"input\":\"i2\",\"question\":\"q2\",\"target\":\"t2\"}",
                                    "l"),
            want);
  Result<std::string> bad = babilong_json_to_jsonl(R"([{"input":"i","question":"q"}])", "b.json");
  EXPECT_NE(bad.status().message().find("b.json: record 0: expected a string field 'target'"),
            std::string::npos);
  EXPECT_FALSE(babilong_json_to_jsonl("[]", "e").ok());
}

TEST(ZipTest, NotAZipIsDataLoss) {
  testing::TempDir dir;
  Result<std::vector<std::string>> r =
      extract_jsonl_from_zip(dir.write("data.zip", "PK? no"), dir.path());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("not a readable zip archive"), std::string::npos);
}

TEST(ModelFilesTest, ChoosesWhatHeadkvReads) {
  std::vector<HubFile> listing = {
      {"config.json", 1, "a", ""},
      {"tokenizer.json", 1, "b", ""},
      {"model-00001-of-00002.safetensors", 1, "c", "s1"},
      {"model-00002-of-00002.safetensors", 1, "d", "s2"},
      {"model.safetensors.index.json", 1, "e", ""},
      {"pytorch_model.bin", 1, "f", "s3"},
      {"original/consolidated.00.pth", 1, "g", "s4"},
      {"README.md", 1, "h", ""},
  };
  Result<std::vector<HubFile>> files = choose_model_files(listing, "org/m");
  ASSERT_TRUE(files.ok()) << files.status().to_string();
  EXPECT_EQ(files->size(), 5u);
  listing.erase(listing.begin() + 1);  // no tokenizer.json
  Result<std::vector<HubFile>> missing = choose_model_files(listing, "org/m");
  EXPECT_EQ(missing.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(missing.status().message().find("org/m has no tokenizer.json"), std::string::npos);
}

TEST(HubTest, EndpointTokenAndUrls) {
  setenv("HF_ENDPOINT", "http://mirror.example:8080//", 1);
  EXPECT_EQ(hub_endpoint(), "http://mirror.example:8080");
  unsetenv("HF_ENDPOINT");
  EXPECT_EQ(hub_endpoint(), "https://huggingface.co");
  HttpClient http(HttpOptions{});
  HubClient hub(&http, "http://h");
  EXPECT_EQ(hub.resolve_url({RepoKind::kDataset, "RMT-team/babilong", "main"}, "data/qa1/0k.json"),
            "http://h/datasets/RMT-team/babilong/resolve/main/data/qa1/0k.json");
  EXPECT_EQ(hub.resolve_url({RepoKind::kModel, "org/m", "refs/pr/1"}, "a b.json"),
            "http://h/org/m/resolve/refs%2Fpr%2F1/a%20b.json");
}

TEST(HubTest, GatedAndMissingErrorsSayWhatToDo) {
  HttpResponse r;
  r.status = 401;
  r.headers["x-error-code"] = "GatedRepo";
  unsetenv("HF_TOKEN");
  unsetenv("HUGGING_FACE_HUB_TOKEN");
  Status s = hub_http_error(r, {RepoKind::kModel, "meta-llama/Meta-Llama-3-8B-Instruct", "main"},
                            "listing files", "https://huggingface.co");
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(s.message().find("https://huggingface.co/meta-llama/Meta-Llama-3-8B-Instruct"),
            std::string::npos);
  EXPECT_NE(s.message().find("set HF_TOKEN"), std::string::npos);
  r.status = 404;
  r.headers["x-error-code"] = "RevisionNotFound";
  s = hub_http_error(r, {RepoKind::kDataset, "THUDM/LongBench", "v9"}, "listing files", "e");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("revision not found"), std::string::npos);
}

TEST(HttpTest, RefusedConnectionIsUnavailableWithOfflineAdvice) {
  HttpClient http(HttpOptions{});
  // Port 1 on the loopback: nothing listens there.
  Result<HttpResponse> r = http.get("http://127.0.0.1:1/api/x");
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("HF_ENDPOINT"), std::string::npos);
}

}  // namespace
}  // namespace hkv::fetch
