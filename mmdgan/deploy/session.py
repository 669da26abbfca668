"""ONNX Runtime sessions with an explicit, quiet provider choice."""
import functools
from typing import List, Optional, Sequence, Union

import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

CPU = 'CPUExecutionProvider'
CUDA = 'CUDAExecutionProvider'
#: ORT logging severities: 3 = error, 4 = fatal.
LOG_ERROR, LOG_FATAL = 3, 4
OPT_LEVELS = {
    'disable': ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
    'basic': ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    'extended': ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    'all': ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
}


def _probe_model() -> bytes:
    """A one-node float model, enough to see whether a provider initialises."""
    x = helper.make_tensor_value_info('x', TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info('y', TensorProto.FLOAT, [1])
    graph = helper.make_graph([helper.make_node('Relu', ['x'], ['y'])], 'probe', [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)])
    model.ir_version = min(model.ir_version, 8)
    return model.SerializeToString()


@functools.cache
def cuda_usable() -> bool:
    """Whether ``CUDAExecutionProvider`` is listed *and* actually initialises.

    onnxruntime-gpu lists CUDA even on a machine without the CUDA libraries;
    creating a session then logs a loud error and falls back to CPU. The probe
    runs once per process with ORT's logger at fatal level so it stays silent.
    """
    if CUDA not in ort.get_available_providers():
        return False
    ort.set_default_logger_severity(LOG_FATAL)
    try:
        options = ort.SessionOptions()
        options.log_severity_level = LOG_FATAL
        session = ort.InferenceSession(_probe_model(), options, providers=[CUDA, CPU])
        return session.get_providers()[0] == CUDA
    except Exception:  # noqa: BLE001 - any failure means "not usable"
        return False
    finally:
        ort.set_default_logger_severity(LOG_ERROR)


def resolve_providers(providers: Union[None, str, Sequence[str]]) -> List[str]:
    """Turn a provider request into the list passed to ORT.

    Args:
        providers: ``None`` (CUDA when usable, else CPU), ``'cpu'``,
            ``'cuda'`` (error when not usable) or an explicit list of ORT
            provider names.

    Returns:
        Provider names in priority order.
    """
    if providers is None:
        return [CUDA, CPU] if cuda_usable() else [CPU]
    if isinstance(providers, str):
        choice = providers.lower()
        if choice == 'cpu':
            return [CPU]
        if choice == 'cuda':
            if not cuda_usable():
                raise RuntimeError(
                    'providers="cuda": CUDAExecutionProvider is not usable here '
                    f'(available: {ort.get_available_providers()}, CUDA libraries missing?)')
            return [CUDA, CPU]
        raise ValueError(f"providers must be None, 'cpu', 'cuda' or a list, got {providers!r}")
    names = list(providers)
    unknown = [p for p in names if p not in ort.get_available_providers()]
    if unknown or not names:
        raise ValueError(f'providers {names}: unknown or unavailable {unknown}; '
                         f'available: {ort.get_available_providers()}')
    if CUDA in names and not cuda_usable():
        raise RuntimeError('CUDAExecutionProvider requested but it does not initialise here')
    return names


def make_session(model: Union[str, bytes, onnx.ModelProto],
                 providers: Union[None, str, Sequence[str]] = 'cpu',
                 intra_op_num_threads: Optional[int] = None,
                 optimization: str = 'all') -> ort.InferenceSession:
    """Create an inference session that only logs errors.

    Args:
        model: Path, serialized bytes or a ``ModelProto``.
        providers: See :func:`resolve_providers`.
        intra_op_num_threads: Threads for one operator (``None``: ORT's
            default, one per physical core).
        optimization: ``'disable' | 'basic' | 'extended' | 'all'``.

    Raises:
        ValueError: If ``model`` is not loadable by ORT.
    """
    ort.set_default_logger_severity(LOG_ERROR)
    options = ort.SessionOptions()
    options.log_severity_level = LOG_ERROR
    if optimization not in OPT_LEVELS:
        raise ValueError(f'optimization must be one of {sorted(OPT_LEVELS)}, got {optimization!r}')
    options.graph_optimization_level = OPT_LEVELS[optimization]
    if intra_op_num_threads is not None:
        if intra_op_num_threads < 1:
            raise ValueError(f'intra_op_num_threads must be >= 1, got {intra_op_num_threads}')
        options.intra_op_num_threads = intra_op_num_threads
    # The generator is one chain of convolutions: nothing to run in parallel
    # between operators, and a second pool only competes for the cores.
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    if isinstance(model, onnx.ModelProto):
        model = model.SerializeToString()
    source = model if isinstance(model, str) else '<in-memory model>'
    try:
        return ort.InferenceSession(model, options, providers=resolve_providers(providers))
    except (ort.capi.onnxruntime_pybind11_state.InvalidProtobuf,
            ort.capi.onnxruntime_pybind11_state.InvalidGraph,
            ort.capi.onnxruntime_pybind11_state.Fail) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f'{source}: not a loadable ONNX model ({first_line})') from None
