#pragma once
/// @file
/// One synthetic tile drawn, in the order a scene is built: the sun and noise fields, the
/// ground, the lot's layout around the main house, beds, street, driveway, patio and pool,
/// neighbours and a shed, fences or hedges, shadows, cars and roofs, roof details, the panels
/// (label 1), trees, and last the camera (reduce, blur, colour balance, haze, noise).
///
/// Each step draws from the generators in the same order, so a tile is a pure function of
/// (seed, region, index, label). Everything but the panels is drawn from the scene generator;
/// panels from their own; rare confounders (skylights) from `details`; the sensor noise from
/// `noise`: the scene does not depend on the label.

#include <gan/data/synth/objects.hpp>
#include <gan/data/synth/region.hpp>

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

namespace gan::data::detail {

/// The random streams of one tile.
struct TileRngs {
  SynthRng scene, panels, details, noise;
  explicit TileRngs(uint64_t base)
      : scene(base ^ 0x5CE9E5CE9Eull), panels(mix64(base + 1)), details(mix64(base + 2)), noise(mix64(base + 3)) {}
};

/// The render's geometry and sun, and its noise fields.
inline Scene make_scene(int64_t size, const RegionStyle& st, SynthRng& rng) {
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
  return s;
}

/// Ground: lawn, dry patches, mowing stripes.
inline void draw_ground(cv::Mat3f& img, const Scene& s, const RegionStyle& st, SynthRng& rng) {
  const int R = s.R;
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

/// The lot around the main house, filled in step by step.
struct Lot {
  P centre, front, street;  ///< the main house's centre; unit directions to and along the street
  House main;
  float ext_f = 0, ext_g = 0;  ///< the main house's half extent towards and along the street
  bool has_road = false;
  float setback = 0, sidewalk = 0, verge = 0, road_w = 0;
  P q;  ///< the road's centre line passes here
  Box driveway;
  std::vector<Box> blocked;  ///< where trees do not grow
  std::vector<House> others;
  std::vector<Tree> trees;               ///< hedges, then trees
  std::vector<std::vector<P>> fences;    ///< drawn after the shadows, which they cast too
  Vec3f fence_colour;
  std::vector<Car> cars;
  std::vector<Facet> facets, wing_facets;  ///< the main house's planes: its core, its wing
};

/// Layout: the main house near the centre, its front towards the street.
inline Lot lay_out_main_house(const Scene& s, const RegionStyle& st, SynthRng& rng) {
  const int R = s.R;
  Lot lot;
  float theta = rng.uniform(0, 3.14159265);
  if (rng.chance(0.4)) {  // aligned with the image axes, as a grid of streets
    theta = rng.uniform(-0.05, 0.05);
    theta += 1.5707963f * float(rng.integer(0, 1));
  }
  const P axis(std::cos(theta), std::sin(theta));
  P centre(R / 2.f, R / 2.f);
  centre.x += rng.uniform(-0.11, 0.11) * float(R);
  centre.y += rng.uniform(-0.11, 0.11) * float(R);
  House& main = lot.main;
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
  lot.centre = centre;
  lot.front = front;
  lot.street = perp(front);
  lot.ext_f = core.extent(front);
  lot.ext_g = core.extent(lot.street);
  return lot;
}

/// Garden beds (mulch, bark or gravel) along the house.
inline void draw_beds(cv::Mat3f& img, const Scene& s, const Lot& lot, SynthRng& rng) {
  const House& main = lot.main;
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
}

/// Street, sidewalk, verge.
inline void draw_street(cv::Mat3f& img, const Scene& s, const RegionStyle& st, Lot& lot, SynthRng& rng) {
  const int R = s.R;
  lot.has_road = rng.chance(st.road_p);
  lot.setback = s.px(rng.uniform(4.5, 7.5)), lot.sidewalk = s.px(rng.uniform(1.3, 1.9));
  lot.verge = s.px(rng.uniform(0.3, 2.5)), lot.road_w = s.px(rng.uniform(6.5, 9));
  const float sidewalk = lot.sidewalk, verge = lot.verge, road_w = lot.road_w;
  const P front = lot.front, street = lot.street;
  lot.q = lot.centre + front * (lot.ext_f + lot.setback + sidewalk + verge + road_w / 2);
  const P q = lot.q;
  if (!lot.has_road) return;
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

/// The driveway from the garage end to the street (or out of the tile), a patio and a pool
/// behind the house.
inline void draw_yard(cv::Mat3f& img, const Scene& s, const RegionStyle& st, Lot& lot, SynthRng& rng) {
  const P centre = lot.centre, front = lot.front, street = lot.street;
  const float ext_f = lot.ext_f, ext_g = lot.ext_g;
  for (const Box& b : lot.main.parts) lot.blocked.push_back(b);
  {
    const float dw = s.px(rng.uniform(3, 5.5));
    const float len = lot.has_road ? lot.setback + lot.sidewalk + lot.verge + 0.5f : s.px(16);
    const float side = rng.chance(0.5) ? 1.f : -1.f;
    const float g = side * std::max(0.f, ext_g - dw / 2 - s.px(rng.uniform(0.3, 1.5)));
    lot.driveway = make_box(centre + street * g + front * (ext_f + len / 2), front, len, dw);
    const Vec3f dc =
        std::array<Vec3f, 3>{st.concrete, st.asphalt * 0.95f,
                             rgb(150, 122, 104)}[rng.pick(std::array<double, 3>{0.5, 0.3, 0.2})];
    const Vec3f colour = vary(rng, dc, 0.05f);
    draw_surface(img, s, lot.driveway, colour, 11, rng.chance(0.5) ? 3.0f : 0.f);
    lot.blocked.push_back(lot.driveway);
  }
  if (rng.chance(0.4)) {
    const float w = s.px(rng.uniform(3, 6)), dpt = s.px(rng.uniform(2.5, 4));
    const Box patio =
        make_box(centre - front * (ext_f + dpt / 2) + street * (rng.uniform(-0.5, 0.5) * ext_g),
                 street, w, dpt);
    const Vec3f colour = vary(rng, rng.chance(0.6) ? rgb(168, 160, 150) : rgb(142, 106, 76), 0.05f);
    draw_surface(img, s, patio, colour, 13, rng.chance(0.5) ? 0.6f : 0.f);
    lot.blocked.push_back(patio);
  }
  if (rng.chance(st.pool_p)) {
    const float pl = s.px(rng.uniform(6, 10)), pw = s.px(rng.uniform(3.5, 5));
    const float back = s.px(rng.uniform(3, 6)), across = rng.uniform(-0.6, 0.6) * ext_g;
    const Box pool =
        make_box(centre - front * (ext_f + back + pw / 2) + street * across, street, pl, pw);
    draw_pool(img, s, pool, rng);
    lot.blocked.push_back(pool);
  }
}

/// Neighbours beside (and sometimes behind) the main house, and a shed.
inline void place_neighbours(const Scene& s, const RegionStyle& st, Lot& lot, SynthRng& rng) {
  const P centre = lot.centre, front = lot.front, street = lot.street;
  const float ext_f = lot.ext_f, ext_g = lot.ext_g;
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
    lot.others.push_back(n);
    lot.blocked.push_back(n.parts.back());
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
    lot.others.push_back(n);
    lot.blocked.push_back(n.parts.back());
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
    for (const Box& b : lot.blocked) clear = clear && !b.contains(shed.c, shed.hl + s.px(0.5));
    if (clear) {
      n.parts.push_back(shed);
      lot.others.push_back(n);
      lot.blocked.push_back(shed);
    }
  }
}

/// Fences or hedges on the lot lines.
inline void place_fences(const Scene& s, const RegionStyle& st, Lot& lot, SynthRng& rng) {
  if (!rng.chance(0.55)) return;
  const bool hedge = rng.chance(0.35);
  const Vec3f fc = rng.chance(0.5) ? rgb(128, 108, 84) : rgb(150, 150, 146);
  for (float side : {1.f, -1.f}) {
    if (!rng.chance(0.7)) continue;
    const float g = side * (lot.ext_g + s.px(rng.uniform(1.8, 3.5)));
    const P p0 = lot.centre + lot.street * g + lot.front * (lot.ext_f + lot.setback * 0.3f),
            p1 = lot.centre + lot.street * g - lot.front * (lot.ext_f + s.px(14));
    if (hedge) {
      const float step = s.px(0.9);
      const int n = int(cv::norm(p1 - p0) / step);
      for (int i = 0; i <= n; ++i)
        lot.trees.push_back(make_tree(s, rng, p0 + (p1 - p0) * (float(i) / std::max(1, n)),
                                      s.px(rng.uniform(0.8, 1.2)), st.tree));
      for (auto& t : lot.trees) t.height = std::min(t.height, 1.8f);
    } else {
      lot.fences.push_back(segment(p0, p1, std::max(1.2f, s.px(0.15))));
      lot.fence_colour = fc;
    }
  }
}

/// Building and car shadows, then the cars, the fences and the roofs.
inline void draw_buildings(cv::Mat3f& img, const Scene& s, Lot& lot, SynthRng& rng) {
  const int R = s.R;
  const Box& driveway = lot.driveway;
  if (rng.chance(0.45)) {
    const float along = rng.uniform(0.25, 0.75) * driveway.hl * 2 - driveway.hl;
    lot.cars.push_back(make_car(s, rng, driveway.c + driveway.a * along, driveway.a));
  }
  if (lot.has_road && rng.chance(0.35)) {
    const float lane = (rng.chance(0.5) ? 1.f : -1.f) * lot.road_w / 4;
    const P c = lot.q + lot.front * lane + lot.street * (rng.uniform(-0.5, 0.5) * R);
    lot.cars.push_back(make_car(s, rng, c, lot.street));
  }
  cv::Mat1f bshadow = cv::Mat1f::zeros(R, R);
  house_shadow(bshadow, s, lot.main);
  for (const House& h : lot.others) house_shadow(bshadow, s, h);
  cv::Mat1f cshadow = bshadow.clone();
  for (const auto& line : lot.fences) {
    std::vector<P> pts = line;
    for (P c : line) pts.push_back(c + s.off * 1.5f);
    fill_hull(cshadow, pts, 0.7f);
  }
  for (const Car& c : lot.cars) {
    std::vector<P> pts = c.body.corners();
    for (P p : c.body.corners()) pts.push_back(p + s.off * 1.4f);
    fill_hull(cshadow, pts, 1.f);
  }
  apply_shadow(img, cshadow, s, 1.f);
  cv::GaussianBlur(bshadow, bshadow, cv::Size(0, 0), 0.25 * s.ppm);
  for (const Car& c : lot.cars) draw_car(img, c, bshadow);
  for (const auto& line : lot.fences)
    shade_convex(img, line, [&](P p, Vec3f& px) {
      px = lot.fence_colour * (1 - 0.5f * bshadow(int(p.y), int(p.x)));
    });

  for (const House& h : lot.others)
    for (const Box& b : h.parts) draw_roof(img, s, b, h, rng);
  for (std::size_t i = 0; i < lot.main.parts.size(); ++i) {
    auto fs = draw_roof(img, s, lot.main.parts[i], lot.main, rng);
    auto& into = i + 1 == lot.main.parts.size() ? lot.facets : lot.wing_facets;
    into.insert(into.end(), fs.begin(), fs.end());
  }
}

/// A chimney (scene) and skylights (details) on the main roof.
inline void draw_roof_details(cv::Mat3f& img, const Scene& s, Lot& lot, SynthRng& rng, SynthRng& drng) {
  auto& facets = lot.facets;
  if (lot.main.style != flat && rng.chance(0.35)) {
    Facet& f = facets[rng.integer(0, 1)];
    const float w = s.px(rng.uniform(0.7, 1.1));
    const float u = rng.uniform(-1, 1) * std::max(0.f, f.h0 - f.taper * f.depth - s.px(1));
    const Box ch = facet_box(f, u, f.depth - w / 2 - s.px(0.1), w, s.px(rng.uniform(0.7, 1.2)));
    cast_box_shadow(img, s, ch, 1.2f);
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
}

/// The label: 1 to 3 panel arrays on the main roof's planes, the sunniest long plane first; a
/// positive always shows panels.
inline void draw_panels(cv::Mat3f& img, const Scene& s, Lot& lot, SynthRng& prng) {
  std::vector<Facet*> order;
  for (Facet& f : lot.facets) order.push_back(&f);
  const std::size_t n_main = order.size();
  // The long planes first, the sunniest (the one facing the equator) first; then hip ends.
  std::stable_sort(order.begin(), order.end(), [](const Facet* a, const Facet* b) {
    const bool la = a->h0 > a->depth * 1.01f, lb = b->h0 > b->depth * 1.01f;
    return la != lb ? la : a->light > b->light;
  });
  for (Facet& f : lot.wing_facets) order.push_back(&f);
  const int want = 1 + prng.pick(std::array<double, 3>{0.55, 0.33, 0.12});
  std::vector<PanelArray> arrays;
  for (int attempt = 0; attempt < 24 && int(arrays.size()) < want; ++attempt) {
    const bool best = arrays.empty() && prng.chance(0.75);
    Facet& f =
        *order[best ? 0
                    : prng.integer(0, std::min(int(order.size()), arrays.empty() ? 4 : 6) - 1)];
    PanelArray a;
    const bool wing = std::find(order.begin() + long(n_main), order.end(), &f) != order.end();
    if (place_array(s, f, prng, a, false, wing ? &lot.main.parts.back() : nullptr))
      arrays.push_back(a);
  }
  if (arrays.empty()) {  // a small array on the largest plane
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

/// Trees: on lawns, not on houses, pools or drives (crowns may overhang roofs); their shadows.
inline void draw_trees(cv::Mat3f& img, const Scene& s, const RegionStyle& st, Lot& lot, SynthRng& rng) {
  const int R = s.R;
  const int n_trees = rng.integer(st.trees_lo, st.trees_hi);
  for (int i = 0; i < n_trees; ++i) {
    float r = s.px(rng.uniform(2.0, 5.0));
    if (rng.chance(0.25)) r *= 0.5f;  // a shrub
    for (int tries = 0; tries < 12; ++tries) {
      P c;
      c.x = rng.uniform(-0.1, 1.1) * float(R);
      c.y = rng.uniform(-0.1, 1.1) * float(R);
      bool ok = true;
      for (const Box& b : lot.blocked) ok = ok && !b.contains(c, r * 0.55f);
      if (lot.has_road) ok = ok && std::abs((c - lot.q).dot(lot.front)) > lot.road_w / 2 + 0.3f * r;
      if (ok) {
        lot.trees.push_back(make_tree(s, rng, c, r, st.tree));
        break;
      }
    }
  }
  if (lot.trees.empty()) return;
  cv::Mat1f tshadow = cv::Mat1f::zeros(R, R);
  for (const Tree& t : lot.trees) tree_shadow(tshadow, s, t);
  apply_shadow(img, tshadow, s, 0.95f);
  for (const Tree& t : lot.trees) draw_tree(img, s, t);
}

/// The camera: reduce to `size`, blur, colour balance and haze, sensor noise; 8-bit BGR.
inline cv::Mat camera(const cv::Mat3f& img, int64_t size, const RegionStyle& st, SynthRng& nrng) {
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

/// One tile: the steps above in order.
inline cv::Mat render_tile(int64_t size, Region region, uint64_t base, int label) {
  TileRngs g(base);
  const RegionStyle& st = region_style(region);
  const Scene s = make_scene(size, st, g.scene);
  cv::Mat3f img(s.R, s.R);
  draw_ground(img, s, st, g.scene);
  Lot lot = lay_out_main_house(s, st, g.scene);
  draw_beds(img, s, lot, g.scene);
  draw_street(img, s, st, lot, g.scene);
  draw_yard(img, s, st, lot, g.scene);
  place_neighbours(s, st, lot, g.scene);
  place_fences(s, st, lot, g.scene);
  draw_buildings(img, s, lot, g.scene);
  draw_roof_details(img, s, lot, g.scene, g.details);
  if (label == 1) draw_panels(img, s, lot, g.panels);
  draw_trees(img, s, st, lot, g.scene);
  return camera(img, size, st, g.noise);
}

}  // namespace gan::data::detail
