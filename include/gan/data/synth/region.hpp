#pragma once
/// @file
/// What makes the synthetic dataset's two regions differ the way two real regions do: palette,
/// roof styles and colours, sun, ground sampling distance, haze.

#include <gan/data/synth/geometry.hpp>

#include <array>

namespace gan::data {

/// Which of the two simulated regions a tile comes from.
/// `source`: green lawns, mostly red / brown gable roofs, high sun from the south-east (shadows to
/// the north-west), 0.3 m a pixel at 96 px. `target`: dry yellow-brown ground, more grey / white
/// hip and flat roofs, lower afternoon sun (longer shadows to the north-east), a ground sampling
/// distance 1.22x coarser (buildings ~18% smaller), a slight haze and a warmer colour balance.
enum class Region { source, target };

namespace detail {

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

}  // namespace detail
}  // namespace gan::data
