#pragma once
// What a call throws, for tests of error messages.
#include <exception>
#include <string>

namespace gan::test {

/// The what() of the `Exception` that `f()` throws, or "(no exception)" when it returns. An
/// exception of another type propagates, so the test fails on it.
template <class Exception = std::exception, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Exception& e) {
    return e.what();
  }
  return "(no exception)";
}

/// Whether `s` contains `part`.
inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace gan::test
