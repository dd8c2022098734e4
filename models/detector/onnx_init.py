"""Loads the weights of an exported detector ONNX file back into a `CenterNet`, so a training
stage can start from the shipped model when its PyTorch checkpoint is gone.

The export folds every BatchNorm into the convolution before it (ONNX Conv with a bias), so the
BatchNorm layers are set to the identity in eval mode (gamma 1, mean 0, var 1 - eps) and carry
the folded bias as beta. Training from these weights must keep BatchNorm in eval mode
(`freeze_batchnorm`): batch statistics would replace the identity and change the function.

Convolutions are matched by order: the ONNX graph lists them in the order the forward pass runs
them (a dummy forward with hooks gives the PyTorch order), and every shape is checked.
"""
import numpy as np
import torch
from torch import nn


def _conv_order(net, h, w):
    order = []
    hooks = [m.register_forward_hook(lambda mod, i, o: order.append(mod))
             for m in net.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        net.eval()(torch.zeros(1, 3, h, w))
    for k in hooks:
        k.remove()
    return order


def _following_bn(net):
    """Conv2d → the BatchNorm2d that follows it in the same nn.Sequential (conv_bn blocks)."""
    out = {}
    for m in net.modules():
        if isinstance(m, nn.Sequential):
            items = list(m)
            for a, b in zip(items, items[1:]):
                if isinstance(a, nn.Conv2d) and isinstance(b, nn.BatchNorm2d):
                    out[a] = b
    return out


def load_onnx(net, path, h=64, w=64):
    """Copies the ONNX file's convolution weights into `net` (a CenterNet of the same shape);
    leaves `net` in eval mode."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(path)
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    convs = [n for n in model.graph.node if n.op_type == "Conv"]
    order = _conv_order(net, h, w)
    if len(convs) != len(order):
        raise ValueError(f"{path}: {len(convs)} Conv nodes, the net has {len(order)} convolutions")
    bns = _following_bn(net)
    with torch.no_grad():
        for node, conv in zip(convs, order):
            wt = inits[node.input[1]]
            if tuple(wt.shape) != tuple(conv.weight.shape):
                raise ValueError(f"{path}: Conv {node.name} weight {wt.shape} != {tuple(conv.weight.shape)}")
            bias = inits[node.input[2]] if len(node.input) > 2 else np.zeros(wt.shape[0], np.float32)
            conv.weight.copy_(torch.from_numpy(np.array(wt)))
            bn = bns.get(conv)
            if bn is None:
                if conv.bias is None:
                    raise ValueError(f"{path}: Conv {node.name} has a bias the net cannot hold")
                conv.bias.copy_(torch.from_numpy(np.array(bias)))
            else:
                bn.weight.fill_(1.0)
                bn.bias.copy_(torch.from_numpy(np.array(bias)))
                bn.running_mean.zero_()
                bn.running_var.fill_(1.0 - bn.eps)
    return net


def freeze_batchnorm(net):
    """Puts every BatchNorm in eval mode (running statistics fixed); call after each net.train()."""
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
    return net
