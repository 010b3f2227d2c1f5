#pragma once
/// @file
/// The oversampling experiment and the choice of positive clusters.

#include <gan/experiment/oversampling.hpp>
#include <gan/experiment/positive_clusters.hpp>
