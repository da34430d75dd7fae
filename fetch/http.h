// A small HTTP(S) client over libcurl for the Hub: GETs into memory (API listings) and resumable
// downloads into a file (Range requests). TLS, redirects and proxies ($https_proxy) are libcurl's.
// An Authorization header is sent only to the first host: libcurl drops custom auth headers when a
// redirect leaves it (the Hub redirects file downloads to a CDN).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "common/status.h"

namespace hkv::fetch {

struct HttpOptions {
  std::string bearer_token;  // "" = no Authorization header
  long connect_timeout_s = 20;
  long stall_timeout_s = 60;  // abort when under 1 byte/s for this long
  std::string user_agent = "headkv";
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names, last value wins
  std::string body;
  std::string url;  // after redirects

  std::string header(const std::string& name) const;
};

// Called with (bytes of the file written so far, total bytes or -1).
using ProgressFn = std::function<void(int64_t done, int64_t total)>;

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // GET into memory; any HTTP status is a response (the caller maps 4xx/5xx). Transport failures
  // (DNS, refused, TLS, timeout) are Unavailable naming the host and what to do offline.
  Result<HttpResponse> get(const std::string& url);

  // Downloads `url` into `part_path`, appending from its current size with a Range request (a
  // server that ignores Range restarts the file). Returns the response of the final request with
  // an empty body; HTTP errors are returned as such, not as a Status.
  Result<HttpResponse> download(const std::string& url,
                                const std::string& part_path,
                                const ProgressFn& progress);

 private:
  HttpOptions options_;
};

// Unavailable with the offline advice, for transport failures.
Status transport_error(const std::string& url, const std::string& detail);
// "https://host:port" of a URL (for messages).
std::string url_host(const std::string& url);

}  // namespace hkv::fetch
