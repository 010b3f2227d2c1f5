#pragma once
/// @file
/// Data: labels CSVs, image folders, the loader, splits, oversampling, the synthetic rooftops (libtorch, OpenCV).

#include <gan/data/csv.hpp>
#include <gan/data/dihedral.hpp>
#include <gan/data/error.hpp>
#include <gan/data/image_folder.hpp>
#include <gan/data/loader.hpp>
#include <gan/data/oversample.hpp>
#include <gan/data/random.hpp>
#include <gan/data/split.hpp>
#include <gan/data/split_file.hpp>
#include <gan/data/synth.hpp>
#include <gan/data/toy.hpp>
