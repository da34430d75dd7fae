// Rates count only the bytes this run transferred.
#include "fetch/progress.h"

#include <algorithm>
#include <cstdio>
#include <unistd.h>

#include "common/strings.h"

namespace hkv::fetch {

ProgressBar::ProgressBar(std::string label, int64_t total, int64_t resumed_from)
    : label_(std::move(label)),
      total_(total),
      resumed_from_(resumed_from),
      tty_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {
  if (resumed_from_ > 0) {
    std::fprintf(stderr, "  %s: resuming at %s of %s\n", label_.c_str(),
                 format_bytes(resumed_from_).c_str(), format_bytes(total_).c_str());
  }
}

void ProgressBar::update(int64_t done) {
  auto now = std::chrono::steady_clock::now();
  if (tty_) {
    if (now - last_draw_ < std::chrono::milliseconds(200)) {
      return;
    }
    last_draw_ = now;
    draw(done, false);
    return;
  }
  const int quarter = total_ > 0 ? static_cast<int>(4 * done / total_) : 0;
  if (quarter > last_quarter_ && quarter < 4) {
    last_quarter_ = quarter;
    draw(done, false);
  }
}

void ProgressBar::finish(int64_t done) {
  draw(done, true);
}

void ProgressBar::draw(int64_t done, bool final) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = seconds > 0 ? static_cast<double>(done - resumed_from_) / seconds : 0;
  const int width = 24;
  const int filled =
      total_ > 0 ? static_cast<int>(width * std::min<int64_t>(done, total_) / total_) : 0;
  std::string line = strformat(
      "  %-40s [%s%s] %s / %s  %s/s", label_.c_str(), std::string(filled, '#').c_str(),
      std::string(width - filled, '.').c_str(), format_bytes(done).c_str(),
      total_ >= 0 ? format_bytes(total_).c_str() : "?", format_bytes((int64_t)rate).c_str());
  if (tty_) {
    std::fprintf(stderr, "\r%s\033[K%s", line.c_str(), final ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace hkv::fetch
