#pragma once
/// @file
/// Images: decoding, writing, grids of tensors (OpenCV, libtorch).

#include <gan/image/grid.hpp>
#include <gan/image/read.hpp>
#include <gan/image/write.hpp>
