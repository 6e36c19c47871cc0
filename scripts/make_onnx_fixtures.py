#!/usr/bin/python3
"""Writes the ONNX front end's fixtures into tests/onnx/ (run with /usr/bin/python3,
which has torch and onnx):

  NAME.onnx      a tiny PyTorch model (seeded random weights, batchnorm statistics
                 made non-trivial) exported with torch.onnx.export(opset_version=13,
                 do_constant_folding=True)
  NAME.x.npy     its input, [1, C, H, W] float32
  NAME.y.npy     PyTorch's output computed in float64, stored as float32 (.npy is f4 here)
  fixtures.json  NAME -> {"err32": max |PyTorch float32 - float64|}: the test's
                 tolerance is max(1e-4 * max|y|, 4 * err32)
  errors/NAME.onnx + errors.json  malformed or unsupported models -> the text
                 their error must contain

Usage: /usr/bin/python3 scripts/make_onnx_fixtures.py
"""
import json, pathlib

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper

OUT = pathlib.Path(__file__).resolve().parent.parent / 'tests' / 'onnx'


class Convs(nn.Module):
    """Conv variants, batchnorm, pools (ceil_mode, count_include_pad), flatten, Gemm, softmax."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 20, 3, padding=1)
        self.bn = nn.BatchNorm2d(20)
        self.c2 = nn.Conv2d(20, 20, 3, stride=2, dilation=2, padding=2, groups=4)
        self.c3 = nn.Conv2d(20, 17, (1, 3), padding=(0, 1), bias=False)
        self.dw = nn.Conv2d(17, 17, 3, padding=1, groups=17)
        self.fc = nn.Linear(17 * 3 * 2, 10)

    def forward(self, x):
        x = F.relu(self.bn(self.c1(x)))
        x = F.relu6(self.c2(x))
        x = F.max_pool2d(x, 3, 2, padding=1, ceil_mode=True)
        x = torch.sigmoid(self.c3(x))
        x = self.dw(x)
        x = F.avg_pool2d(x, 3, 2, padding=1, count_include_pad=False)
        x = x.view(x.size(0), -1)  # Shape, Gather, Unsqueeze, Concat, Reshape
        return F.softmax(self.fc(x), dim=1)


class Acts(nn.Module):
    """Every activation after a 1x1 conv, and the patterns that make silu, hardswish, gelu."""

    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(6, 6, 1) for _ in range(12))

    def forward(self, x):
        fs = [torch.tanh, lambda v: F.leaky_relu(v, 0.1), lambda v: F.elu(v, 0.7), F.softplus,
              F.hardsigmoid, F.hardswish, F.silu, F.gelu, lambda v: torch.clamp(v, -1, 2),
              lambda v: v * torch.sigmoid(v), F.relu6, torch.sigmoid]
        for conv, f in zip(self.convs, fs):
            x = f(conv(x))
        return x


class Graph(nn.Module):
    """Residual adds, concat, squeeze-and-excitation, constant arithmetic, zero pad,
    resize, transposed conv, means and max over H and W, flatten."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(4, 8, 3, padding=1)
        self.b = nn.Conv2d(8, 8, 3, padding=1)
        self.se1 = nn.Conv2d(16, 4, 1)
        self.se2 = nn.Conv2d(4, 16, 1)
        self.shift = nn.Parameter(torch.randn(1, 16, 1, 1))
        self.p = nn.Conv2d(16, 8, 3)
        self.up = nn.ConvTranspose2d(8, 6, 3, stride=2, padding=1, output_padding=1)
        self.prelu = nn.PReLU(6)
        self.fc = nn.Linear(12, 5)

    def forward(self, x):
        a = F.relu(self.a(x))
        b = self.b(a) + a
        x = torch.cat([a, b], 1)
        s = torch.sigmoid(self.se2(F.relu(self.se1(x.mean((2, 3), keepdim=True)))))
        x = x * s
        x = (x + self.shift) * 0.5 - 1
        x = x / 2
        x = self.p(F.pad(x, (1, 1, 1, 1)))
        x = F.interpolate(x, scale_factor=2, mode='nearest')
        x = F.interpolate(x, scale_factor=0.5, mode='bilinear', align_corners=False)
        x = self.prelu(self.up(x))
        m = torch.cat([F.adaptive_avg_pool2d(x, 1), F.adaptive_max_pool2d(x, 1)], 1)
        return self.fc(torch.flatten(m, 1))


class Channels(nn.Module):
    """Channel cuts and permutations: split / chunk and slices on axis 1, and
    ShuffleNet's channel shuffle (Reshape -> Transpose -> Reshape)."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 12, 3, padding=1)
        self.b = nn.Conv2d(6, 6, 1)
        self.c = nn.Conv2d(12, 10, 1)

    def forward(self, x):
        x = self.a(x)
        l, r = x.chunk(2, dim=1)
        x = torch.cat([l, F.relu(self.b(r))], 1)
        b, c, h, w = x.shape
        x = x.view(b, 3, c // 3, h, w).transpose(1, 2).contiguous().view(b, c, h, w)
        p, q, s = torch.split(self.c(x), [3, 5, 2], dim=1)
        return torch.cat([s, p * 2, q[:, 1:-1]], 1)


class Misc(nn.Module):
    """Exported at opset 14: HardSwish as one op, a batchnorm no conv absorbs,
    ReduceMax, and MatMul of a flattened vector by a parameter."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.w = nn.Parameter(torch.randn(8 * 5 * 4, 7))

    def forward(self, x):
        a = self.c(x)
        y = F.hardswish(self.bn(a + 1.0))
        y = y * torch.amax(y, dim=(2, 3), keepdim=True)
        return torch.flatten(y, 1) @ self.w


def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    for p in model.parameters():
        p.data = torch.randn(p.shape, generator=g) * 0.5
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean = torch.randn(m.num_features, generator=g) * 0.2
            m.running_var = torch.rand(m.num_features, generator=g) + 0.5
    return model.eval()


def fixture(name, model, shape, seed, table, opset=13):
    model = randomize(model, seed)
    x = torch.randn(shape, generator=torch.Generator().manual_seed(seed + 1))
    path = OUT / f'{name}.onnx'
    torch.onnx.export(model, x, str(path), opset_version=opset, do_constant_folding=True,
                      input_names=['input'], output_names=['output'])
    with torch.no_grad():
        y32 = model(x).numpy().astype(np.float64)
        y64 = model.double()(x.double()).numpy()
    np.save(OUT / f'{name}.x.npy', x.numpy())
    np.save(OUT / f'{name}.y.npy', y64.astype(np.float32))  # float64 rounded once
    table[name] = {'err32': float(np.abs(y32 - y64).max())}


def lrn_fixture(table):
    """Identity -> LRN -> Dropout, built node by node (torch.onnx writes
    LocalResponseNorm as a decomposition, with an If)."""
    x = torch.randn((1, 6, 5, 4), generator=torch.Generator().manual_seed(6))
    size, alpha, beta, bias = 3, 0.3, 0.6, 1.5
    nodes = [helper.make_node('Identity', ['input'], ['a'], name='id'),
             helper.make_node('LRN', ['a'], ['b'], name='lrn', size=size, alpha=alpha, beta=beta,
                              bias=bias),
             helper.make_node('Dropout', ['b'], ['output'], name='drop')]
    g = helper.make_graph(nodes, 'lrn', [helper.make_tensor_value_info('input', TensorProto.FLOAT,
                                                                       list(x.shape))],
                          [helper.make_tensor_value_info('output', TensorProto.FLOAT, list(x.shape))])
    m = helper.make_model(g, opset_imports=[onnx.helper.make_opsetid('', 13)])
    (OUT / 'lrn.onnx').write_bytes(m.SerializeToString())
    y32 = F.local_response_norm(x, size, alpha, beta, bias).numpy().astype(np.float64)
    y64 = F.local_response_norm(x.double(), size, alpha, beta, bias).numpy()
    np.save(OUT / 'lrn.x.npy', x.numpy())
    np.save(OUT / 'lrn.y.npy', y64.astype(np.float32))
    table['lrn'] = {'err32': float(np.abs(y32 - y64).max())}


def error_models():
    """name -> (ModelProto bytes, expected text)."""
    x = helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 3, 4, 4])
    y = helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 3, 4, 4])
    op = onnx.helper.make_opsetid('', 13)

    def model(nodes, inputs=(x,), inits=()):
        g = helper.make_graph(nodes, 'g', list(inputs), [y], list(inits))
        return helper.make_model(g, opset_imports=[op]).SerializeToString()

    unsupported = model([helper.make_node('Abs', ['x'], ['a'], name='abs1'),
                         helper.make_node('Relu', ['a'], ['b'], name='r'),
                         helper.make_node('Floor', ['b'], ['c'], name='floor1'),
                         helper.make_node('LeakyRelu', ['c'], ['y'], name='lr', alpha=0.1)])
    dyn = helper.make_tensor_value_info('x', TensorProto.FLOAT, ['batch', 3, 4, 4])
    ok = model([helper.make_node('Relu', ['x'], ['y'])])
    w = helper.make_tensor('w', TensorProto.FLOAT, [3, 3, 1, 1], [1.0] * 9)
    w.ClearField('float_data')
    w.float_data.extend([1.0] * 8)  # one float short
    return {
        'unsupported': (unsupported, "2 unsupported nodes or attributes:\n  node 'abs1' (Abs): "
                                     "op type not supported\n  node 'floor1' (Floor)"),
        'truncated': (ok[:len(ok) // 2], 'the protobuf does not parse'),
        'not_onnx': (b'conv2d(x, filters=3)\n' * 4, 'not an ONNX model'),
        'dynamic': (model([helper.make_node('Relu', ['x'], ['y'])], inputs=(dyn,)),
                    "graph input 'x' has a dynamic dimension 'batch'"),
        'undefined': (model([helper.make_node('Relu', ['nowhere'], ['y'])]),
                      'the ONNX checker rejects the model'),
        'short_weight': (model([helper.make_node('Conv', ['x', 'w'], ['y'])], inits=(w,)),
                         "initializer 'w': its data does not hold 9 elements"),
        'int_input': (model([helper.make_node('Relu', ['x'], ['y'])], inputs=(
            helper.make_tensor_value_info('x', TensorProto.INT64, [1, 3, 4, 4]),)),
                      "graph input 'x' is not a float tensor"),
    }


def main():
    OUT.mkdir(exist_ok=True)
    torch.manual_seed(0)
    table = {}
    fixture('convs', Convs(), (1, 3, 15, 13), 1, table)
    fixture('acts', Acts(), (1, 6, 5, 7), 2, table)
    fixture('graph', Graph(), (1, 4, 9, 11), 3, table)
    fixture('channels', Channels(), (1, 3, 7, 6), 4, table)
    fixture('misc', Misc(), (1, 3, 5, 4), 5, table, opset=14)
    lrn_fixture(table)
    (OUT / 'fixtures.json').write_text(json.dumps(table, indent=1, sort_keys=True) + '\n')
    (OUT / 'errors').mkdir(exist_ok=True)
    # Inputs kept by hand (the fuzzers' finds) keep their expected text.
    expect = {k: v for k, v in json.loads((OUT / 'errors.json').read_text()).items()
              if (OUT / 'errors' / f'{k}.onnx').exists()}
    for name, (data, text) in error_models().items():
        (OUT / 'errors' / f'{name}.onnx').write_bytes(data)
        expect[name] = text
    (OUT / 'errors.json').write_text(json.dumps(expect, indent=1, sort_keys=True) + '\n')


if __name__ == '__main__':
    main()
