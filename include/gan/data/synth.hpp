#pragma once
/// @file
/// The built-in dataset: procedurally drawn aerial tiles of suburban rooftops, some with solar
/// panels, from two regions that differ the way two real regions do (palette, roof styles, sun,
/// ground sampling distance). Needs only OpenCV (core, imgproc, imgcodecs), never libtorch.
///
/// A tile is a top-down view, north up, of about 29 m of ground (source region; ~0.3 m a pixel
/// at 96 px; `size` sets the resolution, not the area): lawn, maybe a street with sidewalk,
/// a driveway, cars, a pool, trees and one main house (rectangle or L, gable / hip / flat roof),
/// often with neighbours partly in frame. Label 1 puts 1 to 3 arrays of solar panels on the main
/// roof. Everything is drawn 3x (2x above 128 px) larger and reduced, then blurred slightly and
/// given sensor noise.
///
/// Every tile is a pure function of (seed, region, index, label), drawn with a PRNG of ours
/// (xoshiro256**, own uniform and normal), so it does not depend on the order tiles are made
/// nor on the standard library. The tiles of label 0 and 1 at one index show the same scene:
/// they differ only where the panels are.
///
/// ```cpp
/// gan::data::SynthOptions o{.count = 2000, .size = 64, .positive_ratio = 0.1,
///                           .region = gan::data::Region::target, .seed = 7};
/// auto n_pos = gan::data::write_synth_dataset("data/target", o);  // images/ + labels.csv
/// auto tile = gan::data::synth_tile(o, 0, 1);                      // one BGR cv::Mat
/// ```

#include <gan/data/random.hpp>
#include <gan/io/atomic_file.hpp>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace gan::data {

/// Which of the two simulated regions a tile comes from.
/// `source`: green lawns, mostly red / brown gable roofs, high sun from the south-east (shadows to
/// the north-west), 0.3 m a pixel at 96 px. `target`: dry yellow-brown ground, more grey / white
/// hip and flat roofs, lower afternoon sun (longer shadows to the north-east), a ground sampling
/// distance 1.22x coarser (buildings ~18% smaller), a slight haze and a warmer colour balance.
enum class Region { source, target };

/// Options of the synthetic dataset; designated initialisers read well:
/// `SynthOptions{.count = 500, .size = 64, .seed = 3}`.
struct SynthOptions {
  int64_t count = 1000;         ///< number of tiles (>= 0)
  int64_t size = 96;            ///< tile side in pixels (>= 32)
  double positive_ratio = 0.2;  ///< share of tiles with solar panels, in [0, 1]
  Region region = Region::source;
  uint64_t seed = 0;
};

/// One tile: `image` is CV_8UC3, BGR (OpenCV's order), size x size; `label` 1 = solar panels.
struct SynthTile {
  cv::Mat image;
  int label = 0;
};

namespace detail {

using P = cv::Point2f;
using Vec3f = cv::Vec3f;

/// SplitMix64's finaliser: a bijective 64-bit mix.
inline uint64_t mix64(uint64_t z) { return splitmix64_finalize(z + 0x9E3779B97F4A7C15ull); }

/// xoshiro256** with our own uniform and normal variates: the same numbers with every compiler
/// and standard library (std:: distributions are implementation-defined).
class SynthRng {
 public:
  explicit SynthRng(uint64_t seed) {
    for (auto& s : s_) s = seed = mix64(seed);
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  /// Uniform in [0, 1), 53 bits.
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
  float uniform(double lo, double hi) { return float(lo + (hi - lo) * uniform()); }
  /// Uniform integer in [lo, hi].
  int integer(int lo, int hi) {
    if (hi <= lo) return lo;
    return std::min(hi, lo + int(uniform() * double(hi - lo + 1)));
  }
  bool chance(double p) { return uniform() < p; }
  /// Standard normal (Box-Muller, both values used).
  float normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - uniform(), u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1)), t = 6.283185307179586 * u2;
    spare_ = float(r * std::sin(t));
    has_spare_ = true;
    return float(r * std::cos(t));
  }
  /// An index drawn with probability proportional to `w`.
  template <std::size_t N>
  int pick(const std::array<double, N>& w) {
    double total = 0;
    for (double x : w) total += x;
    double r = uniform() * total;
    for (std::size_t i = 0; i < N; ++i) {
      if (r < w[i]) return int(i);
      r -= w[i];
    }
    return int(N - 1);
  }
  /// A unit vector of uniform direction.
  P direction() {
    const float t = uniform(0, 6.283185307179586);
    return {std::cos(t), std::sin(t)};
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<uint64_t, 4> s_{};
  float spare_ = 0;
  bool has_spare_ = false;
};

/// A colour from 0-255 RGB as an OpenCV BGR float triple in [0, 1].
inline Vec3f rgb(float r, float g, float b) { return {b / 255.f, g / 255.f, r / 255.f}; }
inline Vec3f lerp(const Vec3f& a, const Vec3f& b, float t) { return a * (1 - t) + b * t; }
inline float smoothstep(float a, float b, float x) {
  const float t = std::clamp((x - a) / (b - a), 0.f, 1.f);
  return t * t * (3 - 2 * t);
}
/// `c` with its brightness and each channel varied a little.
inline Vec3f vary(SynthRng& r, const Vec3f& c, float amount) {
  const float k = 1 + amount * r.normal();
  Vec3f out;
  for (int i = 0; i < 3; ++i) out[i] = c[i] * k * (1 + 0.3f * amount * r.normal());
  return out;
}
inline P perp(P v) { return {-v.y, v.x}; }

/// What makes a region a region.
struct RegionStyle {
  float extent_m;                   // ground width of a tile
  Vec3f lawn, dry;                  // healthy and dry grass
  float dry_lo, dry_hi;             // where the low-frequency field turns lawn into dry ground
  float mow_p;                      // mowing stripes
  std::array<double, 7> roof_w;     // weights of the roof colours below
  std::array<double, 3> style_w;    // gable, hip, flat
  float shadow_deg, shadow_jitter;  // shadow direction in image coordinates (0 = +x, 90 = +y)
  float elev_lo, elev_hi;           // sun elevation, degrees
  int trees_lo, trees_hi;
  Vec3f tree;
  float pool_p, road_p;
  Vec3f asphalt, concrete;
  float haze_lo, haze_hi;
  Vec3f haze;
  Vec3f gain;  // colour balance of the camera (BGR)
};

/// Roof colours: dark grey shingle, brown, terracotta, light grey, sand, white, dark red-brown.
inline const std::array<Vec3f, 7>& roof_colours() {
  static const std::array<Vec3f, 7> c{rgb(72, 74, 78),    rgb(104, 84, 68),   rgb(164, 88, 62),
                                      rgb(152, 152, 150), rgb(178, 164, 138), rgb(206, 206, 200),
                                      rgb(118, 62, 50)};
  return c;
}

inline const RegionStyle& region_style(Region region) {
  static const RegionStyle source{28.8f,
                                  rgb(90, 110, 64),
                                  rgb(126, 122, 86),
                                  0.45f,
                                  0.95f,
                                  0.3f,
                                  {0.22, 0.22, 0.28, 0.07, 0.04, 0.03, 0.14},
                                  {0.62, 0.25, 0.13},
                                  225.f,
                                  10.f,
                                  46.f,
                                  58.f,
                                  2,
                                  6,
                                  rgb(48, 66, 42),
                                  0.15f,
                                  0.7f,
                                  rgb(90, 91, 95),
                                  rgb(172, 170, 163),
                                  0.f,
                                  0.02f,
                                  rgb(200, 205, 210),
                                  {1.0f, 1.0f, 0.98f}};
  static const RegionStyle target{28.8f * 1.22f,
                                  rgb(122, 126, 78),
                                  rgb(168, 150, 112),
                                  -0.35f,
                                  0.25f,
                                  0.1f,
                                  {0.26, 0.07, 0.06, 0.25, 0.16, 0.16, 0.04},
                                  {0.24, 0.46, 0.30},
                                  300.f,
                                  10.f,
                                  30.f,
                                  39.f,
                                  0,
                                  3,
                                  rgb(70, 76, 50),
                                  0.35f,
                                  0.7f,
                                  rgb(120, 117, 112),
                                  rgb(190, 182, 168),
                                  0.03f,
                                  0.09f,
                                  rgb(205, 198, 188),
                                  {0.95f, 1.0f, 1.04f}};
  return region == Region::source ? source : target;
}

/// Fixed per-tile state: geometry of the render, the sun, shared noise fields.
struct Scene {
  int R = 0;      // render side in pixels
  float ppm = 0;  // render pixels a metre
  P shadow, sun;  // unit directions in image coordinates (sun = -shadow)
  float sin_e = 0, cos_e = 0;
  P off;  // shadow displacement, render pixels a metre of height
  cv::Mat1f low, mid, fine;

  float px(double metres) const { return float(metres) * ppm; }
  /// Brightness of a plane facing horizontal direction `d` with slope `pitch` (radians);
  /// 1 for a flat surface.
  float light(P d, float pitch) const {
    const float dot = std::sin(pitch) * cos_e * d.dot(sun) + std::cos(pitch) * sin_e;
    return std::min(1.18f, 0.45f + 0.55f * std::max(0.f, dot) / sin_e);
  }
  /// One of the shared noise fields read at a shifted place (`k` decorrelates users).
  float at(const cv::Mat1f& f, int x, int y, int k) const {
    return f((y + 37 * k) % R, (x + 53 * k) % R);
  }
};

/// A smooth random field in about [-1, 1]: `cells` random values upsampled bicubically.
inline cv::Mat1f value_noise(SynthRng& rng, int side, int cells) {
  cv::Mat1f grid(cells + 1, cells + 1);
  for (int y = 0; y <= cells; ++y)
    for (int x = 0; x <= cells; ++x) grid(y, x) = rng.uniform(-1, 1);
  cv::Mat1f out;
  cv::resize(grid, out, cv::Size(side, side), 0, 0, cv::INTER_CUBIC);
  return out;
}

/// Calls `shade(point, pixel&)` for every pixel whose centre is inside the convex polygon.
template <class T, class F>
void shade_convex(cv::Mat_<T>& img, const std::vector<P>& poly, F&& shade) {
  const int n = int(poly.size());
  if (n < 3) return;
  float x0 = poly[0].x, x1 = x0, y0 = poly[0].y, y1 = y0, area = 0;
  for (int i = 0; i < n; ++i) {
    const P a = poly[i], b = poly[(i + 1) % n];
    x0 = std::min(x0, a.x), x1 = std::max(x1, a.x), y0 = std::min(y0, a.y), y1 = std::max(y1, a.y);
    area += a.x * b.y - b.x * a.y;
  }
  if (std::abs(area) < 1e-6f) return;
  const float sgn = area > 0 ? 1.f : -1.f;
  std::vector<std::array<float, 3>> edges(n);
  for (int i = 0; i < n; ++i) {
    const P a = poly[i], b = poly[(i + 1) % n];
    const float A = -(b.y - a.y) * sgn, B = (b.x - a.x) * sgn;
    edges[i] = {A, B, -(A * a.x + B * a.y)};
  }
  const int xa = std::max(0, int(std::floor(x0))), xb = std::min(img.cols - 1, int(std::ceil(x1)));
  const int ya = std::max(0, int(std::floor(y0))), yb = std::min(img.rows - 1, int(std::ceil(y1)));
  for (int y = ya; y <= yb; ++y) {
    T* row = img[y];
    const float py = y + 0.5f;
    for (int x = xa; x <= xb; ++x) {
      const float px = x + 0.5f;
      bool inside = true;
      for (const auto& e : edges)
        if (e[0] * px + e[1] * py + e[2] < 0) {
          inside = false;
          break;
        }
      if (inside) shade(P(px, py), row[x]);
    }
  }
}

/// Fills a convex polygon with a constant.
template <class T>
void fill_convex(cv::Mat_<T>& img, const std::vector<P>& poly, const T& value) {
  shade_convex(img, poly, [&](P, T& px) { px = value; });
}

/// Fills the convex hull of `points`.
template <class T>
void fill_hull(cv::Mat_<T>& img, const std::vector<P>& points, const T& value) {
  std::vector<P> hull;
  cv::convexHull(points, hull);
  fill_convex(img, hull, value);
}

/// Fills a disc.
inline void fill_disc(cv::Mat1f& img, P c, float r, float value) {
  const int xa = std::max(0, int(c.x - r)), xb = std::min(img.cols - 1, int(c.x + r) + 1);
  const int ya = std::max(0, int(c.y - r)), yb = std::min(img.rows - 1, int(c.y + r) + 1);
  for (int y = ya; y <= yb; ++y)
    for (int x = xa; x <= xb; ++x) {
      const float dx = x + 0.5f - c.x, dy = y + 0.5f - c.y;
      if (dx * dx + dy * dy <= r * r) img(y, x) = value;
    }
}

/// An oriented rectangle: centre `c`, unit axes `a` (long) and `b`, half sides `hl` >= `hw`.
struct Box {
  P c, a, b;
  float hl = 0, hw = 0;
  P at(float u, float v) const { return c + a * u + b * v; }
  std::vector<P> corners() const { return {at(hl, hw), at(-hl, hw), at(-hl, -hw), at(hl, -hw)}; }
  /// Half of the box's extent along unit direction `u`.
  float extent(P u) const { return hl * std::abs(a.dot(u)) + hw * std::abs(b.dot(u)); }
  /// Whether `p` is inside the box grown by `margin` (negative shrinks it).
  bool contains(P p, float margin = 0) const {
    const P d = p - c;
    return std::abs(d.dot(a)) <= hl + margin && std::abs(d.dot(b)) <= hw + margin;
  }
};

/// A box of length `len` along unit `dir` and width `wid`, its long side made `a`.
inline Box make_box(P c, P dir, float len, float wid) {
  Box bx{c, dir, perp(dir), len / 2, wid / 2};
  if (bx.hl < bx.hw) {
    std::swap(bx.hl, bx.hw);
    bx.a = perp(dir);
    bx.b = -dir;
  }
  return bx;
}

/// A thin box from `p0` to `p1`, `w` pixels wide.
inline std::vector<P> segment(P p0, P p1, float w) {
  P d = p1 - p0;
  const float len = std::sqrt(d.dot(d));
  if (len < 1e-6f) return {};
  const P n = perp(d * (1 / len)) * (w / 2);
  return {p0 + n, p1 + n, p1 - n, p0 - n};
}

/// A plane of a roof, in its own frame: eave midpoint `o`, `eu` along the eave, `ev` up the
/// slope (in plan); `h0` half the eave, `taper` how much the half narrows a pixel up the slope
/// (1 for hip facets), `depth` from eave to ridge in plan; `fs` the plan foreshortening cos(pitch).
struct Facet {
  P o, eu, ev;
  float h0 = 0, taper = 0, depth = 0, light = 1, fs = 1;
  bool flat = false;
  std::vector<std::array<float, 4>> used;  // rectangles taken (chimneys, arrays): u0, u1, v0, v1
  P at(float u, float v) const { return o + eu * u + ev * v; }
};

enum RoofStyle { gable = 0, hip = 1, flat = 2 };

struct House {
  std::vector<Box> parts;  // drawn in order: the main part last
  int style = gable;
  Vec3f colour;
  float pitch = 0.55f;  // radians
  float eave_h = 4;     // metres
};

/// Adds the shadow of a house to `mask`: hull of the footprint, the footprint lifted to the
/// eaves and the ridge lifted to its height, displaced along the sun.
inline void house_shadow(cv::Mat1f& mask, const Scene& s, const House& h) {
  for (const Box& bx : h.parts) {
    std::vector<P> pts = bx.corners();
    const P e = s.off * h.eave_h;
    for (P c : bx.corners()) pts.push_back(c + e);
    if (h.style == flat) {
      for (P c : bx.corners()) pts.push_back(c + s.off * (h.eave_h + 0.4f));
    } else {
      const float ridge = h.eave_h + bx.hw / s.ppm * std::tan(h.pitch);
      const float r = h.style == gable ? bx.hl : bx.hl - bx.hw;
      pts.push_back(bx.at(r, 0) + s.off * ridge);
      pts.push_back(bx.at(-r, 0) + s.off * ridge);
    }
    fill_hull(mask, pts, 1.f);
  }
}

/// Draws one roof part; returns its planes.
inline std::vector<Facet> draw_roof(cv::Mat3f& img, const Scene& s, const Box& bx, const House& h,
                                    SynthRng& rng) {
  std::vector<Facet> facets;
  const int k = rng.integer(1, 40);
  const Vec3f base = vary(rng, h.colour, 0.04f);
  const float course = s.px(0.45);  // shingle courses
  const float weather = rng.uniform(0.03, 0.08);
  auto texture = [&](P p, float t) {
    const int x = int(p.x), y = int(p.y);
    float m = 1 + 0.08f * s.at(s.fine, x, y, k) + weather * s.at(s.mid, x, y, k);
    if (course >= 2.5f) m *= 1 + 0.035f * std::sin(6.2831853f * t / course);
    return m;
  };
  if (h.style == flat) {
    const float par = std::max(1.f, s.px(0.35));
    const float rim = rng.uniform(0.78, 1.12);
    shade_convex(img, bx.corners(), [&](P p, Vec3f& px) {
      const P d = p - bx.c;
      const float e = std::min(bx.hl - std::abs(d.dot(bx.a)), bx.hw - std::abs(d.dot(bx.b)));
      float m = 1 + 0.07f * s.at(s.fine, int(p.x), int(p.y), k) +
                weather * s.at(s.mid, int(p.x), int(p.y), k);
      if (e < par)
        m *= rim;
      else if (e < par + 1)
        m *= 0.9f;  // inner edge of the parapet
      px = base * m;
    });
    // HVAC boxes at one end, the rest free for panels.
    const float end = rng.chance(0.5) ? 1.f : -1.f;
    const int units = bx.hl > s.px(5) ? rng.integer(0, 3) : 0;
    float used = 0;
    for (int i = 0; i < units; ++i) {
      const float w = s.px(rng.uniform(0.9, 1.8)), l = s.px(rng.uniform(1.0, 2.2));
      const float u = end * (bx.hl - par - s.px(0.6) - w / 2 - used);
      const float v = rng.uniform(-1, 1) * std::max(0.f, bx.hw - par - l / 2 - s.px(0.5));
      used += w + s.px(0.5);
      const Box unit = make_box(bx.at(u, v), bx.a, w, l);
      std::vector<P> sh = unit.corners();
      for (P c : unit.corners()) sh.push_back(c + s.off * 1.0f);
      shade_convex(
          img,
          [&] {
            std::vector<P> hh;
            cv::convexHull(sh, hh);
            return hh;
          }(),
          [&](P, Vec3f& px) { px *= 0.55f; });
      const Vec3f uc = rgb(188, 188, 186) * rng.uniform(0.85, 1.05);
      shade_convex(img, unit.corners(), [&](P p, Vec3f& px) {
        px = uc * (1 + 0.04f * s.at(s.fine, int(p.x), int(p.y), k + 1));
      });
      fill_convex(img, segment(unit.at(-unit.hl, 0), unit.at(unit.hl, 0), 1.f), Vec3f(uc * 0.8f));
    }
    const float inset = par + s.px(0.4);
    const float free_len = 2 * (bx.hl - inset) - used - (units ? s.px(0.6) : 0.f);
    Facet f;
    f.flat = true;
    f.eu = bx.a;
    f.ev = bx.b;
    f.h0 = free_len / 2;
    f.o = bx.at(-end * (bx.hl - inset - f.h0), -(bx.hw - inset));
    f.depth = 2 * (bx.hw - inset);
    f.light = 1;
    facets.push_back(f);
    return facets;
  }
  const float ridge_half = h.style == gable ? bx.hl : std::max(0.f, bx.hl - bx.hw);
  const float fs = std::cos(h.pitch);
  // The two long planes (trapezoids for hip roofs, rectangles for gables).
  for (float sg : {1.f, -1.f}) {
    Facet f;
    f.o = bx.at(0, sg * bx.hw);
    f.eu = bx.a;
    f.ev = -bx.b * sg;
    f.h0 = bx.hl;
    f.taper = h.style == hip ? 1.f : 0.f;
    f.depth = bx.hw;
    f.fs = fs;
    f.light = s.light(bx.b * sg, h.pitch);
    facets.push_back(f);
  }
  if (h.style == hip)
    for (float sg : {1.f, -1.f}) {
      Facet f;
      f.o = bx.at(sg * bx.hl, 0);
      f.eu = bx.b;
      f.ev = -bx.a * sg;
      f.h0 = bx.hw;
      f.taper = 1;
      f.depth = bx.hw;
      f.fs = fs;
      f.light = s.light(bx.a * sg, h.pitch);
      facets.push_back(f);
    }
  for (const Facet& f : facets) {
    const float top = f.h0 - f.taper * f.depth;
    std::vector<P> poly{f.at(f.h0, 0), f.at(top, f.depth), f.at(-top, f.depth), f.at(-f.h0, 0)};
    if (top <= 0) poly = {f.at(f.h0, 0), f.at(0, f.depth), f.at(-f.h0, 0)};
    const Vec3f c = base * f.light;
    shade_convex(img, poly, [&](P p, Vec3f& px) { px = c * texture(p, (p - f.o).dot(f.ev)); });
  }
  // Ridge cap, hip lines, eaves: thin lines that make the roof crisp after reduction.
  const float lw = std::max(1.f, s.px(0.2));
  const Vec3f cap = base * (0.5f * (facets[0].light + facets[1].light) * 1.08f);
  auto line = [&](P p0, P p1, Vec3f c) { fill_convex(img, segment(p0, p1, lw), c); };
  if (h.style == hip) {
    const float r = ridge_half;
    for (float su : {1.f, -1.f})
      for (float sv : {1.f, -1.f}) line(bx.at(su * r, 0), bx.at(su * bx.hl, sv * bx.hw), cap);
  }
  if (ridge_half > 0) line(bx.at(-ridge_half, 0), bx.at(ridge_half, 0), cap);
  const auto cs = bx.corners();
  for (int i = 0; i < 4; ++i)
    fill_convex(img, segment(cs[i], cs[(i + 1) % 4], 1.f), Vec3f(base * 0.55f));
  return facets;
}

/// A rectangle of roof area on facet `f`: [u0, u0 + W] x [v0, v0 + V] in the facet's frame.
inline std::vector<P> facet_rect(const Facet& f, float u0, float v0, float W, float V) {
  return {f.at(u0, v0), f.at(u0 + W, v0), f.at(u0 + W, v0 + V), f.at(u0, v0 + V)};
}

/// Whether the rectangle [u0, u1] x [v0, v1] keeps `gap` from what is on the facet.
inline bool rect_free(const Facet& f, float u0, float u1, float v0, float v1, float gap) {
  for (const auto& r : f.used)
    if (u0 < r[1] + gap && u1 > r[0] - gap && v0 < r[3] + gap && v1 > r[2] - gap) return false;
  return true;
}

/// An array of solar panels on a roof plane.
struct PanelArray {
  const Facet* f = nullptr;
  float u0 = 0, v0 = 0, pu = 0, pv = 0, gap = 0;
  int cols = 0, rows = 0;
  Vec3f colour, frame;
  float frame_mix = 0.5f, spec = 0;
  P spec_at;
  uint64_t salt = 0;
  float width() const { return cols * pu; }
  float height() const { return rows * pv + (rows - 1) * gap; }
};

/// Tries to place an array on `f` (in the tile, clear of what is there); true when it did.
/// `avoid`: a box the array must stay off (the main part, for planes of a wing under it).
inline bool place_array(const Scene& s, Facet& f, SynthRng& r, PanelArray& a, bool minimal = false,
                        const Box* avoid = nullptr) {
  const bool portrait = minimal || r.chance(0.7);
  a.f = &f;
  a.pu = s.px(portrait ? 1.0 : 1.7);
  a.pv = s.px(portrait ? 1.7 : 1.0) * (f.flat ? 0.92f : f.fs);
  a.gap = f.flat ? s.px(r.uniform(0.5, 0.9)) : 0.f;
  const float me = s.px(minimal ? 0.2 : r.uniform(0.3, 0.8)), mr = s.px(0.3), ms = s.px(0.3);
  const int max_rows = int((f.depth - me - mr + a.gap) / (a.pv + a.gap));
  if (max_rows < 1) return false;
  a.rows = minimal || max_rows == 1 || r.chance(0.3)
               ? 1
               : r.integer(2, std::min(max_rows, f.flat ? 4 : 3));
  const float V = a.height();
  a.v0 = me + (minimal ? 0.f : r.uniform(0, 0.5) * std::max(0.f, f.depth - me - mr - V));
  const float half = f.h0 - f.taper * (a.v0 + V) - ms;
  const int max_cols = int(2 * half / a.pu);
  if (max_cols < 2) return false;
  a.cols = minimal ? 2 : r.integer(std::max(2, (max_cols + 1) / 2), std::min(max_cols, 12));
  const float W = a.width();
  const float uc = minimal ? 0.f : r.uniform(-half + W / 2, half - W / 2);
  a.u0 = uc - W / 2;
  if (!minimal) {
    if (!rect_free(f, a.u0, a.u0 + W, a.v0, a.v0 + V, s.px(0.6))) return false;
    for (P c : facet_rect(f, a.u0, a.v0, W, V))
      if (c.x < 1 || c.y < 1 || c.x > s.R - 1 || c.y > s.R - 1 ||
          (avoid && avoid->contains(c, s.px(0.3))))
        return false;
    if (avoid && avoid->contains(f.at(a.u0 + W / 2, a.v0 + V / 2), s.px(0.3))) return false;
  }
  f.used.push_back({a.u0, a.u0 + W, a.v0, a.v0 + V});
  static const std::array<Vec3f, 3> kinds{rgb(30, 38, 62), rgb(22, 24, 31), rgb(36, 50, 90)};
  a.colour = vary(r, kinds[r.pick(std::array<double, 3>{0.45, 0.3, 0.25})], 0.06f);
  a.frame = rgb(150, 156, 166) * r.uniform(0.85, 1.1);
  a.frame_mix = r.uniform(0.35, 0.7);
  a.spec = r.chance(0.6) ? r.uniform(0.03, 0.14) : 0.f;
  a.spec_at.x = r.uniform(0, 1);
  a.spec_at.y = r.uniform(0, 1);
  a.salt = r.next();
  return true;
}

/// Draws a placed array: dark panels, a light grid at their edges (and cells when big enough),
/// a soft specular highlight; on flat roofs, rows tilted with a shadow strip behind each.
inline void draw_array(cv::Mat3f& img, const PanelArray& a) {
  const Facet& f = *a.f;
  const float W = a.width(), V = a.height(), pitch = a.pv + a.gap;
  const float shade = 0.8f + 0.2f * std::min(f.light, 1.3f);
  const int cells_u = a.pu < a.pv ? 6 : 10, cells_v = a.pu < a.pv ? 10 : 6;
  const float cu = a.pu / cells_u, cv_ = a.pv / cells_v;
  const bool cells = std::min(cu, cv_) >= 3;
  shade_convex(img, facet_rect(f, a.u0, a.v0, W, V), [&](P p, Vec3f& px) {
    const P d = p - f.o;
    const float u = d.dot(f.eu) - a.u0, v = d.dot(f.ev) - a.v0;
    const int iv = std::min(a.rows - 1, int(std::floor(v / pitch)));
    const float fv = v - iv * pitch;
    if (fv > a.pv) {  // between tilted rows on a flat roof
      if (fv < a.pv + 0.6f * a.gap) px *= 0.6f;
      return;
    }
    const int iu = std::min(a.cols - 1, int(std::floor(u / a.pu)));
    const float fu = u - iu * a.pu;
    const float jit =
        float(mix64(a.salt ^ (uint64_t(iu) * 0x9E37u + uint64_t(iv) * 0x85EBCA6Bu)) >> 40) /
        float(1 << 24);
    Vec3f c = a.colour * shade * (0.95f + 0.1f * jit);
    if (a.spec > 0) {
      const float du = u / W - a.spec_at.x, dv = v / V - a.spec_at.y;
      c += Vec3f(0.9f, 0.88f, 0.85f) * (a.spec * std::exp(-(du * du + dv * dv) / 0.06f));
    }
    if (cells && (std::fmod(fu, cu) < 0.5f || std::fmod(fv, cv_) < 0.5f))
      c = lerp(c, a.frame, 0.22f);
    if (fu < 0.5f || fu > a.pu - 0.5f || fv < 0.5f || fv > a.pv - 0.5f)
      c = lerp(c, a.frame, a.frame_mix);
    px = c;
  });
}

/// A small box on a facet (chimney, skylight) at plan distance `v` up from the eave.
inline Box facet_box(const Facet& f, float u, float v, float w, float l) {
  return make_box(f.at(u, v), f.eu, w, l);
}

/// A tree crown as overlapping domes.
struct Tree {
  std::vector<std::pair<P, float>> blobs;
  Vec3f colour;
  float height = 8;  // metres
  int k = 0;
};

inline Tree make_tree(const Scene& s, SynthRng& r, P c, float radius, const Vec3f& colour) {
  Tree t;
  static const std::array<Vec3f, 3> kinds{Vec3f(1, 1, 1), Vec3f(1.05f, 0.82f, 0.7f),
                                          Vec3f(0.9f, 1.12f, 1.1f)};
  t.colour = vary(r, colour.mul(kinds[r.pick(std::array<double, 3>{0.6, 0.25, 0.15})]), 0.1f);
  t.blobs.emplace_back(c, radius * r.uniform(0.6, 0.75));
  const int n = radius > s.px(1.5) ? r.integer(3, 6) : r.integer(1, 2);
  for (int i = 0; i < n; ++i) {
    const P dir = r.direction();
    const float dist = radius * r.uniform(0.15, 0.5), size = radius * r.uniform(0.4, 0.62);
    t.blobs.emplace_back(c + dir * dist, size);
  }
  const float trunk = r.uniform(1, 3);
  t.height = radius / s.ppm * r.uniform(1.6, 2.6) + trunk;
  t.k = r.integer(1, 40);
  return t;
}

inline void draw_tree(cv::Mat3f& img, const Scene& s, const Tree& t) {
  float x0 = 1e9f, x1 = -1e9f, y0 = 1e9f, y1 = -1e9f;
  for (const auto& [c, r] : t.blobs)
    x0 = std::min(x0, c.x - r), x1 = std::max(x1, c.x + r), y0 = std::min(y0, c.y - r),
    y1 = std::max(y1, c.y + r);
  const int xa = std::max(0, int(x0)), xb = std::min(s.R - 1, int(x1) + 1);
  const int ya = std::max(0, int(y0)), yb = std::min(s.R - 1, int(y1) + 1);
  const cv::Vec3f sunv(s.sun.x * s.cos_e, s.sun.y * s.cos_e, s.sin_e);
  for (int y = ya; y <= yb; ++y)
    for (int x = xa; x <= xb; ++x) {
      const P p(x + 0.5f, y + 0.5f);
      float best = -1, lit = 0;
      for (std::size_t i = 0; i < t.blobs.size(); ++i) {
        const auto& [c, r] = t.blobs[i];
        const P d = (p - c) * (1 / r);
        const float q = 1 - d.dot(d);
        if (q <= 0) continue;
        const float z = std::sqrt(q);
        const float height = z * r + (i == 0 ? 0.3f * r : 0.f);
        if (height > best) {
          best = height;
          lit = std::max(0.f, d.x * sunv[0] + d.y * sunv[1] + z * sunv[2]);
        }
      }
      if (best < 0) continue;
      const float tex = 1 + 0.22f * s.at(s.fine, x, y, t.k) + 0.1f * s.at(s.mid, x, y, t.k);
      img(y, x) = t.colour * ((0.45f + 0.75f * lit) * tex);
    }
}

inline void tree_shadow(cv::Mat1f& mask, const Scene& s, const Tree& t) {
  for (const auto& [c, r] : t.blobs) fill_disc(mask, c + s.off * (t.height * 0.7f), r, 1.f);
}

/// Darkens `img` where `mask` (blurred for a penumbra) is set, with the blue cast of skylight.
inline void apply_shadow(cv::Mat3f& img, cv::Mat1f& mask, const Scene& s, float strength) {
  cv::GaussianBlur(mask, mask, cv::Size(0, 0), 0.25 * s.ppm);
  const Vec3f tint(0.54f, 0.47f, 0.44f);  // BGR: shadows keep more blue
  for (int y = 0; y < s.R; ++y)
    for (int x = 0; x < s.R; ++x) {
      const float m = mask(y, x) * strength;
      if (m <= 0) continue;
      Vec3f& px = img(y, x);
      for (int c = 0; c < 3; ++c) px[c] *= 1 - m * (1 - tint[c]);
    }
}

struct Car {
  Box body;
  Vec3f colour;
};

inline Car make_car(const Scene& s, SynthRng& r, P c, P dir) {
  static const std::array<Vec3f, 7> colours{
      rgb(222, 222, 220), rgb(168, 170, 172), rgb(36, 36, 40),   rgb(36, 46, 82),
      rgb(150, 36, 32),   rgb(98, 100, 104),  rgb(180, 170, 150)};
  Car car;
  const float len = s.px(r.uniform(4.2, 4.9)), wid = s.px(r.uniform(1.75, 1.95));
  car.body = make_box(c, dir, len, wid);
  car.colour = vary(
      r, colours[r.pick(std::array<double, 7>{0.24, 0.2, 0.18, 0.08, 0.08, 0.14, 0.08})], 0.04f);
  return car;
}

/// Draws a car (body, windows) darkened where `shadow` (the buildings' shadows) falls.
inline void draw_car(cv::Mat3f& img, const Car& car, const cv::Mat1f& shadow) {
  const Box& b = car.body;
  const Vec3f glass = rgb(40, 44, 50);
  shade_convex(img, b.corners(), [&](P p, Vec3f& px) {
    const P d = p - b.c;
    const float u = d.dot(b.a) / b.hl, v = d.dot(b.b) / b.hw;  // u: -1 rear .. 1 front
    Vec3f c = car.colour;
    if (std::abs(v) < 0.78f && ((u > 0.12f && u < 0.42f) || (u < -0.45f && u > -0.68f)))
      c = glass;
    else if (std::abs(v) < 0.78f && u >= -0.45f && u <= 0.12f)
      c = c * 1.08f;
    if (std::abs(v) > 0.85f || std::abs(u) > 0.93f) c = c * 0.8f;
    const float m = shadow(int(p.y), int(p.x));
    px = c * (1 - 0.5f * m);
  });
}

/// A ground surface (driveway, patio, pool deck) with texture.
inline void draw_surface(cv::Mat3f& img, const Scene& s, const Box& b, const Vec3f& colour, int k,
                         float joints_m = 0) {
  const float jp = s.px(joints_m);
  shade_convex(img, b.corners(), [&](P p, Vec3f& px) {
    float m = 1 + 0.06f * s.at(s.fine, int(p.x), int(p.y), k) +
              0.05f * s.at(s.mid, int(p.x), int(p.y), k);
    if (jp >= 3 && std::fmod((p - b.c).dot(b.a) + 1000 * jp, jp) < 0.8f) m *= 0.88f;
    px = colour * m;
  });
}

inline void draw_pool(cv::Mat3f& img, const Scene& s, const Box& b, SynthRng& r) {
  const float rim = s.px(r.uniform(0.5, 0.9));
  const Vec3f deck = rgb(205, 198, 186) * r.uniform(0.9, 1.02),
              water = vary(r, rgb(72, 168, 192), 0.05f);
  const float deep = r.chance(0.5) ? 1.f : -1.f;
  shade_convex(img, b.corners(), [&](P p, Vec3f& px) {
    const P d = p - b.c;
    const float u = d.dot(b.a), v = d.dot(b.b);
    if (b.hl - std::abs(u) < rim || b.hw - std::abs(v) < rim) {
      px = deck * (1 + 0.04f * s.at(s.fine, int(p.x), int(p.y), 7));
      return;
    }
    const float depth = 0.5f + 0.5f * deep * u / b.hl;
    Vec3f c = water * (1.05f - 0.25f * depth) * (1 + 0.06f * s.at(s.mid, int(p.x), int(p.y), 9));
    if (b.hw - std::abs(v) < rim + 1.2f || b.hl - std::abs(u) < rim + 1.2f) c = c * 0.85f;
    px = c;
  });
}

/// Everything but the panels is drawn from `scene`; panels from `panels`; rare confounders
/// (skylights) from `details`; the sensor noise from `noise`: the scene does not depend on the
/// label.
inline cv::Mat render_tile(int64_t size, Region region, uint64_t base, int label) {
  SynthRng rng(base ^ 0x5CE9E5CE9Eull), prng(mix64(base + 1)), drng(mix64(base + 2)),
      nrng(mix64(base + 3));
  const RegionStyle& st = region_style(region);
  Scene s;
  s.R = int(size) * (size <= 128 ? 3 : 2);
  s.ppm = float(s.R) / st.extent_m;
  const float phi = (st.shadow_deg + st.shadow_jitter * rng.uniform(-1, 1)) * 0.0174532925f;
  const float elev = rng.uniform(st.elev_lo, st.elev_hi) * 0.0174532925f;
  s.shadow = P(std::cos(phi), std::sin(phi));
  s.sun = -s.shadow;
  s.sin_e = std::sin(elev);
  s.cos_e = std::cos(elev);
  s.off = s.shadow * (s.ppm / std::tan(elev));
  s.low = value_noise(rng, s.R, 3);
  s.mid = value_noise(rng, s.R, 12);
  s.fine = value_noise(rng, s.R, int(size) + int(size) / 3);
  const int R = s.R;
  cv::Mat3f img(R, R);

  // Ground: lawn, dry patches, mowing stripes.
  {
    const Vec3f lawn = vary(rng, st.lawn, 0.07f), dry = vary(rng, st.dry, 0.07f);
    const float bias = rng.uniform(-0.3, 0.3);
    const bool mow = rng.chance(st.mow_p);
    const P mdir = rng.direction();
    const float period = s.px(rng.uniform(1.2, 2.2));
    for (int y = 0; y < R; ++y)
      for (int x = 0; x < R; ++x) {
        const float field = 0.8f * s.low(y, x) + 0.35f * s.mid(y, x) + bias;
        Vec3f c = lerp(lawn, dry, smoothstep(st.dry_lo, st.dry_hi, field));
        float m = 1 + 0.08f * s.mid(y, x) + 0.13f * s.fine(y, x);
        if (mow) m *= int(std::floor((x * mdir.x + y * mdir.y) / period)) % 2 ? 1.03f : 0.97f;
        img(y, x) = c * m;
      }
  }

  // Layout: the main house near the centre, its front towards the street.
  float theta = rng.uniform(0, 3.14159265);
  if (rng.chance(0.4)) {  // aligned with the image axes, as a grid of streets
    theta = rng.uniform(-0.05, 0.05);
    theta += 1.5707963f * float(rng.integer(0, 1));
  }
  const P axis(std::cos(theta), std::sin(theta));
  P centre(R / 2.f, R / 2.f);
  centre.x += rng.uniform(-0.11, 0.11) * float(R);
  centre.y += rng.uniform(-0.11, 0.11) * float(R);
  House main;
  main.style = rng.pick(st.style_w);
  main.colour = main.style == flat ? roof_colours()[std::array<int, 3>{
                                         5, 3, 0}[rng.pick(std::array<double, 3>{0.45, 0.35, 0.2})]]
                                   : roof_colours()[rng.pick(st.roof_w)];
  main.pitch = rng.uniform(0.45, 0.7);
  main.eave_h = rng.chance(0.35) ? rng.uniform(5.5, 7) : rng.uniform(3, 4.2);
  const float core_l = s.px(rng.uniform(11, 17)), core_w = s.px(rng.uniform(7.5, 10.5));
  const Box core = make_box(centre, axis, core_l, core_w);
  // Front: a long side (usually) or an end.
  const P front = rng.chance(0.75) ? core.b * (rng.chance(0.5) ? 1.f : -1.f)
                                   : core.a * (rng.chance(0.5) ? 1.f : -1.f);
  const P street = perp(front);
  if (rng.chance(0.35)) {  // an L: a wing at one end, towards the back
    const float ext = s.px(rng.uniform(3.5, 7)),
                ww = std::min(s.px(rng.uniform(2.8, 4.4)), core.hl * 0.6f);
    const float su = rng.chance(0.5) ? 1.f : -1.f;
    float sv = core.b.dot(front) > 0.5f    ? -1.f
               : core.b.dot(front) < -0.5f ? 1.f
                                           : (rng.chance(0.5) ? 1.f : -1.f);
    const P wc = core.at(su * (core.hl - ww), sv * (core.hw + ext) / 2);
    main.parts.push_back(make_box(wc, core.b, core.hw + ext, 2 * ww));
  }
  main.parts.push_back(core);
  const float ext_f = core.extent(front), ext_g = core.extent(street);

  // Garden beds (mulch, bark or gravel) along the house.
  for (int i = 0, n = rng.integer(0, 3); i < n; ++i) {
    const Box& part = main.parts[std::size_t(rng.integer(0, int(main.parts.size()) - 1))];
    const float ra = s.px(rng.uniform(1.5, 4.5)), rb = s.px(rng.uniform(0.7, 1.4));
    const float u = rng.uniform(-1, 1) * part.hl, side = rng.chance(0.5) ? 1.f : -1.f;
    const P bc = part.at(u, side * (part.hw + rb * 0.8f));
    static const std::array<Vec3f, 3> beds{rgb(92, 72, 58), rgb(118, 84, 62), rgb(166, 160, 150)};
    const Vec3f colour = vary(rng, beds[rng.pick(std::array<double, 3>{0.5, 0.3, 0.2})], 0.06f);
    std::vector<P> ellipse;
    for (int k = 0; k < 14; ++k) {
      const float t = 6.2831853f * float(k) / 14;
      ellipse.push_back(bc + part.a * (ra * std::cos(t)) + part.b * (rb * std::sin(t)));
    }
    shade_convex(img, ellipse, [&](P p, Vec3f& px) {
      px = colour * (1 + 0.16f * s.at(s.fine, int(p.x), int(p.y), 5 + i) +
                     0.06f * s.at(s.mid, int(p.x), int(p.y), 5));
    });
  }

  // Street, sidewalk, verge.
  const bool has_road = rng.chance(st.road_p);
  const float setback = s.px(rng.uniform(4.5, 7.5)), sidewalk = s.px(rng.uniform(1.3, 1.9));
  const float verge = s.px(rng.uniform(0.3, 2.5)), road_w = s.px(rng.uniform(6.5, 9));
  const P q = centre + front * (ext_f + setback + sidewalk + verge + road_w / 2);
  if (has_road) {
    const Vec3f asphalt = vary(rng, st.asphalt, 0.06f), concrete = vary(rng, st.concrete, 0.04f);
    const bool lane = rng.chance(0.5);
    const Vec3f paint = rng.chance(0.6) ? rgb(230, 230, 225) : rgb(220, 190, 90);
    const float dash = s.px(3), line_w = std::max(0.75f, s.px(0.07)), joint = s.px(1.6);
    for (int y = 0; y < R; ++y)
      for (int x = 0; x < R; ++x) {
        const P d = P(x + 0.5f, y + 0.5f) - q;
        const float sd = std::abs(d.dot(front)), t = d.dot(street) + 1000 * dash;
        if (sd < road_w / 2) {
          float m = 1 + 0.07f * s.fine(y, x) + 0.06f * s.mid(y, x);
          Vec3f c = asphalt * m;
          if (road_w / 2 - sd < 1.2f) c = concrete * 0.8f;  // curb
          if (lane && sd < line_w && std::fmod(t, 3 * dash) < dash) c = lerp(c, paint, 0.8f);
          img(y, x) = c;
        } else if (sd > road_w / 2 + verge && sd < road_w / 2 + verge + sidewalk) {
          float m = 1 + 0.05f * s.at(s.fine, x, y, 3);
          if (std::fmod(t, joint) < 0.8f) m *= 0.9f;
          img(y, x) = concrete * m;
        }
      }
  }

  // Driveway from the garage end to the street (or out of the tile).
  std::vector<Box> blocked;  // where trees do not grow
  for (const Box& b : main.parts) blocked.push_back(b);
  Box driveway;
  {
    const float dw = s.px(rng.uniform(3, 5.5));
    const float len = has_road ? setback + sidewalk + verge + 0.5f : s.px(16);
    const float side = rng.chance(0.5) ? 1.f : -1.f;
    const float g = side * std::max(0.f, ext_g - dw / 2 - s.px(rng.uniform(0.3, 1.5)));
    driveway = make_box(centre + street * g + front * (ext_f + len / 2), front, len, dw);
    const Vec3f dc =
        std::array<Vec3f, 3>{st.concrete, st.asphalt * 0.95f,
                             rgb(150, 122, 104)}[rng.pick(std::array<double, 3>{0.5, 0.3, 0.2})];
    const Vec3f colour = vary(rng, dc, 0.05f);
    draw_surface(img, s, driveway, colour, 11, rng.chance(0.5) ? 3.0f : 0.f);
    blocked.push_back(driveway);
  }
  // Patio and pool behind the house.
  if (rng.chance(0.4)) {
    const float w = s.px(rng.uniform(3, 6)), dpt = s.px(rng.uniform(2.5, 4));
    const Box patio =
        make_box(centre - front * (ext_f + dpt / 2) + street * (rng.uniform(-0.5, 0.5) * ext_g),
                 street, w, dpt);
    const Vec3f colour = vary(rng, rng.chance(0.6) ? rgb(168, 160, 150) : rgb(142, 106, 76), 0.05f);
    draw_surface(img, s, patio, colour, 13, rng.chance(0.5) ? 0.6f : 0.f);
    blocked.push_back(patio);
  }
  if (rng.chance(st.pool_p)) {
    const float pl = s.px(rng.uniform(6, 10)), pw = s.px(rng.uniform(3.5, 5));
    const float back = s.px(rng.uniform(3, 6)), across = rng.uniform(-0.6, 0.6) * ext_g;
    const Box pool =
        make_box(centre - front * (ext_f + back + pw / 2) + street * across, street, pl, pw);
    draw_pool(img, s, pool, rng);
    blocked.push_back(pool);
  }

  // Neighbours beside (and sometimes behind) the main house, and a shed.
  std::vector<House> others;
  for (float side : {1.f, -1.f}) {
    if (!rng.chance(0.55)) continue;
    House n;
    n.style = rng.pick(st.style_w);
    n.colour = roof_colours()[n.style == flat ? 5 - 2 * rng.integer(0, 1) : rng.pick(st.roof_w)];
    n.pitch = rng.uniform(0.45, 0.7);
    n.eave_h = rng.uniform(3, 6.5);
    const float nl = s.px(rng.uniform(10, 16)), nw = s.px(rng.uniform(7.5, 10.5));
    const bool along = rng.chance(0.7);
    const Box nb = make_box(P(0, 0), along ? street : front, nl, nw);
    const float gap = s.px(rng.uniform(4, 9));
    const P nc = centre + street * (side * (ext_g + gap + nb.extent(street))) +
                 front * (ext_f - nb.extent(front) + s.px(rng.uniform(-1.5, 1.5)));
    n.parts.push_back(make_box(nc, along ? street : front, nl, nw));
    others.push_back(n);
    blocked.push_back(n.parts.back());
  }
  if (rng.chance(0.3)) {
    House n;
    n.style = rng.pick(st.style_w);
    n.colour = roof_colours()[rng.pick(st.roof_w)];
    n.pitch = rng.uniform(0.45, 0.7);
    n.eave_h = rng.uniform(3, 5);
    const float nl = s.px(rng.uniform(10, 16)), nw = s.px(rng.uniform(7.5, 10.5));
    const float back = s.px(rng.uniform(20, 26)), across = s.px(rng.uniform(-6, 6));
    const P nc = centre - front * (ext_f + back) + street * across;
    n.parts.push_back(make_box(nc, street, nl, nw));
    others.push_back(n);
    blocked.push_back(n.parts.back());
  }
  if (rng.chance(0.3)) {
    House n;
    n.style = rng.chance(0.6) ? gable : flat;
    n.colour = vary(rng, roof_colours()[rng.integer(0, 6)], 0.08f);
    n.pitch = 0.5f;
    n.eave_h = 2.2f;
    const float back = s.px(rng.uniform(5, 11)), across = rng.uniform(-1, 1) * (ext_g + s.px(2));
    const P nc = centre - front * (ext_f + back) + street * across;
    const P dir = rng.chance(0.5) ? street : front;
    const float len = s.px(rng.uniform(2.4, 3.6)), wid = s.px(rng.uniform(2, 2.6));
    const Box shed = make_box(nc, dir, len, wid);
    bool clear = true;
    for (const Box& b : blocked) clear = clear && !b.contains(shed.c, shed.hl + s.px(0.5));
    if (clear) {
      n.parts.push_back(shed);
      others.push_back(n);
      blocked.push_back(shed);
    }
  }

  // Fences or hedges on the lot lines.
  std::vector<Tree> trees;
  std::vector<std::vector<P>> fences;  // drawn after the shadows, which they cast too
  Vec3f fence_colour;
  if (rng.chance(0.55)) {
    const bool hedge = rng.chance(0.35);
    const Vec3f fc = rng.chance(0.5) ? rgb(128, 108, 84) : rgb(150, 150, 146);
    for (float side : {1.f, -1.f}) {
      if (!rng.chance(0.7)) continue;
      const float g = side * (ext_g + s.px(rng.uniform(1.8, 3.5)));
      const P p0 = centre + street * g + front * (ext_f + setback * 0.3f),
              p1 = centre + street * g - front * (ext_f + s.px(14));
      if (hedge) {
        const float step = s.px(0.9);
        const int n = int(cv::norm(p1 - p0) / step);
        for (int i = 0; i <= n; ++i)
          trees.push_back(make_tree(s, rng, p0 + (p1 - p0) * (float(i) / std::max(1, n)),
                                    s.px(rng.uniform(0.8, 1.2)), st.tree));
        for (auto& t : trees) t.height = std::min(t.height, 1.8f);
      } else {
        fences.push_back(segment(p0, p1, std::max(1.2f, s.px(0.15))));
        fence_colour = fc;
      }
    }
  }

  // Building and car shadows, then the cars and the roofs.
  std::vector<Car> cars;
  if (rng.chance(0.45)) {
    const float along = rng.uniform(0.25, 0.75) * driveway.hl * 2 - driveway.hl;
    cars.push_back(make_car(s, rng, driveway.c + driveway.a * along, driveway.a));
  }
  if (has_road && rng.chance(0.35)) {
    const float lane = (rng.chance(0.5) ? 1.f : -1.f) * road_w / 4;
    const P c = q + front * lane + street * (rng.uniform(-0.5, 0.5) * R);
    cars.push_back(make_car(s, rng, c, street));
  }
  cv::Mat1f bshadow = cv::Mat1f::zeros(R, R);
  house_shadow(bshadow, s, main);
  for (const House& h : others) house_shadow(bshadow, s, h);
  cv::Mat1f cshadow = bshadow.clone();
  for (const auto& line : fences) {
    std::vector<P> pts = line;
    for (P c : line) pts.push_back(c + s.off * 1.5f);
    fill_hull(cshadow, pts, 0.7f);
  }
  for (const Car& c : cars) {
    std::vector<P> pts = c.body.corners();
    for (P p : c.body.corners()) pts.push_back(p + s.off * 1.4f);
    fill_hull(cshadow, pts, 1.f);
  }
  apply_shadow(img, cshadow, s, 1.f);
  cv::GaussianBlur(bshadow, bshadow, cv::Size(0, 0), 0.25 * s.ppm);
  for (const Car& c : cars) draw_car(img, c, bshadow);
  for (const auto& line : fences)
    shade_convex(img, line, [&](P p, Vec3f& px) {
      px = fence_colour * (1 - 0.5f * bshadow(int(p.y), int(p.x)));
    });

  for (const House& h : others)
    for (const Box& b : h.parts) draw_roof(img, s, b, h, rng);
  std::vector<Facet> facets, wing_facets;
  for (std::size_t i = 0; i < main.parts.size(); ++i) {
    auto fs = draw_roof(img, s, main.parts[i], main, rng);
    auto& into = i + 1 == main.parts.size() ? facets : wing_facets;
    into.insert(into.end(), fs.begin(), fs.end());
  }

  // Chimney (scene), skylights (details), panels (label).
  if (main.style != flat && rng.chance(0.35)) {
    Facet& f = facets[rng.integer(0, 1)];
    const float w = s.px(rng.uniform(0.7, 1.1));
    const float u = rng.uniform(-1, 1) * std::max(0.f, f.h0 - f.taper * f.depth - s.px(1));
    const Box ch = facet_box(f, u, f.depth - w / 2 - s.px(0.1), w, s.px(rng.uniform(0.7, 1.2)));
    std::vector<P> sh = ch.corners();
    for (P c : ch.corners()) sh.push_back(c + s.off * 1.2f);
    shade_convex(
        img,
        [&] {
          std::vector<P> hh;
          cv::convexHull(sh, hh);
          return hh;
        }(),
        [&](P, Vec3f& px) { px *= 0.55f; });
    fill_convex(img, ch.corners(),
                Vec3f(vary(rng, rng.chance(0.6) ? rgb(128, 72, 58) : rgb(120, 118, 114), 0.05f)));
    f.used.push_back({u - w, u + w, f.depth - 2 * w, f.depth});
  }
  if (drng.chance(0.08)) {
    Facet& f = facets[drng.integer(0, int(facets.size()) - 1)];
    const int n = drng.integer(1, 2);
    const float w = s.px(drng.uniform(0.7, 1.0)), l = s.px(drng.uniform(1.0, 1.4)) * f.fs;
    const float u0 = drng.uniform(-0.5, 0.5) * std::max(0.f, f.h0 - f.taper * f.depth - s.px(1.5));
    const float v = std::min(f.depth * 0.55f, std::max(l, f.depth - s.px(1.5)));
    for (int i = 0; i < n; ++i) {
      const Box sk = facet_box(f, u0 + i * (w + s.px(0.8)), v, w, l);
      fill_convex(img, sk.corners(), Vec3f(rgb(168, 168, 168)));
      fill_convex(img, make_box(sk.c, sk.a, 2 * sk.hl - 2, 2 * sk.hw - 2).corners(),
                  Vec3f(vary(drng, rgb(46, 56, 70), 0.08f)));
    }
  }
  if (label == 1) {
    std::vector<Facet*> order;
    for (Facet& f : facets) order.push_back(&f);
    const std::size_t n_main = order.size();
    // The long planes first, the sunniest (the one facing the equator) first; then hip ends.
    std::stable_sort(order.begin(), order.end(), [](const Facet* a, const Facet* b) {
      const bool la = a->h0 > a->depth * 1.01f, lb = b->h0 > b->depth * 1.01f;
      return la != lb ? la : a->light > b->light;
    });
    for (Facet& f : wing_facets) order.push_back(&f);
    const int want = 1 + prng.pick(std::array<double, 3>{0.55, 0.33, 0.12});
    std::vector<PanelArray> arrays;
    for (int attempt = 0; attempt < 24 && int(arrays.size()) < want; ++attempt) {
      const bool best = arrays.empty() && prng.chance(0.75);
      Facet& f =
          *order[best ? 0
                      : prng.integer(0, std::min(int(order.size()), arrays.empty() ? 4 : 6) - 1)];
      PanelArray a;
      const bool wing = std::find(order.begin() + long(n_main), order.end(), &f) != order.end();
      if (place_array(s, f, prng, a, false, wing ? &main.parts.back() : nullptr))
        arrays.push_back(a);
    }
    if (arrays.empty()) {  // a small array on the largest plane: a positive always shows panels
      Facet* big = order[0];
      for (std::size_t i = 0; i < n_main; ++i)
        if (order[i]->h0 * order[i]->depth > big->h0 * big->depth) big = order[i];
      PanelArray a;
      if (!place_array(s, *big, prng, a, true)) {
        a.f = big, a.pu = s.px(1.0), a.pv = s.px(1.0), a.cols = 2, a.rows = 1, a.u0 = -a.pu,
        a.v0 = big->depth * 0.3f;
        a.colour = rgb(30, 38, 62), a.frame = rgb(150, 156, 166);
      }
      arrays.push_back(a);
    }
    for (const PanelArray& a : arrays) draw_array(img, a);
  }

  // Trees: on lawns, not on houses, pools or drives (crowns may overhang roofs).
  const int n_trees = rng.integer(st.trees_lo, st.trees_hi);
  for (int i = 0; i < n_trees; ++i) {
    float r = s.px(rng.uniform(2.0, 5.0));
    if (rng.chance(0.25)) r *= 0.5f;  // a shrub
    for (int tries = 0; tries < 12; ++tries) {
      P c;
      c.x = rng.uniform(-0.1, 1.1) * float(R);
      c.y = rng.uniform(-0.1, 1.1) * float(R);
      bool ok = true;
      for (const Box& b : blocked) ok = ok && !b.contains(c, r * 0.55f);
      if (has_road) ok = ok && std::abs((c - q).dot(front)) > road_w / 2 + 0.3f * r;
      if (ok) {
        trees.push_back(make_tree(s, rng, c, r, st.tree));
        break;
      }
    }
  }
  if (!trees.empty()) {
    cv::Mat1f tshadow = cv::Mat1f::zeros(R, R);
    for (const Tree& t : trees) tree_shadow(tshadow, s, t);
    apply_shadow(img, tshadow, s, 0.95f);
    for (const Tree& t : trees) draw_tree(img, s, t);
  }

  // The camera: reduce, blur, colour balance and haze, noise.
  cv::Mat3f small;
  cv::resize(img, small, cv::Size(int(size), int(size)), 0, 0, cv::INTER_AREA);
  cv::GaussianBlur(small, small, cv::Size(0, 0), 0.5);
  const float bright = nrng.uniform(0.92, 1.08);
  Vec3f gain;
  for (int c = 0; c < 3; ++c) gain[c] = st.gain[c] * bright * (1 + 0.02f * nrng.normal());
  const float haze = nrng.uniform(st.haze_lo, st.haze_hi);
  const float sigma = nrng.uniform(0.008, 0.016);
  const int side = int(size);
  cv::Mat out(side, side, CV_8UC3);
  for (int y = 0; y < small.rows; ++y)
    for (int x = 0; x < small.cols; ++x) {
      const float lum = sigma * nrng.normal();
      Vec3f c = small(y, x);
      cv::Vec3b& o = out.at<cv::Vec3b>(y, x);
      for (int k = 0; k < 3; ++k) {
        const float v =
            (c[k] * gain[k]) * (1 - haze) + st.haze[k] * haze + lum + 0.5f * sigma * nrng.normal();
        o[k] = cv::saturate_cast<uint8_t>(v * 255.f);
      }
    }
  return out;
}

inline std::string to_text(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

/// Throws std::invalid_argument naming the bad option.
inline void check_options(const SynthOptions& o) {
  if (o.size < 32)
    throw std::invalid_argument("SynthOptions: size must be >= 32, got " + std::to_string(o.size));
  if (o.count < 0)
    throw std::invalid_argument("SynthOptions: count must be >= 0, got " + std::to_string(o.count));
  if (!(o.positive_ratio >= 0 && o.positive_ratio <= 1))
    throw std::invalid_argument("SynthOptions: positive_ratio must be in [0, 1], got " +
                                to_text(o.positive_ratio));
  if (o.region != Region::source && o.region != Region::target)
    throw std::invalid_argument("SynthOptions: unknown region " + std::to_string(int(o.region)));
}

}  // namespace detail

/// One tile, a pure function of (options.seed, options.region, index, label); `count` and
/// `positive_ratio` play no part. The tiles of label 0 and 1 at one index show the same scene,
/// with and without panels. Throws std::invalid_argument for bad options, a negative index or a
/// label other than 0 and 1.
inline SynthTile synth_tile(const SynthOptions& o, int64_t index, int label) {
  detail::check_options(o);
  if (index < 0)
    throw std::invalid_argument("synth_tile: index must be >= 0, got " + std::to_string(index));
  if (label != 0 && label != 1)
    throw std::invalid_argument("synth_tile: label must be 0 or 1, got " + std::to_string(label));
  const uint64_t base = detail::mix64(
      detail::mix64(detail::mix64(o.seed) ^ (uint64_t(o.region) + 0x51u)) ^ uint64_t(index));
  return {detail::render_tile(o.size, o.region, base, label), label};
}

/// The labels of the whole set: exactly round(count * positive_ratio) ones, at positions
/// shuffled (Fisher-Yates, our PRNG) by the seed alone.
inline std::vector<int> synth_labels(const SynthOptions& o) {
  detail::check_options(o);
  const auto n_pos = int64_t(std::llround(double(o.count) * o.positive_ratio));
  std::vector<int> labels(std::size_t(o.count), 0);
  std::fill(labels.begin(), labels.begin() + n_pos, 1);
  detail::SynthRng rng(detail::mix64(o.seed ^ 0x1ABE15ull));
  for (int64_t i = o.count - 1; i > 0; --i) {
    const auto j = int64_t(double(rng.next() >> 11) * 0x1.0p-53 * double(i + 1));
    std::swap(labels[std::size_t(i)], labels[std::size_t(std::min(j, i))]);
  }
  return labels;
}

/// Writes DIR/images/000000.png ... (6 digits, more past a million) and DIR/labels.csv, whose
/// file names (images/000000.png) are relative to DIR
/// ("filename,label" then one row a tile), creating the folders. Returns the number of
/// positives. Throws std::invalid_argument for bad options and std::runtime_error naming the
/// path when a folder or file cannot be written.
inline int64_t write_synth_dataset(const std::filesystem::path& dir, const SynthOptions& o) {
  detail::check_options(o);
  const auto images = dir / "images";
  std::error_code ec;
  std::filesystem::create_directories(images, ec);
  if (ec || !std::filesystem::is_directory(images))
    throw std::runtime_error("write_synth_dataset: cannot create folder " + images.string() +
                             (ec ? ": " + ec.message() : std::string()));
  const auto labels = synth_labels(o);
  std::string csv = "filename,label\n";
  int64_t positives = 0;
  for (int64_t i = 0; i < o.count; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "%06lld.png", static_cast<long long>(i));
    const int label = labels[std::size_t(i)];
    const auto path = images / name;
    bool ok = false;
    try {
      ok = cv::imwrite(path.string(), synth_tile(o, i, label).image);
    } catch (const cv::Exception& e) {
      throw std::runtime_error("write_synth_dataset: cannot write " + path.string() + ": " +
                               e.what());
    }
    if (!ok) throw std::runtime_error("write_synth_dataset: cannot write " + path.string());
    csv += "images/" + std::string(name) + "," + std::to_string(label) + "\n";
    positives += label;
  }
  io::write_file_atomically(dir / "labels.csv", csv);
  return positives;
}

}  // namespace gan::data
