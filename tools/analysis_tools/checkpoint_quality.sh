#!/usr/bin/env bash
# Insertion quality of one DetectorGAN checkpoint (issue 31): synthesise NUM films from the
# held-out clean films, score them against the lesion crops of Y train (kernel distance, with
# its standard error) with the untouched films at the same boxes as the reference.
#   [CLEAN=clean_test.json] bash tools/analysis_tools/checkpoint_quality.sh NAME CONFIG CHECKPOINT DATA [NUM] [OUT_DIR]
# CLEAN (default clean_val.json) names the clean films: score on clean_test.json a checkpoint
# that was picked by the InsertionQualityHook on clean_val.json, so the two sets are disjoint.
set -euo pipefail
NAME=$1 CONFIG=$2 CKPT=$3 DATA=$4 NUM=${5:-500} OUT=${6:-work_dirs/quality}
PY=${PY:-.venv/bin/python} CLEAN=${CLEAN:-clean_val.json}
"$PY" tools/synthesize.py "$CONFIG" "$CKPT" --clean "$DATA/$CLEAN" --num "$NUM" \
  --out "$OUT/$NAME" --seed 0 --overwrite --no-progress \
  --cfg-options train_dataloader.dataset.data_root="$DATA/"
"$PY" tools/analysis_tools/insertion_quality.py "$DATA/train.json" \
  "$NAME=$OUT/$NAME/train.json" --clean-reference "$OUT/$NAME/train.json" \
  --clean-root "$DATA" --out "$OUT/$NAME.json"
