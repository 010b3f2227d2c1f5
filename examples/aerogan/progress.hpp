#pragma once
// A progress bar on a terminal; plain log lines when the output is not one.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

namespace aerogan {

class Progress {
 public:
  /// `shown` false: prints nothing (the other ranks of a data-parallel run).
  Progress(int64_t epochs, int64_t iterations, int64_t batch, bool shown = true)
      : epochs_(epochs), iterations_(iterations), batch_(batch), shown_(shown), tty_(::isatty(STDOUT_FILENO)),
        start_(std::chrono::steady_clock::now()) {}

  void start_epoch(int64_t epoch) {
    epoch_ = epoch;
    epoch_start_ = std::chrono::steady_clock::now();
  }

  void update(int64_t it, double images_per_s, double d, double g) {
    ++done_;
    if (!shown_) return;
    const double elapsed = seconds_since(start_);
    const double per_it = elapsed / double(done_);
    const int64_t left = (epochs_ - epoch_) * iterations_ - (it + 1);
    char line[256];
    const int width = 24, filled = int(double(width) * double(it + 1) / double(iterations_));
    std::snprintf(line, sizeof line,
                  "epoch %lld/%lld [%s%s] it %lld/%lld  %.1f img/s  ETA %s  D %.4f  G %.4f",
                  (long long)(epoch_ + 1), (long long)epochs_, std::string(filled, '#').c_str(),
                  std::string(width - filled, ' ').c_str(), (long long)(it + 1),
                  (long long)iterations_, images_per_s, eta(per_it * double(left)).c_str(), d, g);
    if (tty_) {
      std::cout << '\r' << line << "\033[K" << std::flush;
    } else if ((it + 1) == iterations_ || (it + 1) % std::max<int64_t>(1, iterations_ / 4) == 0) {
      std::cout << line << '\n' << std::flush;
    }
  }

  void end_epoch() {
    if (!shown_) return;
    if (tty_) std::cout << '\n';
    std::cout << "epoch " << epoch_ + 1 << " done in " << eta(seconds_since(epoch_start_)) << "\n"
              << std::flush;
  }
  void finish() {
    if (shown_ && tty_) std::cout << '\n' << std::flush;
  }

 private:
  static double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  }
  static std::string eta(double s) {
    char b[32];
    const long t = long(s + 0.5);
    if (t >= 3600)
      std::snprintf(b, sizeof b, "%ldh%02ldm", t / 3600, (t / 60) % 60);
    else
      std::snprintf(b, sizeof b, "%ldm%02lds", t / 60, t % 60);
    return b;
  }
  int64_t epochs_, iterations_, batch_, epoch_ = 0, done_ = 0;
  bool shown_, tty_;
  std::chrono::steady_clock::time_point start_, epoch_start_;
};

}  // namespace aerogan
