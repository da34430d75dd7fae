// A unique temporary directory (common/temp_dir.h) removed when the test ends; a failure to make
// or write it fails the test.
#pragma once

#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "common/temp_dir.h"

namespace hkv::testing {

class TempDir {
 public:
  TempDir() {
    Result<hkv::TempDir> dir = hkv::TempDir::create("hkv-test");
    EXPECT_TRUE(dir.ok()) << dir.status().to_string();
    if (dir.ok()) {
      dir_ = std::move(dir).value();
    }
  }

  const std::string& path() const { return dir_.path(); }

  // Writes `contents` to path()/name and returns the full path.
  std::string write(const std::string& name, std::string_view contents) const {
    Result<std::string> full = dir_.write(name, contents);
    EXPECT_TRUE(full.ok()) << full.status().to_string();
    return full.ok() ? *full : path() + "/" + name;
  }

 private:
  hkv::TempDir dir_;
};

}  // namespace hkv::testing
