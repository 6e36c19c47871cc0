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
    """Exported at opset 14: HardSwish as one op, a batchnorm no conv absorbs, a
    U-Net's 2x2 stride-2 transposed conv (no output_padding), ReduceMax, and MatMul
    of a flattened vector by a parameter."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.up = nn.ConvTranspose2d(8, 6, 2, stride=2)
        self.w = nn.Parameter(torch.randn(6 * 10 * 8, 7))

    def forward(self, x):
        a = self.c(x)
        y = self.up(F.hardswish(self.bn(a + 1.0)))
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

    def model(nodes, inputs=(x,), inits=(), opset=13, outputs=(y,), extra=()):
        g = helper.make_graph(nodes, 'g', list(inputs), list(outputs), list(inits))
        ops = [onnx.helper.make_opsetid('', opset)] + list(extra)
        return helper.make_model(g, opset_imports=ops).SerializeToString()

    unsupported = model([helper.make_node('Abs', ['x'], ['a'], name='abs1'),
                         helper.make_node('Relu', ['a'], ['b'], name='r'),
                         helper.make_node('Floor', ['b'], ['c'], name='floor1'),
                         helper.make_node('LeakyRelu', ['c'], ['y'], name='lr', alpha=0.1)])
    dyn = helper.make_tensor_value_info('x', TensorProto.FLOAT, ['batch', 3, 4, 4])
    ok = model([helper.make_node('Relu', ['x'], ['y'])])
    w = helper.make_tensor('w', TensorProto.FLOAT, [3, 3, 1, 1], [1.0] * 9)
    w.ClearField('float_data')
    w.float_data.extend([1.0] * 8)  # one float short
    out = {
        'unsupported': (unsupported, "the model has 2 unsupported nodes or attributes:\n  "
                                     "node 'abs1' (Abs): op type not supported\n  "
                                     "node 'floor1' (Floor)"),
        'truncated': (ok[:len(ok) // 2], 'not an ONNX model: the protobuf does not parse '
                                         '(truncated or not .onnx)'),
        'not_onnx': (b'conv2d(x, filters=3)\n' * 4, 'not an ONNX model'),
        'dynamic': (model([helper.make_node('Relu', ['x'], ['y'])], inputs=(dyn,)),
                    "graph input 'x' has a dynamic dimension 'batch': pin it with --input-shape "
                    "x=1,C,H,W (Options::inputShapes), or export the model with fixed input sizes "
                    "(torch.onnx.export without dynamic_axes)"),
        'undefined': (model([helper.make_node('Relu', ['nowhere'], ['y'])]),
                      'the ONNX checker rejects the model: '),
        'short_weight': (model([helper.make_node('Conv', ['x', 'w'], ['y'])], inits=(w,)),
                         "initializer 'w': its data does not hold 9 elements"),
        'int_input': (model([helper.make_node('Relu', ['x'], ['y'])], inputs=(
            helper.make_tensor_value_info('x', TensorProto.INT64, [1, 3, 4, 4]),)),
                      "graph input 'x' is not a float tensor"),
    }
    out.update(import_error_models(model))
    out.update(unsupported_models(model))
    return out


def tensor(name, dims, vals, dtype=TensorProto.FLOAT):
    """A tensor of these dims and values, even when they do not agree."""
    t = helper.make_tensor(name, dtype, [len(vals)], vals)
    del t.dims[:]
    t.dims.extend(dims)
    return t


def odd_tensors(name):
    """For each reason decodeTensor has to refuse a tensor: (such a tensor, the reason)."""
    return {'huge': (tensor(name, [1 << 32], [1.0]), 'its dimensions are negative or too large'),
            'bool': (tensor(name, [1], [True], TensorProto.BOOL),
                     'its element type (9) is not float, double, int64 or int32'),
            'short': (tensor(name, [3], [1.0, 2.0]), 'its data does not hold 3 elements')}


def import_error_models(model):
    """The graph-level errors of frontend/onnx/Import.cpp -> (model, text)."""
    relu = [helper.make_node('Relu', ['x'], ['y'])]
    const = helper.make_node('Constant', [], ['y'], value_float=1.0)
    out = {
        'opset10': (model(relu, opset=10), 'opset 10 is not supported (opsets 11 to 17 are: '
                                           'torch.onnx.export(..., opset_version=13))'),
        'no_input': (model([const], inputs=()), 'the model has no graph input (every input is '
                                                'an initializer)'),
        'const_output': (model([const]), "graph output 'y' is a constant"),
        'no_output': (model(relu[:0], outputs=()), 'the model has no graph output'),
        'input_rank3': (model(relu, inputs=(helper.make_tensor_value_info(
            'x', TensorProto.FLOAT, [1, 3, 4]),)), "graph input 'x' is not [1, C, H, W] (a batch "
                                                    "of one image)"),
        'input_unknown_dim': (model(relu, inputs=(helper.make_tensor_value_info(
            'x', TensorProto.FLOAT, [1, 3, None, 4]),)),
            "graph input 'x' has a dynamic dimension: pin it with --input-shape x=1,C,H,W "
            "(Options::inputShapes), or export the model with fixed input sizes "
            "(torch.onnx.export without dynamic_axes)"),
        'input_huge': (model(relu, inputs=(helper.make_tensor_value_info(
            'x', TensorProto.FLOAT, [1, 3, 1 << 25, 4]),)),
            "graph input 'x' has a dimension larger than 16777216"),
    }
    custom = helper.make_node('Relu', ['x'], ['y'], name='n', domain='custom')
    out['domain'] = (model([custom], extra=[helper.make_opsetid('custom', 1)]),
                     "the model has 1 unsupported node or attribute:\n  node 'n' (Relu): "
                     "domain 'custom' is not supported")
    for k, (t, why) in odd_tensors('w').items():
        out[f'initializer_{k}'] = (model(relu, inits=(t,)), f"initializer 'w': {why}")
    return out


def unsupported_models(model):
    """One model per unsupported(...) message of the importer, its node 'n' the one
    unsupported -> (model, the whole error: one unsupported line, n's)."""

    def n(op, *ins, outs=('y',), **attrs):
        return helper.make_node(op, list(ins), list(outs), name='n', **attrs)

    def pre(op, ins, out, **attrs):  # a node before 'n'
        return helper.make_node(op, ins, [out], name=out, **attrs)

    def ints(name, vals):
        return tensor(name, [len(vals)], vals, TensorProto.INT64)

    w1, w3 = tensor('w', [3, 3, 1, 1], [0.5] * 9), tensor('w', [3, 3, 1], [0.5] * 9)
    flat = pre('Flatten', ['x'], 'f')
    c2 = tensor('c', [2], [1.0, 2.0])
    gelu = [pre('Div', ['c', 's2'], 'd'), pre('Erf', ['d'], 'e'), pre('Add', ['e', 'one'], 'a'),
            pre('Mul', ['a', 'c'], 'm')]
    gelu_k = [c2, tensor('s2', [], [2 ** 0.5]), tensor('one', [], [1.0]), tensor('half', [], [0.5])]
    resize = lambda s, **a: ([n('Resize', 'x', '', 's', **a)], [tensor('s', [4], s)])
    big = 1 << 21  # above MaxAttrInt
    cases = {  # name -> (nodes, initializers, what [, opset])
        # Import.cpp
        'missing_input': ([n('Concat', 'x', '', axis=1)], [], 'input 1 is missing'),
        'tensor_weight': ([n('Conv', 'x', 'x')], [], 'input 1 must be a constant'),
        'const_image': ([n('Relu', 'w')], [w1], 'input 0 is a constant; a tensor is needed here'),
        'rank5_image': ([pre('Reshape', ['x', 's'], 'r'), n('Relu', 'r')],
                        [ints('s', [1, 3, 1, 4, 4])],
                        'input 0 has shape [1, 3, 1, 4, 4]; only [1, C, H, W] images and [1, N] '
                        'vectors are supported'),
        'shape_rule': ([n('Conv', 'x', 'w')], [tensor('w', [1, 3, 5, 1], [0.1] * 15)],
                       "a 5x1 kernel does not fit the padded 4x4 input of conv2d 'n'"),
        'unread_attribute': ([n('Constant', outs=('k',), value_int=1, value_floats=[1.0]),
                              pre('Add', ['x', 'k'], 'y')], [],
                             "attribute 'value_floats' is not supported"),
        # Ops.cpp
        'conv_auto_pad': ([n('Conv', 'x', 'w', auto_pad='FOO')], [w1], "auto_pad 'FOO'"),
        'conv_pads2': ([n('Conv', 'x', 'w', pads=[1, 1])], [w1], 'pads must have 4 values'),
        'conv_pads_negative': ([n('Conv', 'x', 'w', pads=[-1, 0, 0, 0])], [w1],
                               'pads value -1 is out of range'),
        'conv_strides1': ([n('Conv', 'x', 'w', strides=[1])], [w1],
                          'strides must have 2 values (2-d ops only)'),
        'conv_strides0': ([n('Conv', 'x', 'w', strides=[0, 1])], [w1], 'strides 0 is out of range'),
        'conv_dilations1': ([n('Conv', 'x', 'w', dilations=[1])], [w1],
                            'dilations must have 2 values (2-d ops only)'),
        'conv_dilations0': ([n('Conv', 'x', 'w', dilations=[1, 0])], [w1],
                            'dilations 0 is out of range'),
        'conv_group0': ([n('Conv', 'x', 'w', group=0)], [w1], 'group 0 is out of range'),
        'conv_1d': ([n('Conv', 'x', 'w')], [w3], 'only 2-d convolutions of images are supported'),
        'conv_kernel_shape': ([n('Conv', 'x', 'w', kernel_shape=[3, 3])], [w1],
                              "kernel_shape does not match the weight's shape"),
        'conv_kernel0': ([n('Conv', 'x', 'w')], [tensor('w', [3, 3, 0, 1], [])],
                         'kernel 0 is out of range'),
        'conv_filters0': ([n('Conv', 'x', 'w')], [tensor('w', [0, 3, 1, 1], [])],
                          'output channels 0 is out of range'),
        'conv_bias': ([n('Conv', 'x', 'w', 'b')], [w1, tensor('b', [2], [1.0, 2.0])],
                      'the bias does not have one value per output channel'),
        'convt_output_padding1': ([n('ConvTranspose', 'x', 'w', output_padding=[1])], [w1],
                                  'output_padding must have 2 values (2-d ops only)'),
        'convt_output_padding_negative': ([n('ConvTranspose', 'x', 'w', output_padding=[-1, 0])],
                                          [w1], 'output_padding -1 is out of range'),
        'convt_output_shape': ([n('ConvTranspose', 'x', 'w', output_shape=[4, 4])], [w1],
                               'output_shape (give pads instead)'),
        'convt_auto_pad': ([n('ConvTranspose', 'x', 'w', auto_pad='SAME_UPPER')], [w1],
                           'auto_pad on ConvTranspose (give pads instead)'),
        'convt_1d': ([n('ConvTranspose', 'x', 'w', output_padding=[1, 1])], [w3],
                     'only 2-d transposed convolutions of images are supported'),
        'pool_kernel1': ([n('MaxPool', 'x', kernel_shape=[2])], [],
                         'kernel_shape must have 2 values (2-d ops only)'),
        'pool_kernel0': ([n('MaxPool', 'x', kernel_shape=[0, 2])], [],
                         'kernel_shape 0 is out of range'),
        'pool_storage_order': ([n('MaxPool', 'x', kernel_shape=[2, 2], storage_order=1)], [],
                               'dilations or storage_order on MaxPool'),
        'pool_indices': ([n('MaxPool', 'x', outs=('y', 'i'), kernel_shape=[2, 2])], [],
                         'the indices output'),
        'pool_vector': ([flat, n('MaxPool', 'f', kernel_shape=[1, 1])], [], 'a pool of a vector'),
        'global_pool_vector': ([flat, n('GlobalAveragePool', 'f')], [],
                               'a global pool of a vector'),
        'reduce_channels': ([n('ReduceMean', 'x', axes=[1])], [],
                            'only a reduction over H and W of an image (axes [2, 3])'),
        'bn_training': ([n('BatchNormalization', 'x', 's', 's', 's', 's', training_mode=1)],
                        [tensor('s', [3], [1.0] * 3)], 'training_mode', 14),
        'bn_outputs': ([n('BatchNormalization', 'x', 's', 's', 's', 's', outs=('y', 'm', 'v'))],
                       [tensor('s', [3], [1.0] * 3)],
                       'the running statistics outputs (training mode)', 14),
        'bn_statistics': ([n('BatchNormalization', 'x', 'c', 'c', 'c', 'c')], [c2],
                          'the statistics do not have one value per channel'),
        'bn_epsilon': ([n('BatchNormalization', 'x', 's', 's', 's', 's', epsilon=2.0)],
                       [tensor('s', [3], [1.0] * 3)], 'epsilon out of range'),
        'clip_min_above_max': ([n('Clip', 'x', 'lo', 'hi')],
                               [tensor('lo', [], [2.0]), tensor('hi', [], [1.0])], 'min above max'),
        'softmax_axis': ([n('Softmax', 'x', axis=2)], [],
                         'softmax over an axis other than the channels'),
        'flatten_axis': ([n('Flatten', 'x', axis=2)], [], 'only axis 1'),
        'reshape_invalid': ([n('Reshape', 'x', 's')], [ints('s', [1, -3])],
                            'the target shape is invalid for the input'),
        'reshape_count': ([n('Reshape', 'x', 's')], [ints('s', [1, 5])],
                          "the target shape does not hold the input's elements"),
        'reshape_3d': ([n('Reshape', 'x', 's')], [ints('s', [1, 3, 16])],
                       "only a reshape to [1, N] (a flatten), or a channel shuffle's reshapes, "
                       'is supported'),
        'gemm_trans_a': ([flat, n('Gemm', 'f', 'w', transA=1)], [tensor('w', [48, 1], [0.5] * 48)],
                         'transA'),
        'matmul_image': ([n('MatMul', 'x', 'w')], [tensor('w', [4, 2], [0.5] * 8)],
                         'only [1, K] x [K, N] (after a flatten) is supported'),
        'matmul_weight': ([flat, n('MatMul', 'f', 'w')], [tensor('w', [5, 2], [0.5] * 10)],
                          "the weight's shape does not match the input"),
        'gemm_bias': ([flat, n('Gemm', 'f', 'w', 'b')],
                      [tensor('w', [48, 1], [0.5] * 48), tensor('b', [3], [1.0] * 3)],
                      'a bias that is not [N] or a scalar'),
        'matmul_units0': ([flat, n('MatMul', 'f', 'w')], [tensor('w', [48, 0], [])],
                          'units 0 is out of range'),
        'concat_consts_2d': ([n('Concat', 'c', 'c', axis=0)], [tensor('c', [1, 2], [1.0, 2.0])],
                             'a concat of constants that are not 1-d'),
        'concat_axis': ([n('Concat', 'x', 'x', axis=2)], [],
                        'a concat on an axis other than the channels'),
        'pad_reflect': ([n('Pad', 'x', 'p', mode='reflect')], [ints('p', [0, 0, 1, 1] * 2)],
                        'only zero padding (mode constant, value 0)'),
        'pad_channels': ([n('Pad', 'x', 'p')], [ints('p', [0, 1, 0, 0] * 2)],
                         'only padding of H and W of an image'),
        'pad_negative': ([n('Pad', 'x', 'p')], [ints('p', [0, 0, -1, 0] * 2)],
                         'a negative or huge pad'),
        'resize_no_scales': ([n('Resize', 'x')], [],
                             'a resize needs constant scales or sizes for all 4 axes'),
        'resize_cubic': resize([1.0, 1.0, 2.0, 2.0], mode='cubic',
                               coordinate_transformation_mode='half_pixel') + (
            "mode 'cubic' with coordinate_transformation_mode 'half_pixel' (and nearest_mode "
            "'round_prefer_floor')",),
        'resize_channels': resize([1.0, 2.0, 1.0, 1.0], coordinate_transformation_mode='asymmetric',
                                  nearest_mode='floor') + (
            'a resize of the batch or channel axis, or to nothing',),
        'resize_scale': ([n('Resize', 'x', '', '', 's', coordinate_transformation_mode='asymmetric',
                            nearest_mode='floor')], [ints('s', [1, 3, 4 * big, 4])],
                         f'scale {big} is out of range'),
        'resize_size': ([n('Resize', 'x', '', '', 's', coordinate_transformation_mode='asymmetric',
                           nearest_mode='floor')], [ints('s', [1, 3, big + 1, 4])],
                        f'size {big + 1} is out of range'),
        'lrn_even': ([n('LRN', 'x', size=2)], [], 'LRN size must be odd'),
        'prelu_slope': ([n('PRelu', 'x', 'c')], [c2], 'a slope that is not per channel or shared'),
        'hardsigmoid_alpha': ([n('HardSigmoid', 'x', alpha=0.3)], [],
                              "alpha and beta other than PyTorch's (1/6, 1/2)"),
        # Fold.cpp
        'gather_2d': ([n('Gather', 'c', 'i')], [tensor('c', [1, 2], [1.0, 2.0]), ints('i', [0])],
                      'a gather other than from a 1-d constant'),
        'gather_index': ([n('Gather', 'c', 'i')], [c2, ints('i', [5])], 'an index out of range'),
        'unsqueeze_axis': ([n('Unsqueeze', 'c', 'a')], [c2, ints('a', [5])],
                           'an axis out of range'),
        'cast_tensor': ([n('Cast', 'x', to=TensorProto.INT64)], [],
                        'a cast of a tensor to a type other than float'),
        'constant_of_shape_large': ([n('ConstantOfShape', 's')], [ints('s', [100, 100])],
                                    'a large ConstantOfShape (only shape arithmetic is folded)'),
        'transpose_perm': ([n('Transpose', 'c', perm=[0, 0])], [tensor('c', [1, 2], [1.0, 2.0])],
                           'perm is not a permutation of the axes'),
        'slice_axis': ([n('Slice', 'c', 'b', 'e', 'a')],
                       [c2, ints('b', [0]), ints('e', [1]), ints('a', [3])],
                       'a slice with bad axes, steps or ends'),
        'broadcast': ([n('Add', 'c', 'd')], [c2, tensor('d', [3], [1.0] * 3)],
                      'constant operands of shapes that do not broadcast'),
        'affine_width': ([n('Add', 'x', 'd')], [tensor('d', [4], [1.0] * 4)],
                         'a constant operand that is neither a scalar nor one value per channel'),
        'const_by_tensor': ([n('Div', 'd', 'x')], [tensor('d', [], [2.0])],
                            'a constant divided by a tensor'),
        'gelu_const': (gelu + [n('Mul', 'm', 'half')], gelu_k, 'a GELU of a constant'),
        'different_shapes': ([flat, n('Add', 'x', 'f')], [],
                             'operands of different shapes (only one shape, or [1, C, 1, 1] '
                             'broadcast over an image, are supported)'),
        # Channels.cpp
        'slice_width': ([n('Slice', 'x', 'b', 'e', 'a')], [ints('b', [0]), ints('e', [2]),
                                                          ints('a', [2])],
                        'a slice of a tensor other than on the channels (axis 1) with step 1'),
        'slice_empty': ([n('Slice', 'x', 'b', 'e', 'a')], [ints('b', [2]), ints('e', [1]),
                                                          ints('a', [1])], 'an empty slice'),
        'split_width': ([n('Split', 'x', outs=('y', 'z'), axis=2)], [],
                        'a split other than on the channels (axis 1)'),
        'split_sizes': ([n('Split', 'x', 's', outs=('y', 'z'), axis=1)], [ints('s', [1, 1])],
                        'split sizes that do not add up to the 3 channels'),
        'transpose_tensor': ([n('Transpose', 'x', perm=[0, 1, 3, 2])], [],
                             'a transpose of a tensor other than a channel shuffle (Reshape '
                             '[1, G, C/G, H, W] -> Transpose (0, 2, 1, 3, 4) -> Reshape)'),
    }
    cases['constant_floats'] = ([n('Constant', outs=('k',), value_floats=[1.0]),
                                 pre('Add', ['x', 'k'], 'y')], [],
                                'a Constant without value, value_float, value_int or value_ints')
    for k, (t, why) in odd_tensors('v').items():
        cases[f'constant_{k}'] = ([n('Constant', outs=('k',), value=t),
                                   pre('Add', ['x', 'k'], 'y')], [], f'value: {why}')
    out = {}
    for name, (nodes, inits, what, *opset) in cases.items():
        op = next(d.op_type for d in nodes if d.name == 'n')
        out[name] = (model(nodes, inits=inits, opset=(opset or [13])[0]),
                     f"the model has 1 unsupported node or attribute:\n  node 'n' ({op}): {what}")
    return out


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
