#pragma once
/// @file
/// The Markdown and self-contained HTML report (no libtorch).

#include <gan/report/report.hpp>
