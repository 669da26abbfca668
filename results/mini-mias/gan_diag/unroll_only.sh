#!/usr/bin/env bash
# Sixth round: DetectorGAN with the unroll term only (no L_det^syn), a smaller virtual step
# (inner_lr 0.002) and the unroll weight raised so that inner_lr x weight stays 1e-3, on CV
# fold 0; then its 500-film set, its unroll gain beside the CV's sources and its quality.
# Run from the repository root after the CV's fold-0 units exist (work_dirs/cv/mini-mias-cv).
set -euo pipefail
export OMP_NUM_THREADS=1
PY=.venv/bin/python
CV=$PWD/work_dirs/cv/mini-mias-cv
F=$CV/folds/fold0
W=$CV/fold0/frac1
OUT=work_dirs/diag/dgan_unroll-only_fold0
DIAG=results/mini-mias/gan_diag
DATA="train_dataloader.dataset.data_root=data/mini-mias/ train_dataloader.dataset.clean_ann_file=$F/clean_train.json train_dataloader.dataset.labelled_ann_file=$F/train.json train_dataloader.dataset.box_sampler.ann_file=$F/train.json val_dataloader.dataset.data_root=data/mini-mias/ val_dataloader.dataset.ann_file=$F/eval.json val_evaluator.ann_file=$F/eval.json randomness.seed=0 train_cfg.val_begin=1000000000 train_cfg.max_iters=300 train_dataloader.num_workers=0 train_dataloader.persistent_workers=False"
CHANGE="model.loss_weights.det_syn=0 model.unroll.inner_lr=0.002 model.unroll.weight=0.5"
CONFIG=configs/dgan_retinanet-effnet-lite0_local-crop_1xb4-2k_mini-mias.py
echo "=== GAN $(date -u +%H:%M:%S)"
$PY tools/train.py $CONFIG --work-dir $OUT/gan --resume --cfg-options $DATA $CHANGE \
    default_hooks.checkpoint.interval=25 default_hooks.checkpoint.max_keep_ckpts=1 \
    model.detector_checkpoint=$W/real/real_fold0_seed0/detector/iter_653.pth > $OUT.train.log 2>&1
echo "=== synthesis $(date -u +%H:%M:%S)"
[ -f $OUT/synthetic_n500/train.json ] || $PY tools/synthesize.py $CONFIG $OUT/gan/iter_300.pth \
    --clean $F/clean_train.json --num 500 --out $OUT/synthetic_n500 --seed 0 --no-progress \
    --overwrite --cfg-options $DATA $CHANGE
SETS="copy-paste=$W/copy-paste/gan0-adcb7aa6/synthetic_n500/train.json gan-nodet=$W/gan-nodet/gan0-78e5d46f/synthetic_n500/train.json dgan-nounroll=$W/dgan-nounroll/gan0-adac2e5a/synthetic_n500/train.json dgan=$W/dgan/gan0-72edc347/synthetic_n500/train.json unroll-only=$OUT/synthetic_n500/train.json"
for spec in warm=$W/real/real_fold0_seed0/detector/iter_653.pth gan-end=$W/dgan/gan0-72edc347/gan/iter_300.pth; do
  echo "=== unroll gain at $spec $(date -u +%H:%M:%S)"
  $PY tools/analysis_tools/unroll_gain.py configs/detector/retinanet_effnet-lite0_1xb4-1000it_mini-mias.py \
      ${spec#*=} $F/train.json $SETS --no-real --inner-lr 0.01 0.003 0.001 0.0003 --batches 20 \
      --probe-batches 3 --out $DIAG/unroll_only_gain_${spec%%=*}.json
done
echo "=== quality $(date -u +%H:%M:%S)"
$PY tools/analysis_tools/insertion_quality.py $F/train.json unroll-only=$OUT/synthetic_n500/train.json \
    dgan=$W/dgan/gan0-72edc347/synthetic_n500/train.json gan-nodet=$W/gan-nodet/gan0-78e5d46f/synthetic_n500/train.json \
    --clean-reference $OUT/synthetic_n500/train.json --crop-size=128 --context=0.5 --feature=head \
    --out $DIAG/unroll_only_quality.json
echo "=== done $(date -u +%H:%M:%S)"
