#pragma once
/// @file
/// Clustering the features: k-means, hierarchical, scores, t-SNE, the method's clustering step (Eigen).

#include <gan/cluster/features.hpp>
#include <gan/cluster/hierarchical.hpp>
#include <gan/cluster/kmeans.hpp>
#include <gan/cluster/method.hpp>
#include <gan/cluster/scores.hpp>
#include <gan/cluster/tsne.hpp>
