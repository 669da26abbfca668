#!/usr/bin/env bash
# The main job on the embedded demo data, in two stages: generate the data, train the
# inserter alone on box windows (stage 1: no detector, cheap), fine-tune it briefly with the
# detector in the loop and the unroll (stage 2, from stage 1's weights), write a grid of its
# insertions and a crop gallery (real lesions above clean | inserted pairs), then synthesise
# a labelled dataset with the trained inserter.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
DATA=${DEMO_DATA:-data/demo}
WORK_DIR=${DEMO_WORK_DIR:-work_dirs/demo}
STAGE1=configs/dgan_stage1_local-crop_1xb2-600it_demo.py
CONFIG=configs/dgan_retinanet-effnet-lite0_local-crop_stage2_1xb2-40it_demo.py
DATA_OPTIONS="train_dataloader.dataset.data_root=$DATA/"
DET_OPTIONS="$DATA_OPTIONS val_dataloader.dataset.data_root=$DATA/ \
  test_dataloader.dataset.data_root=$DATA/ val_evaluator.ann_file=$DATA/val.json \
  test_evaluator.ann_file=$DATA/test.json"

if [ ! -f "$DATA/train.json" ]; then
  echo "==> generating demo data in $DATA"
  "$PY" tools/make_demo_data.py --out "$DATA"
fi

echo "==> stage 1: the GAN alone on box windows ($STAGE1) in $WORK_DIR/stage1"
"$PY" tools/train.py "$STAGE1" --work-dir "$WORK_DIR/stage1" --cfg-options $DATA_OPTIONS
STAGE1_CKPT="$WORK_DIR/stage1/$(cat "$WORK_DIR/stage1/last_checkpoint" | xargs basename)"

echo "==> stage 2: DetectorGAN with the unroll, from $STAGE1_CKPT ($CONFIG) in $WORK_DIR"
"$PY" tools/train.py "$CONFIG" --work-dir "$WORK_DIR" \
  --cfg-options model.init_from="$STAGE1_CKPT" $DET_OPTIONS
CKPT="$WORK_DIR/$(cat "$WORK_DIR/last_checkpoint" | xargs basename)"

echo "==> synthesising 16 labelled images with the trained inserter"
"$PY" tools/synthesize.py "$CONFIG" "$CKPT" --clean "$DATA/clean_val.json" \
  --num 16 --out "$WORK_DIR/synthetic" --seed 0 --overwrite

echo "==> crop gallery: real lesions above clean | inserted pairs"
"$PY" tools/analysis_tools/crop_gallery.py "$DATA/train.json" \
  two-stage="$WORK_DIR/synthetic/train.json" --clean-root "$DATA" \
  --out "$WORK_DIR/vis/crop_gallery.png" \
  --title "demo: real lesions; clean | inserted (two-stage DetectorGAN)"

echo "==> done"
echo "    insertion grids:   $WORK_DIR/vis/ (crop gallery: $WORK_DIR/vis/crop_gallery.png)"
echo "    checkpoints:       $STAGE1_CKPT (stage 1), $CKPT (stage 2)"
echo "    synthetic dataset: $WORK_DIR/synthetic/ (COCO json + images)"
