"""Writes models/fixtures/affine_relu.onnx: y = relu(x @ W + b), x: f32[1,4], y: f32[1,3].

A tiny, human-checkable model used by the native-stack tests to prove that ONNX Runtime loads
and computes (the expected output is computed by hand in tests/tests/native_ort.rs).
Run: .venv/bin/python models/tools/make_fixture_model.py
"""
import pathlib

import onnx
from onnx import TensorProto, helper

W = [[1.0, 0.0, -1.0],
     [2.0, 1.0, 0.0],
     [0.0, -3.0, 1.0],
     [0.5, 0.5, 0.5]]
B = [0.25, -1.0, 0.0]

x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])
w = helper.make_tensor("W", TensorProto.FLOAT, [4, 3], [v for row in W for v in row])
b = helper.make_tensor("B", TensorProto.FLOAT, [3], B)
graph = helper.make_graph(
    [
        helper.make_node("MatMul", ["x", "W"], ["xw"]),
        helper.make_node("Add", ["xw", "B"], ["z"]),
        helper.make_node("Relu", ["z"], ["y"]),
    ],
    "affine_relu",
    [x],
    [y],
    [w, b],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                          producer_name="touchline-fixtures")
model.ir_version = 8
onnx.checker.check_model(model)
out = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "affine_relu.onnx"
out.write_bytes(model.SerializeToString())
print(f"wrote {out} ({out.stat().st_size} bytes)")
