"""Run an exported generator with ONNX Runtime behind ``TorchInserter``'s signature."""
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np

from mmdgan.synthesis.inserter import check_inputs

from .local_crop import LOCAL_CROP, insert_with_crop_runner, settings_from_metadata
from .metadata import INPUT_NAMES, OUTPUT_NAME, mask_shape_of, parse_metadata
from .session import CUDA, make_session

#: ORT tensor type strings -> numpy dtypes the graph inputs may have.
_ORT_DTYPES = {'tensor(float)': np.float32, 'tensor(float16)': np.float16}


class OrtInserter:
    """An exported generator on ONNX Runtime, called like ``TorchInserter``.

    A local-crop export (``mode=local_crop`` in its metadata) holds the crop
    network only: the windows are cropped and pasted back by the same code as
    in PyTorch, and calls must pass the boxes.

    Args:
        model_path: ``.onnx`` file written by ``deploy/export_onnx.py`` or
            ``deploy/quantize.py``.
        providers: ``None`` (CUDA when it initialises, else CPU), ``'cpu'``,
            ``'cuda'`` or a list of ORT provider names.
        intra_op_num_threads: Threads per operator (``None``: ORT's default,
            one per physical core).
        batch_size: Largest batch run at once (``None``: the whole call).
        optimization: ORT graph optimisation level
            (``'disable' | 'basic' | 'extended' | 'all'``).
    """

    def __init__(self, model_path: Union[str, Path],
                 providers: Union[None, str, Sequence[str]] = None,
                 intra_op_num_threads: Optional[int] = None,
                 batch_size: Optional[int] = None, optimization: str = 'all') -> None:
        model_path = Path(model_path)
        if not model_path.is_file():
            raise FileNotFoundError(f'ONNX model not found: {model_path}')
        if batch_size is not None and batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        self.session = make_session(str(model_path), providers, intra_op_num_threads,
                                    optimization)
        self.metadata = parse_metadata(self.session.get_modelmeta().custom_metadata_map,
                                       str(model_path))
        names = [i.name for i in self.session.get_inputs()]
        if tuple(names) != INPUT_NAMES:
            raise ValueError(f'{model_path}: graph inputs {names}, expected {list(INPUT_NAMES)}')
        self._input_dtypes = [_ORT_DTYPES.get(i.type) for i in self.session.get_inputs()]
        if None in self._input_dtypes:
            raise ValueError(f'{model_path}: unsupported input types '
                             f'{[i.type for i in self.session.get_inputs()]}')
        self.model_path = model_path
        self.in_channels = int(self.metadata['image_channels'])
        # Exports that predate the key were all one-class.
        self.num_classes = int(self.metadata.get('num_classes', 1))
        self.which = self.metadata['which']
        self.precision = self.metadata['precision']
        self.mask_shape = mask_shape_of(self.metadata, str(model_path))
        self.providers = self.session.get_providers()
        self.device = 'cuda' if self.providers[0] == CUDA else 'cpu'
        self.batch_size = batch_size
        self.local_crop = self.metadata.get('mode') == LOCAL_CROP
        self.window_settings = (settings_from_metadata(self.metadata, str(model_path))
                                if self.local_crop else None)

    def __call__(self, images: np.ndarray, masks: np.ndarray,
                 boxes: Optional[Sequence[np.ndarray]] = None) -> np.ndarray:
        """Insert objects.

        Args:
            images: float32 ``(B, C, H, W)`` in ``[-1, 1]``.
            masks: float32 ``(B, 1, H, W)``, 1 inside the insertion boxes.
            boxes: Per image, the ``(K, 4)`` xyxy boxes of the masks; needed
                by local-crop models, ignored by full-image ones.

        Returns:
            float32 ``(B, C, H, W)`` in ``[-1, 1]``.
        """
        check_inputs(images, masks, self.in_channels, self.num_classes)
        if self.local_crop:
            return insert_with_crop_runner(images, masks, boxes, self._run_batched,
                                           self.window_settings, str(self.model_path))
        return self._run_batched(images, masks)

    def _run_batched(self, images: np.ndarray, masks: np.ndarray) -> np.ndarray:
        images = np.ascontiguousarray(images, dtype=self._input_dtypes[0])
        masks = np.ascontiguousarray(masks, dtype=self._input_dtypes[1])
        result = np.empty(images.shape, np.float32)
        step = self.batch_size or max(len(images), 1)
        for start in range(0, len(images), step):
            stop = start + step
            result[start:stop] = self._run(images[start:stop], masks[start:stop])
        return result

    def _run(self, images: np.ndarray, masks: np.ndarray) -> np.ndarray:
        # IO binding: inputs are read in place from numpy memory, and on CUDA
        # the output stays on the device until the single copy back.
        binding = self.session.io_binding()
        binding.bind_cpu_input(INPUT_NAMES[0], images)
        binding.bind_cpu_input(INPUT_NAMES[1], masks)
        binding.bind_output(OUTPUT_NAME, self.device)
        self.session.run_with_iobinding(binding)
        return binding.copy_outputs_to_cpu()[0]
