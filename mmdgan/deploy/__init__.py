"""Deployment of the generators: ONNX export, ONNX Runtime inference,
int8/fp16 variants with a quality gate, and benchmarking."""
from .export import ExportReport, check_parity, export_generator, export_onnx, to_onnx_proto
from .float16 import convert_to_fp16
from .metadata import generator_metadata, parse_metadata, read_metadata, write_metadata
from .onnx_io import load_onnx, save_onnx_atomic
from .ort_inserter import OrtInserter, check_inputs
from .quantize import QuantizeReport, gate_candidate, psnr, quantize_int8, quantize_model
from .session import cuda_usable, make_session, resolve_providers

__all__ = [
    'ExportReport', 'OrtInserter', 'QuantizeReport', 'check_inputs', 'check_parity',
    'convert_to_fp16', 'cuda_usable', 'export_generator', 'export_onnx', 'gate_candidate',
    'generator_metadata', 'load_onnx', 'make_session', 'parse_metadata', 'psnr',
    'quantize_int8', 'quantize_model', 'read_metadata', 'resolve_providers',
    'save_onnx_atomic', 'write_metadata'
]
