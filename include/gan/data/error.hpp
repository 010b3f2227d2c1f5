#pragma once
/// @file
/// `gan::data::DataError`, the error of bad input data: `gan::Error` (gan/error.hpp) under the
/// name the data code gave it first.

#include <gan/error.hpp>
