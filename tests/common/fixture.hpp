#pragma once
// Reads the text fixtures that tests/fixtures/make_fixtures.py writes.
#include <ATen/ATen.h>

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace gan::test {

/// The fixtures folder (set by CMake).
inline std::string fixture_path(const std::string& name) {
  return std::string(GAN_TEST_FIXTURES) + "/" + name;
}

/// name -> float64 tensor.
inline std::map<std::string, at::Tensor> load_fixture(const std::string& name) {
  std::ifstream in(fixture_path(name));
  if (!in) throw std::runtime_error("cannot open fixture " + fixture_path(name));
  std::map<std::string, at::Tensor> out;
  std::string header, values;
  while (std::getline(in, header) && std::getline(in, values)) {
    std::istringstream h(header), v(values);
    std::string key;
    int64_t ndim = 0;
    h >> key >> ndim;
    std::vector<int64_t> shape(ndim);
    int64_t numel = 1;
    for (auto& s : shape) {
      h >> s;
      numel *= s;
    }
    std::vector<double> data(numel);
    for (auto& d : data) v >> d;
    if (!v) throw std::runtime_error("fixture " + name + ": short tensor " + key);
    out[key] = at::tensor(data, at::kDouble).view(shape);
  }
  return out;
}

}  // namespace gan::test
