#pragma once
/// @file
/// File formats: atomic files, checksummed torch archives, zip, .npz, .pth, tensors and features files, INI, CSV tables, hashes.

#include <gan/io/archive.hpp>
#include <gan/io/atomic_file.hpp>
#include <gan/io/features_file.hpp>
#include <gan/io/hash.hpp>
#include <gan/io/ini.hpp>
#include <gan/io/npz.hpp>
#include <gan/io/pth_reader.hpp>
#include <gan/io/pth_tensor.hpp>
#include <gan/io/string_tensor.hpp>
#include <gan/io/table.hpp>
#include <gan/io/zip.hpp>
