// Precompiled header shared by all tests.
#pragma once
#include <gtest/gtest.h>
#include <gan/gan.hpp>
#include <torch/torch.h>
