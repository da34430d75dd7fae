// libcurl easy handles, one per request, behind RAII; curl_global_init once per process.
#include "fetch/http.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <curl/curl.h>
#include <filesystem>
#include <mutex>
#include <unistd.h>

#include "common/strings.h"

namespace hkv::fetch {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f != nullptr) {
      std::fclose(f);
    }
  }
};

// Per-request state shared with the callbacks.
struct Transfer {
  HttpResponse* response = nullptr;
  std::string* body = nullptr;  // GET: collect here
  std::FILE* file = nullptr;    // download: append here (once the status is known)
  CURL* curl = nullptr;
  int64_t offset = 0;  // bytes already in the file before this request
  int64_t written = 0;
  bool restarted = false;  // a 200 answered our Range: the file was truncated
  std::string part_path;
  ProgressFn progress;
  int64_t total = -1;
  std::string write_error;
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {
    t->response->headers.clear();  // a new response (after a redirect)
    return size * count;
  }
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    while (!value.empty() &&
           (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.pop_back();
    }
    t->response->headers[name] = value;
  }
  return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (t->body != nullptr) {
    t->body->append(data, n);
    return n;
  }
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200 && status != 206) {
    return n;  // an error page: not file content
  }
  if (t->written == 0 && status == 200 && t->offset > 0 && !t->restarted) {
    // The server ignored our Range: start the file over.
    t->restarted = true;
    if (std::fflush(t->file) != 0 || ::ftruncate(::fileno(t->file), 0) != 0 ||
        std::fseek(t->file, 0, SEEK_SET) != 0) {
      t->write_error =
          strformat("cannot truncate '%s': %s", t->part_path.c_str(), std::strerror(errno));
      return 0;
    }
    t->offset = 0;
  }
  if (std::fwrite(data, 1, n, t->file) != n) {
    t->write_error = strformat("cannot write '%s': %s", t->part_path.c_str(), std::strerror(errno));
    return 0;
  }
  t->written += static_cast<int64_t>(n);
  if (t->progress) {
    t->progress(t->offset + t->written, t->total);
  }
  return n;
}

int on_progress(void* user, curl_off_t dltotal, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (dltotal > 0) {
    t->total = t->offset + static_cast<int64_t>(dltotal);
  }
  return 0;
}

Result<CurlPtr> new_handle(const HttpOptions& o, const std::string& url, Transfer* t) {
  global_init();
  CurlPtr curl(curl_easy_init());
  if (!curl) {
    return errorf(StatusCode::kInternal, "curl_easy_init failed");
  }
  CURL* c = curl.get();
  t->curl = c;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o.connect_timeout_s);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, o.stall_timeout_s);
  curl_easy_setopt(c, CURLOPT_USERAGENT, o.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  // Hub file downloads must arrive byte for byte as listed: no transfer encoding.
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, nullptr);
  return curl;
}

Result<HttpResponse> perform(
    CURL* c, const HttpOptions& o, const std::string& url, const std::string& range, Transfer* t) {
  SlistPtr headers;
  auto add = [&](const std::string& h) {
    headers.reset(curl_slist_append(headers.release(), h.c_str()));
  };
  if (!o.bearer_token.empty()) {
    add("Authorization: Bearer " + o.bearer_token);
  }
  if (!range.empty()) {
    add("Range: " + range);
  }
  if (headers) {
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  }
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  CURLcode rc = curl_easy_perform(c);
  if (!t->write_error.empty()) {
    return errorf(StatusCode::kDataLoss, "%s", t->write_error.c_str());
  }
  if (rc != CURLE_OK) {
    return transport_error(url, error[0] != '\0' ? error : curl_easy_strerror(rc));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &t->response->status);
  char* effective = nullptr;
  curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &effective);
  t->response->url = effective != nullptr ? effective : url;
  return *t->response;
}

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::string url_host(const std::string& url) {
  size_t scheme = url.find("://");
  size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  size_t end = url.find('/', start);
  return url.substr(0, end);
}

Status transport_error(const std::string& url, const std::string& detail) {
  return errorf(StatusCode::kUnavailable,
                "cannot reach %s (%s). This machine looks offline or the host is blocked: "
                "fetch on a machine with internet access and copy the result (datasets: "
                "$HEADKV_CACHE/data, or pass --dest there and --data-dir here), or set "
                "HF_ENDPOINT to a reachable Hub mirror",
                url_host(url).c_str(), detail.c_str());
}

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) {}

HttpClient::~HttpClient() = default;

Result<HttpResponse> HttpClient::get(const std::string& url) {
  HttpResponse response;
  std::string body;
  Transfer t;
  t.response = &response;
  t.body = &body;
  HKV_ASSIGN_OR_RETURN(CurlPtr curl, new_handle(options_, url, &t));
  HKV_RETURN_IF_ERROR(perform(curl.get(), options_, url, "", &t).status());
  response.body = std::move(body);
  return response;
}

Result<HttpResponse> HttpClient::download(const std::string& url,
                                          const std::string& part_path,
                                          const ProgressFn& progress) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(part_path).parent_path(), ec);
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(part_path.c_str(), "ab"));
  if (!file) {
    return errorf(StatusCode::kFailedPrecondition, "cannot write '%s': %s", part_path.c_str(),
                  std::strerror(errno));
  }
  std::fseek(file.get(), 0, SEEK_END);
  HttpResponse response;
  Transfer t;
  t.response = &response;
  t.file = file.get();
  t.offset = std::ftell(file.get());
  t.part_path = part_path;
  t.progress = progress;
  HKV_ASSIGN_OR_RETURN(CurlPtr curl, new_handle(options_, url, &t));
  const std::string range = t.offset > 0 ? strformat("bytes=%lld-", (long long)t.offset) : "";
  Result<HttpResponse> r = perform(curl.get(), options_, url, range, &t);
  if (std::fflush(file.get()) != 0) {
    return errorf(StatusCode::kDataLoss, "cannot write '%s': %s", part_path.c_str(),
                  std::strerror(errno));
  }
  return r;
}

}  // namespace hkv::fetch
