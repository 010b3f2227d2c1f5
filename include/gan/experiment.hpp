#pragma once
/// @file
/// The oversampling experiment and the choice of positive clusters.

#include <gan/experiment/comparison.hpp>
#include <gan/experiment/comparison_plot.hpp>
#include <gan/experiment/oversampling.hpp>
#include <gan/experiment/positive_clusters.hpp>
#include <gan/experiment/results.hpp>
