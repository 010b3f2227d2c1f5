#pragma once
/// @file
/// The one error type for bad input: it names the file and, where there is one, the line.
/// Bad input (a missing or corrupt image, a malformed CSV row, an out-of-range label, a corrupt
/// weights or features file) throws `gan::Error`; a wrong value passed in code throws torch's
/// `c10::ValueError` or `std::invalid_argument`.

#include <cstdint>
#include <stdexcept>
#include <string>

namespace gan {

/// Bad input from a user's files. `what()` reads "FILE:LINE: MESSAGE" (or "FILE: MESSAGE").
class Error : public std::runtime_error {
 public:
  Error(std::string file, int64_t line, const std::string& message)
      : std::runtime_error(file + (line > 0 ? ":" + std::to_string(line) : std::string()) + ": " + message),
        file_(std::move(file)),
        line_(line) {}
  const std::string& file() const noexcept { return file_; }
  /// 1-based line of the file, or 0 when the error is not about a line.
  int64_t line() const noexcept { return line_; }

 private:
  std::string file_;
  int64_t line_;
};

namespace data {
/// The name this error had first (the data code's); the same type.
using DataError = gan::Error;
}  // namespace data

}  // namespace gan
