#!/bin/bash
# One-off GPU run (device tool, H200 image: Python 3.12, torch 2.11+cu130, no OpenMMLab):
# the local-crop Lite0 DetectorGAN on mini-MIAS (256 px data), exact unroll, in-loop detector
# warm-started from the aug256_2k seed-0 real-only detector, for ITERS iterations or until
# BUDGET seconds after start. mmcv is installed without compiled ops plus a stub _ext
# (nothing in the GAN's train step calls an mmcv kernel; validation is off).
set -o pipefail
T0=$(date +%s)
PY=${PY:-python3}
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=4
if [ -z "$LOCAL_TEST" ]; then
  $PY -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl || exit 1
  PYTHONPATH=/tmp/site MMCV_WITH_OPS=0 $PY -m pip install -q --no-build-isolation --no-deps \
    --no-index --target /tmp/site .whl/mmcv-2.1.0.tar.gz || exit 1
  cp work_dirs/device/mmcv_ext_stub.py /tmp/site/mmcv/_ext.py
  SITE=/tmp/site
else
  SITE=/tmp/stubsite
fi
export PYTHONPATH=$SITE:$PWD
$PY -c "import torch, mmcv, mmdet, mmengine, mmdgan, numpy; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '-', 'mmcv', mmcv.__version__, 'mmdet', mmdet.__version__, 'mmengine', mmengine.__version__, 'numpy', numpy.__version__)" || exit 1
echo "setup took $(( $(date +%s) - T0 )) s"
W=${WORK:-/tmp/gan}
LEFT=$(( ${BUDGET:-520} - ($(date +%s) - T0) ))
timeout --signal=INT $LEFT $PY tools/train.py configs/dgan_retinanet-effnet-lite0_local-crop_1xb4-2k_mini-mias.py \
  --work-dir $W --cfg-options train_dataloader.dataset.data_root=data/mini-mias-256/ \
  model.detector_checkpoint=work_dirs/device/det_aug256_2k_seed0.pth \
  train_cfg.max_iters=${ITERS:-2000} train_cfg.val_interval=1000000 \
  default_hooks.checkpoint.interval=${CKPT:-250} default_hooks.checkpoint.max_keep_ckpts=1 \
  default_hooks.logger.interval=${LOGI:-25} \
  train_dataloader.num_workers=4 train_dataloader.persistent_workers=True \
  2>&1 | grep -v -i "warn" > $OUT/train.log
RC=$?
echo "train rc=$RC after $(( $(date +%s) - T0 )) s"
if [ $RC -ne 124 ] && ! ls $W/iter_*.pth >/dev/null 2>&1; then
  # The GPU run failed early: spend what is left on the 16 CPU cores instead.
  tail -30 $OUT/train.log; mv $OUT/train.log $OUT/train_cuda_failed.log
  LEFT=$(( ${BUDGET:-520} - ($(date +%s) - T0) ))
  echo "falling back to CPU for $LEFT s"
  CUDA_VISIBLE_DEVICES= OMP_NUM_THREADS=12 timeout --signal=INT $LEFT $PY tools/train.py configs/dgan_retinanet-effnet-lite0_local-crop_1xb4-2k_mini-mias.py \
    --work-dir $W --cfg-options train_dataloader.dataset.data_root=data/mini-mias-256/ \
    model.detector_checkpoint=work_dirs/device/det_aug256_2k_seed0.pth \
    train_cfg.max_iters=${ITERS:-2000} train_cfg.val_interval=1000000 \
    default_hooks.checkpoint.interval=50 default_hooks.checkpoint.max_keep_ckpts=1 \
    default_hooks.logger.interval=10 train_dataloader.num_workers=2 \
    2>&1 | grep -v -i "warn" > $OUT/train.log
  echo "cpu train rc=$? after $(( $(date +%s) - T0 )) s"
fi
grep "Iter(train)\|InsertionQualityHook" $OUT/train.log | tail -40 | cut -c1-330
$PY - "$W" "$OUT" <<'PY'
import glob, os, shutil, sys, torch
work, out = sys.argv[1:]
ckpts = sorted(glob.glob(f'{work}/iter_*.pth'), key=os.path.getmtime)
if ckpts:
    ck = torch.load(ckpts[-1], map_location='cpu', weights_only=False)
    sd = ck['state_dict']
    keep = {k: v for k, v in sd.items() if k.startswith(('generator_x.', 'generator_y.'))}
    torch.save({'state_dict': keep, 'meta': {'iter': ck['meta'].get('iter'), 'source': ckpts[-1]}},
               f'{out}/generators.pth')
    det = {k: v for k, v in sd.items() if k.startswith('detector.')}
    torch.save({'state_dict': det, 'meta': {'iter': ck['meta'].get('iter')}}, f'{out}/detector.pth')
    print('saved', ckpts[-1], len(keep), len(det))
if os.path.isfile(f'{work}/insertion_quality.json'):
    shutil.copy(f'{work}/insertion_quality.json', out)
grids = sorted(glob.glob(f'{work}/vis/iter_*.png'))
for g in sorted({*grids[-1:], *grids[len(grids) // 2:len(grids) // 2 + 1], *grids[:1]}):
    shutil.copy(g, out)
print(os.listdir(out))
PY
