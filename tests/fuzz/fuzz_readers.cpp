// Fuzzing the readers of user files: a seeded mutation loop (libFuzzer's idea without its
// compiler: the project builds with g++) over the CSV reader, the INI reader, the image decoder
// path, the .pth reader and the checkpoint loader. Every input must end in a value or in an
// exception; a crash or a hang writes the input to ARTIFACTS/crash-TARGET or timeout-TARGET
// and exits non-zero, and the peak RSS must stay under the bound.
//
//   fuzz_readers --corpus tests/fuzz/corpus [--target csv] [--runs 10000 | --seconds 60]
//                [--seed 1] [--artifacts DIR] [--max-rss-mb 1024]
//
// Prints one line per target: "fuzz TARGET: N inputs, C crashes, H hangs, E errors, max RSS M MB, S s".
#include <gan/data/csv.hpp>
#include <gan/image/read.hpp>
#include <gan/io/archive.hpp>
#include <gan/io/ini.hpp>
#include <gan/io/pth_reader.hpp>
#include <gan/presets.hpp>

#include <opencv2/imgcodecs.hpp>

#include <ATen/CPUGeneratorImpl.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

// --- the input under test, for the signal handlers ----------------------------------------
std::string g_input;
std::string g_crash_file, g_timeout_file;
int g_stderr = 2;  // the real stderr while the decoders' own warnings go to /dev/null
long g_count = 0;  // inputs run before the current one

void say_count() {  // async-signal-safe: "after N inputs\n"
  char buf[32];
  int i = sizeof buf;
  buf[--i] = '\n';
  long v = g_count;
  do buf[--i] = char('0' + v % 10), v /= 10;
  while (v > 0 && i > 8);
  const char pre[] = "fuzz: after ";
  (void)!::write(g_stderr, pre, sizeof pre - 1);
  (void)!::write(g_stderr, buf + i, sizeof buf - size_t(i));
}

void write_all(const std::string& file, const std::string& bytes) {  // async-signal-safe
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  for (size_t done = 0; done < bytes.size();) {
    const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w <= 0) break;
    done += size_t(w);
  }
  ::close(fd);
}
void on_crash(int sig) {
  write_all(g_crash_file, g_input);
  const char msg[] = "fuzz: CRASH (signal); the input is in the crash file\n";
  (void)!::write(g_stderr, msg, sizeof msg - 1);
  say_count();
  ::_exit(128 + sig);
}
void on_alarm(int) {
  write_all(g_timeout_file, g_input);
  const char msg[] = "fuzz: HANG (an input ran past its time limit); the input is in the timeout file\n";
  (void)!::write(g_stderr, msg, sizeof msg - 1);
  say_count();
  ::_exit(3);
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void put_bytes(const fs::path& p, const std::string& b) { std::ofstream(p, std::ios::binary | std::ios::trunc) << b; }

double max_rss_mb() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;
}

// --- mutations ------------------------------------------------------------------------------
/// One input from the seeds: 1-4 mutations of a seed (bit flips, interesting bytes and
/// integers, inserted, deleted, duplicated and spliced ranges, truncation).
std::string mutate(const std::vector<std::string>& seeds, std::mt19937_64& rng) {
  auto pick = [&](size_t n) { return n == 0 ? size_t(0) : size_t(rng() % n); };
  std::string s = seeds[pick(seeds.size())];
  const int rounds = 1 + int(rng() % 4);
  for (int r = 0; r < rounds; ++r) {
    const size_t n = s.size();
    switch (rng() % 9) {
      case 0:  // flip a bit
        if (n) s[pick(n)] ^= char(1 << (rng() % 8));
        break;
      case 1: {  // an interesting byte
        static const unsigned char v[] = {0, 1, 0x7F, 0x80, 0xFF, ',', '\n', '"', '=', '[', ']', '#'};
        if (n) s[pick(n)] = char(v[pick(sizeof v)]);
        break;
      }
      case 2: {  // an interesting 4- or 8-byte integer
        static const uint64_t v[] = {0, 1, 0xFFFFFFFFull, 0x7FFFFFFFull, 0x80000000ull, 0xFFFFFFFFFFFFFFFFull, 1ull << 40};
        const size_t w = rng() % 2 ? 4 : 8;
        if (n >= w) {
          const uint64_t x = v[pick(sizeof v / sizeof v[0])];
          std::memcpy(s.data() + pick(n - w + 1), &x, w);
        }
        break;
      }
      case 3: {  // insert random bytes
        std::string ins(1 + pick(16), '\0');
        for (auto& c : ins) c = char(rng());
        s.insert(pick(n + 1), ins);
        break;
      }
      case 4:  // delete a range
        if (n) {
          const size_t at = pick(n);
          s.erase(at, 1 + pick(std::min<size_t>(64, n - at)));
        }
        break;
      case 5:  // duplicate a range
        if (n) {
          const size_t at = pick(n), len = 1 + pick(std::min<size_t>(64, n - at));
          s.insert(pick(n + 1), s.substr(at, len));
        }
        break;
      case 6:  // truncate
        s.resize(pick(n + 1));
        break;
      case 7: {  // splice with another seed
        const auto& o = seeds[pick(seeds.size())];
        s = s.substr(0, pick(n + 1)) + o.substr(pick(o.size() + 1));
        break;
      }
      default:  // overwrite a range with random bytes
        if (n) {
          const size_t at = pick(n), len = 1 + pick(std::min<size_t>(8, n - at));
          for (size_t i = 0; i < len; ++i) s[at + i] = char(rng());
        }
    }
  }
  return s;
}

// --- the targets --------------------------------------------------------------------------
struct Target {
  std::string name;
  bool by_default = true;  // run when no --target is given
  std::vector<std::string> seeds;
  std::function<void(const std::string&)> run;  // throws on bad input; anything else is a bug
};

std::vector<std::string> seeds_in(const fs::path& dir) {
  std::vector<fs::path> files;
  if (fs::is_directory(dir))
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<std::string> out;
  for (const auto& f : files) out.push_back(read_bytes(f));
  return out;
}

/// The trainer whose checkpoints the checkpoint target loads: small, so that one load is quick.
using TinyGan = gan::presets::ConditionalGan;
gan::NetworkSpec tiny_spec() { return gan::NetworkSpec().image_size(8).num_classes(2).z_dim(4).g_width(4).d_width(4); }

std::vector<Target> make_targets(const fs::path& corpus, const fs::path& work) {
  std::vector<Target> t;
  const fs::path file = work / "input";
  t.push_back({"csv", true, seeds_in(corpus / "csv"), [file](const std::string& in) {
                 put_bytes(file, in);
                 std::vector<gan::Error> bad;
                 gan::data::read_labels_csv(file, {}, &bad);
                 gan::data::read_labels_csv(file, {"filename", "label"});
               }});
  t.push_back({"ini", true, seeds_in(corpus / "ini"), [](const std::string& in) { gan::io::parse_ini(in, "fuzz.ini"); }});
  {
    // Seeds: the committed PNGs, and the first one as JPEG and BMP, made here.
    auto seeds = seeds_in(corpus / "image");
    if (!seeds.empty()) {
      const std::vector<uchar> png(seeds[0].begin(), seeds[0].end());
      const cv::Mat m = cv::imdecode(png, cv::IMREAD_UNCHANGED);
      for (const char* ext : {".jpg", ".bmp"}) {
        std::vector<uchar> buf;
        if (!m.empty() && cv::imencode(ext, m, buf)) seeds.emplace_back(buf.begin(), buf.end());
      }
    }
    const fs::path image = work / "input.png";
    t.push_back({"image", true, seeds, [image](const std::string& in) {
                   put_bytes(image, in);
                   gan::image::read_image_rgb(image, 32);
                 }});
  }
  t.push_back({"pth", true, seeds_in(corpus / "pth"), [file](const std::string& in) {
                 put_bytes(file, in);
                 gan::io::read_state_dict(file);
               }});
  {
    // Seeds: two checkpoints of a small trainer, made here (the format follows the code).
    // "checkpoint" loads the mutated file as it is: what a damaged file does. "checkpoint-
    // resealed" (only when named) gives every mutation a valid checksum trailer, a crafted
    // file, so that torch's own zip, pickle and TorchScript readers see it: libtorch 1.13's
    // importer crashes on some of those (docs/reliability.md).
    std::vector<std::string> seeds;
    TinyGan g(tiny_spec(), gan::TrainerOptions().seed(1));
    for (int k = 0; k < 2; ++k) {
      g.save(work / "seed.pt");
      seeds.push_back(read_bytes(work / "seed.pt"));
      auto gen = at::make_generator<at::CPUGeneratorImpl>(k);
      g.step(at::rand({4, 3, 8, 8}, gen) * 2 - 1, at::tensor({0, 1, 0, 1}));
    }
    auto trainer = std::make_shared<TinyGan>(tiny_spec(), gan::TrainerOptions().seed(2));
    for (const bool reseal : {false, true})
      t.push_back({reseal ? "checkpoint-resealed" : "checkpoint", !reseal, seeds, [file, trainer, reseal](const std::string& in) {
                     std::string bytes = in;
                     if (reseal && bytes.size() > gan::io::detail::kArchiveTrailerSize) {
                       const std::string zip = bytes.substr(0, bytes.size() - gan::io::detail::kArchiveTrailerSize);
                       const auto trailer = gan::io::detail::archive_trailer(zip.size(), gan::io::checksum32(zip.data(), zip.size()));
                       bytes = zip + std::string(trailer.data(), trailer.size());
                     }
                     put_bytes(file, bytes);
                     trainer->load(file);
                   }});
  }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path corpus = "tests/fuzz/corpus", artifacts = ".";
  std::string only;
  int64_t runs = 10000;
  double seconds = 0, max_rss = 1024;
  uint64_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "fuzz_readers: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--corpus") corpus = value();
    else if (a == "--target") only = value();
    else if (a == "--runs") runs = std::stoll(value());
    else if (a == "--seconds") seconds = std::stod(value());
    else if (a == "--seed") seed = std::stoull(value());
    else if (a == "--artifacts") artifacts = value();
    else if (a == "--max-rss-mb") max_rss = std::stod(value());
    else {
      std::cerr << "usage: fuzz_readers --corpus DIR [--target csv|ini|image|pth|checkpoint|checkpoint-resealed] [--runs N | --seconds S] [--seed K] [--artifacts DIR] [--max-rss-mb M]\n";
      return 2;
    }
  }
  const fs::path work = fs::temp_directory_path() / ("gan_fuzz_" + std::to_string(::getpid()));
  fs::create_directories(work);
  fs::create_directories(artifacts);
  g_stderr = ::dup(2);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::signal(sig, on_crash);
  ::signal(SIGALRM, on_alarm);
  at::set_num_threads(1);

  int status = 0;
  bool any = false;
  for (auto& target : make_targets(corpus, work)) {
    if (only.empty() ? !target.by_default : target.name != only) continue;
    any = true;
    if (target.seeds.empty()) {
      std::cerr << "fuzz " << target.name << ": no seeds in " << (corpus / target.name).string() << "\n";
      status = 2;
      continue;
    }
    g_crash_file = (artifacts / ("crash-" + target.name)).string();
    g_timeout_file = (artifacts / ("timeout-" + target.name)).string();
    std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + std::hash<std::string>{}(target.name));
    const auto t0 = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
    int64_t n = 0, errors = 0;
    const int quiet = ::open("/dev/null", O_WRONLY);
    ::fflush(stderr);
    ::dup2(quiet, 2);
    for (; seconds > 0 ? elapsed() < seconds : n < runs; ++n) {
      // The seeds themselves first, then mutations.
      g_input = n < int64_t(target.seeds.size()) ? target.seeds[size_t(n)] : mutate(target.seeds, rng);
      g_count = long(n);
      ::alarm(10);
      try {
        target.run(g_input);
      } catch (const std::exception&) {
        ++errors;  // a clean error: what bad input should give
      }
      ::alarm(0);
    }
    ::fflush(stderr);
    ::dup2(g_stderr, 2);
    ::close(quiet);
    const double rss = max_rss_mb();
    std::cout << "fuzz " << target.name << ": " << n << " inputs, 0 crashes, 0 hangs, " << errors << " errors, max RSS "
              << int64_t(rss) << " MB, " << std::fixed << std::setprecision(1) << elapsed() << " s\n"
              << std::defaultfloat << std::flush;
    if (rss > max_rss) {
      std::cerr << "fuzz " << target.name << ": the peak RSS " << int64_t(rss) << " MB is above " << max_rss << " MB\n";
      status = 1;
    }
  }
  fs::remove_all(work);
  if (!any) {
    std::cerr << "fuzz_readers: no target named '" << only << "'\n";
    return 2;
  }
  return status;
}
