"""fp32 -> fp16 conversion of an exported generator graph.

``onnxconverter_common`` is not a dependency, and the copy of its converter
shipped in ``onnxruntime.transformers.float16`` produces invalid graphs for
dynamo exports on onnxruntime 1.31 (duplicate Cast outputs, nodes out of
topological order). This converter is deliberately small and conservative:

* every float initializer, ``Constant`` and ``Cast(to=float)`` becomes fp16,
  except Resize's ``roi``/``scales`` inputs, which ONNX requires in fp32;
* ``InstanceNormalization`` runs in fp32 between Casts: its variance over a
  whole 256x256 plane overflows fp16 easily;
* inputs and outputs stay float32 (Casts at the graph's edges), so callers
  feed a fp16 model exactly like the fp32 one.

The result is always checked by the caller's PSNR gate.
"""
from typing import Dict, List, Set

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

#: Node inputs that must stay float32 whatever the compute type.
FP32_INPUTS: Dict[str, Set[int]] = {'Resize': {1, 2}}
#: Operators computed in float32 inside the fp16 graph.
FP32_OPS = {'InstanceNormalization'}
FP16_MAX = float(np.finfo(np.float16).max)


def _to_fp16_tensor(tensor: TensorProto) -> TensorProto:
    array = numpy_helper.to_array(tensor).astype(np.float32)
    return numpy_helper.from_array(np.clip(array, -FP16_MAX, FP16_MAX).astype(np.float16),
                                   tensor.name)


def _rename_inputs(nodes: List[onnx.NodeProto], old: str, new: str) -> None:
    for node in nodes:
        for i, name in enumerate(node.input):
            if name == old:
                node.input[i] = new


def convert_to_fp16(model: onnx.ModelProto) -> onnx.ModelProto:
    """Return an fp16 copy of ``model`` with float32 inputs and outputs."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    nodes = list(graph.node)
    keep = {node.input[i] for node in nodes for i in FP32_INPUTS.get(node.op_type, ())
            if i < len(node.input) and node.input[i]}
    keep |= {name for node in nodes if node.op_type in FP32_OPS for name in node.input[1:]}

    for i, init in enumerate(graph.initializer):
        if init.data_type == TensorProto.FLOAT and init.name not in keep:
            graph.initializer[i].CopyFrom(_to_fp16_tensor(init))
    for node in nodes:
        if node.output[0] in keep:
            continue
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.TENSOR and attr.t.data_type == TensorProto.FLOAT:
                attr.t.CopyFrom(_to_fp16_tensor(attr.t))
            if (node.op_type == 'Cast' and attr.name == 'to'
                    and attr.i == TensorProto.FLOAT):
                attr.i = TensorProto.FLOAT16

    new_nodes: List[onnx.NodeProto] = []
    for inp in graph.input:
        if inp.type.tensor_type.elem_type == TensorProto.FLOAT:
            _rename_inputs(nodes, inp.name, inp.name + '_fp16')
            new_nodes.append(helper.make_node('Cast', [inp.name], [inp.name + '_fp16'],
                                              to=TensorProto.FLOAT16,
                                              name=inp.name + '_to_fp16'))
    for node in nodes:
        if node.op_type not in FP32_OPS:
            new_nodes.append(node)
            continue
        data, out = node.input[0], node.output[0]
        new_nodes.append(helper.make_node('Cast', [data], [data + '_fp32'],
                                          to=TensorProto.FLOAT, name=node.name + '_in_fp32'))
        node.input[0], node.output[0] = data + '_fp32', out + '_fp32'
        new_nodes.append(node)
        new_nodes.append(helper.make_node('Cast', [out + '_fp32'], [out],
                                          to=TensorProto.FLOAT16, name=node.name + '_out_fp16'))
    for out in graph.output:
        if out.type.tensor_type.elem_type == TensorProto.FLOAT:
            for node in new_nodes:
                node.output[:] = [o + '_fp16' if o == out.name else o for o in node.output]
            _rename_inputs(new_nodes, out.name, out.name + '_fp16')
            new_nodes.append(helper.make_node('Cast', [out.name + '_fp16'], [out.name],
                                              to=TensorProto.FLOAT, name=out.name + '_to_fp32'))
    del graph.node[:]
    graph.node.extend(new_nodes)
    # Recorded intermediate types are float32 and now wrong; ORT re-infers them.
    del graph.value_info[:]
    onnx.checker.check_model(model)
    return model
