// Archives and atomic writes: the checksum catches a flipped byte, a failed write (an injected
// ENOSPC, as a full disk gives) keeps the old file and leaves no temporary file and no abort,
// and the temporary files of killed processes are removed.
#include <gan/io/archive.hpp>

#include <gtest/gtest.h>

#include "common/errors.hpp"
#include "common/temp_dir.hpp"

#include <sys/wait.h>

#include <fstream>
#include <iterator>

namespace gan::test {

namespace {
std::string file_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void put_bytes(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}
torch::serialize::OutputArchive archive_of(const at::Tensor& t) {
  torch::serialize::OutputArchive a;
  a.write("w", t, true);
  return a;
}
at::Tensor read_w(const std::filesystem::path& p, io::ArchiveCheck* check = nullptr) {
  torch::serialize::InputArchive a;
  const auto c = io::load_archive(p, a);
  if (check) *check = c;
  at::Tensor w;
  a.read("w", w, true);
  return w;
}
/// A write(2) that fails with ENOSPC once `budget` bytes went out, as a full disk does.
int64_t g_budget = 0;
ssize_t full_disk_write(int fd, const void* p, size_t n) {
  if (g_budget <= 0) {
    errno = ENOSPC;
    return -1;
  }
  const ssize_t w = ::write(fd, p, std::min<size_t>(n, size_t(g_budget)));
  if (w > 0) g_budget -= w;
  return w;
}
struct FullDisk {
  explicit FullDisk(int64_t budget) {
    g_budget = budget;
    io::detail::write_hook() = full_disk_write;
  }
  ~FullDisk() { io::detail::write_hook() = ::write; }
};
/// The pid of a process that has exited (and been reaped).
long dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return long(child);
}
}  // namespace

TEST(Archive, Crc32IsZlibsKnownAnswer) {
  // The CRC-32 check value of "123456789" (the standard's test vector).
  EXPECT_EQ(io::checksum32("123456789", 9), 0xCBF43926u);
  // Continuing in two pieces gives the same.
  EXPECT_EQ(io::checksum32("6789", 4, io::checksum32("12345", 5)), 0xCBF43926u);
}

TEST(Archive, RoundTripIsVerifiedAndTorchReadsTheFileAsIs) {
  TempDir dir("gan_archive");
  const auto p = dir.path() / "a.pt";
  const auto w = torch::arange(1000, torch::kFloat);
  auto out = archive_of(w);
  io::save_archive(p, out);
  io::ArchiveCheck check{};
  EXPECT_TRUE(torch::equal(read_w(p, &check), w));
  EXPECT_EQ(check, io::ArchiveCheck::verified);
  // Torch's own reader ignores the trailer.
  torch::serialize::InputArchive plain;
  plain.load_from(p.string());
  at::Tensor back;
  plain.read("w", back, true);
  EXPECT_TRUE(torch::equal(back, w));
  // A file torch wrote itself has no checksum: read, said unchecked.
  const auto q = dir.path() / "torch.pt";
  archive_of(w).save_to(q.string());
  EXPECT_TRUE(torch::equal(read_w(q, &check), w));
  EXPECT_EQ(check, io::ArchiveCheck::unchecked);
}

TEST(Archive, AFlippedOrLostByteIsAChecksumErrorNamingTheFile) {
  TempDir dir("gan_archive");
  const auto p = dir.path() / "a.pt";
  auto out = archive_of(torch::arange(4000, torch::kFloat));
  io::save_archive(p, out);
  const std::string good = file_bytes(p);
  // A byte in the tensor data, in the middle of the file: PyTorch's reader alone loads it.
  std::string bad = good;
  bad[bad.size() / 2] = char(bad[bad.size() / 2] ^ 0x10);
  put_bytes(p, bad);
  const auto e = error_of<io::ChecksumError>([&] { read_w(p); });
  EXPECT_TRUE(contains(e, p.string())) << e;
  EXPECT_TRUE(contains(e, "damaged")) << e;
  put_bytes(p, good.substr(0, 100) + good.substr(101));  // one byte lost
  EXPECT_TRUE(contains(error_of<io::ChecksumError>([&] { read_w(p); }), "truncated")) << p;
  put_bytes(p, "not an archive at all");
  EXPECT_TRUE(contains(error_of<gan::Error>([&] { read_w(p); }), "not a readable torch archive"));
  EXPECT_TRUE(contains(error_of<gan::Error>([&] { read_w(dir.path() / "none.pt"); }), "does not exist"));
}

TEST(Archive, AFullDiskKeepsTheOldFileLeavesNoTemporaryAndSaysWhy) {
  TempDir dir("gan_archive");
  const auto p = dir.path() / "ckpt.pt";
  auto first = archive_of(torch::zeros({10}));
  io::save_archive(p, first);
  const std::string before = file_bytes(p);
  auto big = archive_of(torch::ones({100000}));
  for (const int64_t budget : {int64_t(0), int64_t(100), int64_t(200000)}) {
    std::string e;
    {
      FullDisk full(budget);  // the torch zip writer meets ENOSPC mid-file: no std::terminate
      e = error_of<std::runtime_error>([&] { io::save_archive(p, big); });
    }
    EXPECT_TRUE(contains(e, "cannot write " + p.string() + ": No space left on device")) << budget << ": " << e;
    EXPECT_EQ(file_bytes(p), before) << budget;
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()), 1)
        << "a temporary file is left, budget " << budget;
  }
  {
    FullDisk full(3);
    const auto e = error_of<std::runtime_error>([&] { io::write_file_atomically(dir.path() / "t.csv", "a,b\n1,2\n"); });
    EXPECT_TRUE(contains(e, "t.csv: No space left on device")) << e;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "t.csv"));
  // Space again: the same write goes through.
  io::save_archive(p, big);
  EXPECT_TRUE(torch::equal(read_w(p), torch::ones({100000})));
}

TEST(Archive, StaleTemporariesOfDeadProcessesAreRemoved) {
  TempDir dir("gan_archive");
  const long dead = dead_pid();
  const auto& d = dir.path();
  std::filesystem::create_directories(d / "samples");
  const auto stale_file = d / ("epoch_2.pt" + io::temporary_suffix(dead));
  const auto stale_png = d / "samples" / ("epoch_1.png" + io::temporary_suffix(dead));
  const auto stale_dir = d / ("generated" + io::temporary_suffix(dead));
  const auto live = d / ("epoch_3.pt" + io::temporary_suffix(long(::getppid())));  // a live process's
  const auto mine = d / ("epoch_4.pt" + io::temporary_suffix());
  const auto not_ours = d / "notes.tmp.txt";
  for (const auto& f : {stale_file, stale_png, live, mine, not_ours}) put_bytes(f, "x");
  std::filesystem::create_directories(stale_dir / "images");
  put_bytes(stale_dir / "images" / "a.png", "x");
  // With a stem: only that name, only in the folder itself.
  auto removed = io::remove_stale_temporaries(d, "generated");
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0], stale_dir);
  EXPECT_TRUE(std::filesystem::exists(stale_file));
  removed = io::remove_stale_temporaries(d);
  EXPECT_EQ(removed.size(), 2u);
  for (const auto& f : {stale_file, stale_png, stale_dir}) EXPECT_FALSE(std::filesystem::exists(f)) << f;
  for (const auto& f : {live, mine, not_ours}) EXPECT_TRUE(std::filesystem::exists(f)) << f;
  EXPECT_TRUE(io::remove_stale_temporaries(d / "missing").empty());
}

TEST(Archive, ReplaceFolderSwapsTheWholeFolder) {
  TempDir dir("gan_archive");
  const auto target = dir.path() / "generated", fresh = dir.path() / "generated.new";
  std::filesystem::create_directories(target);
  for (int i = 0; i < 5; ++i) put_bytes(target / ("old" + std::to_string(i)), "x");
  std::filesystem::create_directories(fresh);
  put_bytes(fresh / "new0", "y");
  io::replace_folder(target, fresh);
  EXPECT_FALSE(std::filesystem::exists(fresh));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(target), std::filesystem::directory_iterator()), 1);
  EXPECT_TRUE(std::filesystem::exists(target / "new0"));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()), 1);
}

}  // namespace gan::test
