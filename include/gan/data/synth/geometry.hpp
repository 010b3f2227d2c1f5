#pragma once
/// @file
/// The synthetic tiles' drawing primitives: colours, the per-tile scene (render size, sun, noise
/// fields), smooth noise, convex polygons filled or shaded pixel by pixel, discs and oriented
/// boxes.

#include <gan/data/synth/random.hpp>

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>
#include <vector>

namespace gan::data::detail {

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

}  // namespace gan::data::detail
