#!/usr/bin/env bash
# The main job on the embedded demo data: generate the data, train DetectorGAN
# briefly with the detector in the loop, write a grid of its insertions, then
# synthesise a labelled dataset with the trained inserter.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
DATA=${DEMO_DATA:-data/demo}
WORK_DIR=${DEMO_WORK_DIR:-work_dirs/demo}
CONFIG=configs/dgan_retinanet-effnet-lite0_1xb2-20it_demo.py

if [ ! -f "$DATA/train.json" ]; then
  echo "==> generating demo data in $DATA"
  "$PY" tools/make_demo_data.py --out "$DATA"
fi

echo "==> training DetectorGAN ($CONFIG) in $WORK_DIR"
"$PY" tools/train.py "$CONFIG" --work-dir "$WORK_DIR"

CKPT="$WORK_DIR/$(cat "$WORK_DIR/last_checkpoint" | xargs basename)"
echo "==> synthesising 16 labelled images with the trained inserter"
"$PY" tools/synthesize.py "$CONFIG" "$CKPT" --clean "$DATA/clean_val.json" \
  --num 16 --out "$WORK_DIR/synthetic" --seed 0 --overwrite

echo "==> done"
echo "    insertion grids:   $WORK_DIR/vis/"
echo "    checkpoint:        $CKPT"
echo "    synthetic dataset: $WORK_DIR/synthetic/ (COCO json + images)"
