"""PyTorch exports for the ONNX fixtures: a ResNet-18-shaped CNN, a
MobileNetV2-shaped CNN, a 2-layer BERT-shaped encoder and a FLOAT16 model.
Imported by make_onnx_fixtures.py (`--only torch`); needs torch (the CPU
wheel), onnx, onnxruntime, onnxconverter-common and numpy.

Each model has random weights from a fixed seed and small widths (each file
well under 3 MB). They are exported with `torch.onnx.export` (the TorchScript
exporter, `dynamo=False`, which honours opset 17) with a symbolic batch (and,
for the encoder, sequence) dimension; batch-norm statistics are randomised so
that folding them into the convolutions changes the weights.
"""

import io
import warnings

import numpy as np
import onnx
import torch
from torch import nn

OPSET = 17


def export(model, args, input_names, output_names, dynamic_axes):
    model.eval()
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, args, buffer, opset_version=OPSET, input_names=input_names,
                          output_names=output_names, dynamic_axes=dynamic_axes, dynamo=False,
                          do_constant_folding=True)
    return buffer.getvalue()


def randomize_batch_norms(model, generator):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(m.num_features, generator=generator) * 0.1)
                m.running_var.copy_(torch.rand(m.num_features, generator=generator) * 0.5 + 0.75)
                m.weight.copy_(torch.rand(m.num_features, generator=generator) * 0.5 + 0.75)
                m.bias.copy_(torch.randn(m.num_features, generator=generator) * 0.1)


# ---------------------------------------------------------------- ResNet-18

class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + (x if self.downsample is None else self.downsample(x)))


class ResNet18(nn.Module):
    """torchvision's resnet18 layout (2 basic blocks per stage) at widths
    8-64; the stem's max pool rounds up (ceil_mode)."""

    def __init__(self, widths=(8, 16, 32, 64), classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, widths[0], 7, 2, 3, bias=False), nn.BatchNorm2d(widths[0]),
                                  nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1, ceil_mode=True))
        blocks, cin = [], widths[0]
        for i, w in enumerate(widths):
            blocks += [BasicBlock(cin, w, 1 if i == 0 else 2), BasicBlock(w, w, 1)]
            cin = w
        self.layers = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.layers(self.stem(x))), 1))


# ---------------------------------------------------------------- MobileNetV2

class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        layers = []
        if expand != 1:
            layers += [nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(inplace=True)]
        layers += [nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden),
                   nn.ReLU6(inplace=True), nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.conv(x) if self.residual else self.conv(x)


class MobileNetV2(nn.Module):
    """torchvision's mobilenet_v2 layout (t, c, n, s rows) at a quarter of
    the widths and one block fewer per row."""

    def __init__(self, classes=10):
        super().__init__()
        rows = [(1, 8, 1, 1), (6, 8, 2, 2), (6, 8, 2, 2), (6, 16, 2, 2), (6, 24, 1, 1), (6, 40, 2, 2), (6, 80, 1, 1)]
        layers = [nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU6(inplace=True)]
        cin = 8
        for t, c, n, s in rows:
            for i in range(n):
                layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        layers += [nn.Conv2d(cin, 160, 1, bias=False), nn.BatchNorm2d(160), nn.ReLU6(inplace=True)]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(160, classes))

    def forward(self, x):
        x = nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(x, 1))


# ---------------------------------------------------------------- BERT

class SelfAttention(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.heads, self.size = heads, hidden // heads
        self.query, self.key, self.value = nn.Linear(hidden, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)
        self.output = nn.Linear(hidden, hidden)
        self.norm = nn.LayerNorm(hidden, eps=1e-12)

    def split(self, x):
        n, s, _ = x.shape
        return x.view(n, s, self.heads, self.size).permute(0, 2, 1, 3)

    def forward(self, x, mask):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / (self.size ** 0.5)
        keep = mask[:, None, None, :].expand(scores.shape)
        scores = torch.where(keep, scores, torch.tensor(-10000.0))
        context = torch.matmul(torch.softmax(scores, dim=-1), v).permute(0, 2, 1, 3)
        context = context.reshape(x.shape)
        return self.norm(x + self.output(context))


class EncoderLayer(nn.Module):
    def __init__(self, hidden, heads, intermediate):
        super().__init__()
        self.attention = SelfAttention(hidden, heads)
        self.up, self.down = nn.Linear(hidden, intermediate), nn.Linear(intermediate, hidden)
        self.norm = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, x, mask):
        x = self.attention(x, mask)
        # Exact (erf) GELU: opset 17 has no Gelu operator, so it exports as Erf arithmetic.
        return self.norm(x + self.down(nn.functional.gelu(self.up(x))))


class BertEncoder(nn.Module):
    """BERT's embeddings (word + position + token type, LayerNorm) and two
    encoder layers, at hidden size 32 with 4 heads; the attention mask is an
    INT64 0/1 input like Hugging Face's."""

    def __init__(self, vocab=120, hidden=32, heads=4, intermediate=64, positions=16, layers=2):
        super().__init__()
        self.words = nn.Embedding(vocab, hidden)
        self.positions = nn.Embedding(positions, hidden)
        self.types = nn.Embedding(2, hidden)
        self.register_buffer("position_ids", torch.arange(positions).unsqueeze(0), persistent=False)
        self.register_buffer("type_ids", torch.zeros(1, positions, dtype=torch.long), persistent=False)
        self.norm = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList([EncoderLayer(hidden, heads, intermediate) for _ in range(layers)])

    def forward(self, input_ids, attention_mask):
        n, s = input_ids.shape
        positions = self.position_ids[:, :s]
        types = self.type_ids[:, :s].expand(n, s)
        x = self.norm(self.words(input_ids) + self.positions(positions) + self.types(types))
        keep = attention_mask == 1
        for layer in self.layers:
            x = layer(x, keep)
        return x, x[:, 0]


# ---------------------------------------------------------------- FLOAT16

class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 6, 3, padding=1)
        self.bn = nn.BatchNorm2d(6)
        self.fc = nn.Linear(6 * 4 * 4, 5)

    def forward(self, x):
        x = nn.functional.max_pool2d(torch.relu(self.bn(self.conv(x))), 2)
        return torch.softmax(self.fc(torch.flatten(x, 1)), dim=1)


def to_float16(model_bytes):
    from onnxconverter_common import float16
    model = float16.convert_float_to_float16(onnx.load_from_string(model_bytes), keep_io_types=False)
    onnx.checker.check_model(model, full_check=True)
    return model.SerializeToString()


# ---------------------------------------------------------------- writing

def torch_models(w):
    """Writes the PyTorch fixtures through `w.exported`."""
    torch.manual_seed(17)
    g = torch.Generator().manual_seed(17)

    resnet = ResNet18()
    randomize_batch_norms(resnet, g)
    x = torch.randn(2, 3, 40, 40, generator=g)
    w.exported("torch_resnet18", export(resnet, (x,), ["input"], ["logits"], {"input": {0: "N"}, "logits": {0: "N"}}),
               {"input": x.numpy()})

    mobilenet = MobileNetV2()
    randomize_batch_norms(mobilenet, g)
    x = torch.randn(2, 3, 48, 48, generator=g)
    w.exported("torch_mobilenetv2", export(mobilenet, (x,), ["input"], ["logits"],
                                           {"input": {0: "N"}, "logits": {0: "N"}}), {"input": x.numpy()})

    bert = BertEncoder()
    ids = torch.randint(0, 120, (2, 9), generator=g)
    mask = torch.ones(2, 9, dtype=torch.long)
    mask[1, 6:] = 0
    dynamic = {"input_ids": {0: "N", 1: "S"}, "attention_mask": {0: "N", 1: "S"},
               "hidden": {0: "N", 1: "S"}, "pooled": {0: "N"}}
    w.exported("torch_bert_encoder", export(bert, (ids, mask), ["input_ids", "attention_mask"], ["hidden", "pooled"], dynamic),
               {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})

    cnn = SmallCNN()
    randomize_batch_norms(cnn, g)
    x = torch.randn(3, 2, 8, 8, generator=g)
    half = to_float16(export(cnn, (x,), ["input"], ["probs"], {"input": {0: "N"}, "probs": {0: "N"}}))
    w.exported("torch_cnn_float16", half, {"input": x.numpy().astype(np.float16)})
