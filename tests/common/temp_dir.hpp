#pragma once
// A fresh folder under the system temporary folder for one test, removed at its end.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <string>

namespace gan::test {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "gan_test") {
    path_ = std::filesystem::temp_directory_path() /
            (prefix + "_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace gan::test
