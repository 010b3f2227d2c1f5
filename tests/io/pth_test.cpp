// Tests of gan::io::read_state_dict (no libtorch): every tensor of the fixtures made by
// tests/fixtures/make_pth_fixtures.py equals torch's own dump bit for bit, in both formats.
#include <gan/io/pth_reader.hpp>

#include <gtest/gtest.h>

#include "common/errors.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>


namespace {

namespace fs = std::filesystem;

const fs::path kDir = fs::path(GAN_TEST_FIXTURES) / "pth";

struct Expected {
  std::string name, dtype;
  std::vector<int64_t> shape;
  std::vector<char> bytes;
};

/// Reads `<stem>.index.txt` and `<stem>.raw` (torch's contiguous dump of every tensor).
std::vector<Expected> read_dump(const std::string& stem) {
  std::ifstream idx(kDir / (stem + ".index.txt"));
  std::ifstream raw(kDir / (stem + ".raw"), std::ios::binary);
  EXPECT_TRUE(idx && raw) << "missing dump " << stem;
  const std::string all((std::istreambuf_iterator<char>(raw)), std::istreambuf_iterator<char>());
  std::vector<Expected> out;
  std::string line;
  while (std::getline(idx, line)) {
    std::istringstream ls(line);
    Expected e;
    int ndim = 0;
    ls >> e.name >> e.dtype >> ndim;
    e.shape.resize(ndim);
    for (auto& s : e.shape) ls >> s;
    std::size_t offset = 0, n = 0;
    ls >> offset >> n;
    e.bytes.assign(all.begin() + offset, all.begin() + offset + n);
    out.push_back(std::move(e));
  }
  return out;
}

void expect_matches_dump(const gan::io::StateDict& sd, const std::vector<Expected>& dump) {
  ASSERT_EQ(sd.size(), dump.size());
  for (std::size_t k = 0; k < dump.size(); ++k) {
    const auto& [name, t] = sd[k];
    SCOPED_TRACE(dump[k].name);
    EXPECT_EQ(name, dump[k].name);  // file order kept
    EXPECT_EQ(t.dtype, dump[k].dtype);
    EXPECT_EQ(t.shape, dump[k].shape);
    EXPECT_EQ(gan::io::contiguous_bytes(t), dump[k].bytes);
  }
}

/// What reading `p` as a state dict throws.
std::string read_error(const fs::path& p) {
  return gan::test::error_of<std::runtime_error>([&] { gan::io::read_state_dict(p); });
}

/// A temporary file holding `bytes`, removed at the end of the test.
struct TempFile {
  fs::path path;
  TempFile(const std::string& name, const std::string& bytes)
      : path(fs::temp_directory_path() / (name + "_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()))) {
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  ~TempFile() { fs::remove(path); }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

TEST(PthReader, ZipMatchesTorchBitForBit) {
  expect_matches_dump(gan::io::read_state_dict(kDir / "small_zip.pth"), read_dump("small"));
}

TEST(PthReader, LegacyMatchesTorchBitForBit) {
  expect_matches_dump(gan::io::read_state_dict(kDir / "small_legacy.pth"), read_dump("small"));
}

TEST(PthReader, Zip64MatchesTorchBitForBit) {
  expect_matches_dump(gan::io::read_state_dict(kDir / "small_zip64.pth"), read_dump("small"));
}

TEST(PthReader, NestedCheckpointIsFlattenedWithDottedNames) {
  // {"epoch": 3, "lr": 0.5, "name": "run", "model": {"a": Parameter, "b": {"c": int64}}}
  expect_matches_dump(gan::io::read_state_dict(kDir / "nested_zip.pth"), read_dump("nested"));
}

TEST(PthReader, KeepsStridesOffsetsAndSharedStorage) {
  const auto m = gan::io::read_state_dict_map(kDir / "small_zip.pth");
  const auto& tr = m.at("extra.transposed");
  EXPECT_EQ(tr.shape, (std::vector<int64_t>{3, 5}));
  EXPECT_EQ(tr.stride, (std::vector<int64_t>{1, 3}));
  const auto& view = m.at("extra.view");
  EXPECT_EQ(view.offset, 8);
  EXPECT_EQ(view.stride, (std::vector<int64_t>{6, 1}));
  EXPECT_EQ(view.storage, m.at("extra.base").storage);  // one storage, as in torch
  EXPECT_TRUE(m.at("bn.num_batches_tracked").shape.empty());
  EXPECT_EQ(m.at("bn.num_batches_tracked").dtype, "int64");
  EXPECT_EQ(m.at("extra.empty").numel(), 0);
}

TEST(PthReader, BothFormatsAgree) {
  const auto a = gan::io::read_state_dict(kDir / "small_zip.pth");
  const auto b = gan::io::read_state_dict(kDir / "small_legacy.pth");
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t k = 0; k < a.size(); ++k)
    EXPECT_EQ(gan::io::contiguous_bytes(a[k].second), gan::io::contiguous_bytes(b[k].second)) << a[k].first;
}

TEST(PthReader, MissingFileNamesTheFile) {
  const std::string msg = read_error(kDir / "no_such_file.pth");
  EXPECT_NE(msg.find("no_such_file.pth"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not found"), std::string::npos) << msg;
}

TEST(PthReader, NonPyTorchFileIsRejected) {
  TempFile f("pth_not_torch.pth", "hello, this is not a tensor file\n");
  const std::string msg = read_error(f.path);
  EXPECT_NE(msg.find(f.path.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("not a PyTorch file"), std::string::npos) << msg;
}

TEST(PthReader, ZipWithoutDataPklIsNotAPyTorchFile) {
  // A valid zip archive without the pickle: the fixture with "data.pkl" renamed "data.pkX".
  std::string bytes = slurp(kDir / "small_zip.pth");
  for (std::size_t p = 0; (p = bytes.find("data.pkl", p)) != std::string::npos; ++p) bytes[p + 7] = 'X';
  TempFile f("pth_zip_no_pkl.pth", bytes);
  const std::string msg = read_error(f.path);
  EXPECT_NE(msg.find(f.path.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("not a PyTorch file"), std::string::npos) << msg;
}

TEST(PthReader, TruncatedFilesAreReported) {
  for (const char* name : {"small_zip.pth", "small_legacy.pth", "small_zip64.pth"}) {
    const std::string bytes = slurp(kDir / name);
    for (std::size_t keep : {bytes.size() / 2, bytes.size() - 10, std::size_t(40)}) {
      TempFile f(std::string("pth_truncated_") + name, bytes.substr(0, keep));
      const std::string msg = read_error(f.path);
      SCOPED_TRACE(std::string(name) + " cut to " + std::to_string(keep));
      EXPECT_NE(msg.find(f.path.string()), std::string::npos) << msg;
      EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
    }
  }
}

TEST(PthReader, UnsupportedOpcodeIsNamedInHex) {
  // Legacy file whose first opcode after PROTO is replaced by 'I' (INT, text protocol 0).
  std::string bytes = slurp(kDir / "small_legacy.pth");
  ASSERT_EQ(static_cast<unsigned char>(bytes[2]), 0x8a);
  bytes[2] = 'I';
  TempFile f("pth_bad_opcode.pth", bytes);
  const std::string msg = read_error(f.path);
  EXPECT_NE(msg.find(f.path.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("opcode 0x49"), std::string::npos) << msg;
}

TEST(PthReader, UnsupportedStorageTypeIsNamed) {
  // "torch FloatStorage" -> "torch QuantStorage" (same length) in the legacy pickle.
  std::string bytes = slurp(kDir / "small_legacy.pth");
  const std::size_t p = bytes.find("FloatStorage");
  ASSERT_NE(p, std::string::npos);
  bytes.replace(p, 5, "Quant");
  TempFile f("pth_bad_storage.pth", bytes);
  const std::string msg = read_error(f.path);
  EXPECT_NE(msg.find("unsupported storage type torch.QuantStorage"), std::string::npos) << msg;
}

TEST(PthReader, ContiguousBytesChecksBounds) {
  gan::io::RawTensor t;
  t.dtype = "float32";
  t.shape = {2, 3};
  t.stride = {3, 1};
  t.storage = std::make_shared<std::vector<char>>(5 * 4);
  EXPECT_THROW(gan::io::contiguous_bytes(t), std::runtime_error);
  t.storage->resize(6 * 4);
  EXPECT_EQ(gan::io::contiguous_bytes(t).size(), 24u);
}

// Real weight files, when a user has them: GAN_TEST_PTH=/path/to/vgg16-397923af.pth.
TEST(PthReader, RealWeightFileWhenGiven) {
  const char* p = std::getenv("GAN_TEST_PTH");
  if (!p) GTEST_SKIP() << "set GAN_TEST_PTH to a torchvision or pytorch-fid .pth file";
  const auto sd = gan::io::read_state_dict(p);
  EXPECT_FALSE(sd.empty());
  for (const auto& [name, t] : sd) EXPECT_EQ(gan::io::contiguous_bytes(t).size(), t.numel() * gan::io::dtype_size(t.dtype)) << name;
}
