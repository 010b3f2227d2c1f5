#pragma once
/// @file
/// The things on a synthetic tile, each made and drawn: roofs (gable, hip, flat) and their
/// planes, panel arrays placed on those planes, trees, cars, paved surfaces and pools, and the
/// shadows they cast.

#include <gan/data/synth/geometry.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

namespace gan::data::detail {

/// Darkens (× 0.55) the shadow of a box `height` metres high: the hull of its corners and the
/// corners displaced along the sun.
inline void cast_box_shadow(cv::Mat3f& img, const Scene& s, const Box& b, float height) {
  std::vector<P> sh = b.corners();
  for (P c : b.corners()) sh.push_back(c + s.off * height);
  std::vector<P> hull;
  cv::convexHull(sh, hull);
  shade_convex(img, hull, [&](P, Vec3f& px) { px *= 0.55f; });
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
      cast_box_shadow(img, s, unit, 1.0f);
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

}  // namespace gan::data::detail
