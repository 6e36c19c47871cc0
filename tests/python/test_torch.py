"""A torch state_dict loads as it is: torchvision's efficientnet_b0, whose
module paths are examples/efficientnet_b0.cnn's layer names, on the shared
generator's weights, against torchvision's own output (in float64)."""
import sys

import numpy as np
import pytest
import torch
import torchvision

import cnnc
from conftest import SRC, LENET

sys.path.insert(0, str(SRC / "scripts"))
from make_fixtures import random_init, random_tensor  # noqa: E402


@pytest.fixture(scope="module")
def efficientnet():
    net = torchvision.models.efficientnet_b0().eval()
    state = net.state_dict()
    for key, t in state.items():  # as scripts/torchvision_fixture.py does
        if t.is_floating_point():
            shape = tuple(t.shape)
            t.copy_(torch.from_numpy(random_tensor(shape, 10, key, *random_init(key, shape))))
    net.load_state_dict(state)
    image = random_tensor((224, 224, 3), 10, "input", 1.0)
    with torch.no_grad():
        want = net.double()(torch.from_numpy(image).double().permute(2, 0, 1)[None])[0].numpy()
    return net.float(), image, want


def test_efficientnet_b0_state_dict_round_trip(efficientnet):
    net, image, want = efficientnet
    state = net.state_dict()
    assert any(k.endswith("num_batches_tracked") for k in state)  # skipped: integer
    model = cnnc.compile(SRC / "examples" / "efficientnet_b0.cnn")
    model.load_weights(state)
    got = model(image)
    assert got.shape == want.shape == (1000,)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)


def test_parameters_requiring_grad_and_float64_load(efficientnet):
    net, image, want = efficientnet
    model = cnnc.compile(SRC / "examples" / "efficientnet_b0.cnn")
    model.load_weights(net.double().state_dict())  # float64: converted
    net.float()
    first = model(image)
    params = {**dict(net.named_parameters()), **dict(net.named_buffers())}
    assert any(p.requires_grad for p in params.values())
    model.load_weights(params)
    np.testing.assert_allclose(model(image), want, rtol=0, atol=1e-5)
    np.testing.assert_allclose(first, want, rtol=0, atol=1e-5)


def test_a_torch_lenet():
    # The same network written in torch, its modules named as the .cnn's layers.
    model = cnnc.compile(LENET)
    names = [l.name for l in model.layers if l.params]  # conv2d, conv2d_1, dense, dense_1, probs
    torch.manual_seed(0)
    mods = [torch.nn.Conv2d(1, 6, 5), torch.nn.Conv2d(6, 16, 5), torch.nn.Linear(400, 120),
            torch.nn.Linear(120, 84), torch.nn.Linear(84, 10)]
    net = torch.nn.Module()
    for name, mod in zip(names, mods, strict=True):
        net.add_module(name, mod)
    model.load_weights(net.state_dict())
    x = np.random.default_rng(1).random((32, 32, 1), dtype=np.float32)
    avg, tanh = torch.nn.functional.avg_pool2d, torch.tanh
    with torch.no_grad():
        h = torch.from_numpy(x).permute(2, 0, 1)[None]
        h = avg(tanh(mods[1](avg(tanh(mods[0](h)), 2))), 2)
        h = h.flatten(1)  # PyTorch's order: cnnc's flatten() gives it too
        h = tanh(mods[3](tanh(mods[2](h))))
        want = torch.softmax(mods[4](h), 1)[0].numpy()
    np.testing.assert_allclose(model(x), want, atol=1e-6)
