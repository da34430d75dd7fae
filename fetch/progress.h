// A one-line progress bar on stderr for downloads: redrawn in place on a terminal, a line every
// 25% otherwise (logs, CI).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace hkv::fetch {

class ProgressBar {
 public:
  // `label`: what is downloaded; `resumed_from`: bytes already on disk when this run started.
  ProgressBar(std::string label, int64_t total, int64_t resumed_from);
  void update(int64_t done);
  // Ends the line (prints the final state).
  void finish(int64_t done);

 private:
  void draw(int64_t done, bool final);

  std::string label_;
  int64_t total_;
  int64_t resumed_from_;
  bool tty_;
  int last_quarter_ = -1;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace hkv::fetch
