#!/usr/bin/python3
"""Write a torchvision CNN as a cnnc model (.cnn), its layer names the module
paths, so its weight keys are the torchvision state_dict's.

    /usr/bin/python3 scripts/torchvision_to_cnn.py efficientnet_b0 -o examples/efficientnet_b0.cnn

It traces the model with torch.fx and writes one statement per traced node:
conv2d, batchnorm, the activations, globalavgpool2d(keepdims=true), dense,
flatten, add, mul, dropout, max/avg pools. torchvision's stochastic depth is
the identity at inference and writes nothing. Anything else is an error that
names the node. scripts/torchvision_fixture.py checks the result against
torchvision itself (tests/models: "[torchvision]").
"""
import argparse, operator, sys
import torch, torch.fx as fx, torchvision

ACTS = {torch.nn.ReLU: "relu", torch.nn.ReLU6: "relu6", torch.nn.SiLU: "silu",
        torch.nn.Hardswish: "hardswish", torch.nn.Hardsigmoid: "hardsigmoid",
        torch.nn.Sigmoid: "sigmoid", torch.nn.Tanh: "tanh", torch.nn.GELU: "gelu"}


def pair(v):
    v = tuple(v) if isinstance(v, (tuple, list)) else (v, v)
    return str(v[0]) if v[0] == v[1] else f"({v[0]}, {v[1]})"


def module_stmt(m, node):
    """The DSL call of one module, without its input."""
    if isinstance(m, torch.nn.Conv2d):
        if isinstance(m.padding, str) or m.padding_mode != "zeros":
            raise SystemExit(f"{node.target}: padding {m.padding!r} ({m.padding_mode}) is not numeric zeros")
        args = [f"filters={m.out_channels}", f"kernel={pair(m.kernel_size)}", f"stride={pair(m.stride)}",
                f"padding={pair(m.padding)}"]
        if m.dilation != (1, 1):
            args.append(f"dilation={pair(m.dilation)}")
        if m.groups != 1:
            args.append(f"groups={m.groups}")
        if m.bias is None:
            args.append("use_bias=false")
        return "conv2d", args
    if isinstance(m, torch.nn.BatchNorm2d):
        return "batchnorm", [f"epsilon={m.eps:g}"]
    if type(m) in ACTS:
        return ACTS[type(m)], []
    if isinstance(m, torch.nn.AdaptiveAvgPool2d) and m.output_size in (1, (1, 1)):
        return "globalavgpool2d", ["keepdims=true"]
    if isinstance(m, torch.nn.Dropout):
        return "dropout", [f"rate={m.p:g}"]
    if isinstance(m, torch.nn.Linear):
        return "dense", [f"units={m.out_features}"] + ([] if m.bias is not None else ["use_bias=false"])
    if isinstance(m, (torch.nn.MaxPool2d, torch.nn.AvgPool2d)):
        op = "maxpool2d" if isinstance(m, torch.nn.MaxPool2d) else "avgpool2d"
        args = [f"size={pair(m.kernel_size)}", f"stride={pair(m.stride)}", f"padding={pair(m.padding)}"]
        if m.ceil_mode:
            args.append("ceil_mode=true")
        if op == "avgpool2d" and not m.count_include_pad:
            args.append("count_include_pad=false")
        return op, args
    raise SystemExit(f"{node.target}: {type(m).__name__} has no cnnc op")


def convert(name, model, shape):
    gm = fx.symbolic_trace(model)
    modules = dict(gm.named_modules())
    alias, lines = {}, []  # fx node -> the DSL value it is
    params = sum(p.numel() for p in model.parameters())
    lines.append(f"# torchvision's {name} ({params:,} parameters), written by scripts/torchvision_to_cnn.py:")
    lines.append("# layer names are its module paths, so the weight keys are its state_dict's.")
    lines.append(f"model {name} {{")
    for n in gm.graph.nodes:
        ins = [alias.get(a.name, a.name) for a in n.args if isinstance(a, fx.Node)]
        if n.op == "placeholder":
            lines.append(f"  input {n.name}: f32[{shape[1]}, {shape[2]}, {shape[0]}]")
            continue
        if n.op == "output":
            lines.append(f"  output {ins[0]}")
            continue
        if n.op == "call_module":
            op, args = module_stmt(modules[n.target], n)
            out = n.target
        elif n.op == "call_function" and n.target in (operator.add, operator.iadd, torch.add):
            op, args, out = "add", [], n.name
        elif n.op == "call_function" and n.target in (operator.mul, torch.mul):
            op, args, out = "mul", [], n.name
        elif n.op == "call_function" and n.target is torch.flatten:
            if n.args[1:] != (1,):
                raise SystemExit(f"{n.name}: flatten{n.args[1:]} is not flatten(x, 1)")
            op, args, out = "flatten", [], n.name
        elif n.op == "call_function" and getattr(n.target, "__name__", "") == "stochastic_depth":
            alias[n.name] = ins[0]  # the identity at inference
            continue
        else:
            raise SystemExit(f"{n.name}: {n.op} {n.target} has no cnnc op")
        if len(ins) != (2 if op in ("add", "mul") else 1):
            raise SystemExit(f"{n.name}: {op} of {len(ins)} tensor inputs")
        alias[n.name] = out
        lines.append(f"  {out} = {op}({', '.join(ins + args)})")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="a torchvision.models constructor, e.g. efficientnet_b0")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--shape", default="3,224,224", help="C,H,W of the input (default 3,224,224)")
    a = ap.parse_args()
    model = getattr(torchvision.models, a.model)().eval()
    text = convert(a.model, model, [int(v) for v in a.shape.split(",")])
    with open(a.output, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
