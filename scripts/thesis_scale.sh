#!/usr/bin/env bash
# The thesis-scale protocol as one DVC experiment: 174 px model inputs, the thesis' 542 images,
# its corruption ranges, ImageNet weights, 100 epochs, batch 64, Adam at its default 1e-3, a
# 50-level threshold sweep, and Table 7's level counts (6 below each threshold, 7 from it up).
# For a GPU box (TensorFlow with CUDA, e.g. `pip install "tensorflow[and-cuda]==2.21.0"`); the
# training stages then use mixed precision and every GPU.
# ImageNet weights download through Keras; offline, place the two *_notop.h5 files under
# ~/.keras/models/ first. Usage: scripts/thesis_scale.sh [experiment-name]
set -euo pipefail
cd "$(dirname "$0")/.."
overrides=(
  base.image_size=174
  ingest.images_per_plane=181
  corrupt.blur_radius_px=[1,10]
  threshold_sweep.weights=imagenet
  threshold_sweep.epochs=30
  threshold_sweep.batch_size=64
  threshold_sweep.augment=false
  threshold_sweep.validation_fraction=0.2
  threshold_sweep.levels=50
  threshold_sweep.blur_range=[0,20]
  train_vgg16.weights=imagenet
  train_vgg16.epochs=100
  train_vgg16.batch_size=64
  train_vgg16.learning_rate=0.001
  train_xception.weights=imagenet
  train_xception.epochs=100
  train_xception.batch_size=64
  train_xception.learning_rate=0.001
  ssim_eval.levels_below=6
  ssim_eval.levels_above=7
)
args=()
for o in "${overrides[@]}"; do args+=(-S "$o"); done
exec dvc exp run --name "${1:-thesis-scale}" "${args[@]}"
