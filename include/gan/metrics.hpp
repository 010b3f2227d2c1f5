#pragma once
/// @file
/// Metrics: classification reports, FID and KID, pytorch-fid's Inception, the sets of a distance.

#include <gan/metrics/classification.hpp>
#include <gan/metrics/fid.hpp>
#include <gan/metrics/fid_inception.hpp>
#include <gan/metrics/fid_stats.hpp>
#include <gan/metrics/image_sets.hpp>
#include <gan/metrics/prdc.hpp>
#include <gan/metrics/ranking.hpp>
