#pragma once
/// @file
/// Line plots, scatter plots and labelled example grids (OpenCV only).

#include <gan/viz/example_grid.hpp>
#include <gan/viz/intervals.hpp>
#include <gan/viz/plot.hpp>
#include <gan/viz/scatter.hpp>
