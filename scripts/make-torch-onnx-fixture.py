#!/usr/bin/python3
# Writes a foreign ONNX fixture for the weights view (main/onnx/weights.ts): a tiny PyTorch model — bidirectional
# nn.LSTM(3→4), bidirectional nn.GRU(8→2), nn.Linear(4→5) — exported by torch.onnx.export, plus the norms of every
# gate block computed here from torch's own parameters, as the independent check. A dev-only tool:
#   /usr/bin/python3 scripts/make-torch-onnx-fixture.py [outDir]      (default test/fixtures/onnx-foreign)
# with Debian's python3-torch (1.13) and python3-onnx. Writes:
#   torch-lstm-gru.onnx           torch.onnx.export's file as it is
#   torch-lstm-gru-rewired.onnx   the same model with the LSTM's W fed through an Identity node and the GRU's R held by
#                                 a Constant node instead of an initializer (both readable by the weights view)
#   torch-lstm-gru-computed.onnx  the same model with the GRU's B computed by an Add node: that GRU is "not readable"
#   torch-lstm-gru.expected.json  per node, direction and gate: shape, Frobenius norm, mean |w|, max |w| (float64)
#
# Gate orders: torch's weight_ih_l0 holds LSTM i, f, g, o and GRU r, z, n; ONNX holds LSTM i, o, f, c and GRU z, r, h.
# B in ONNX is [input bias (Wb), recurrent bias (Rb)]: torch's bias_ih and bias_hh. "backward" is torch's *_reverse.
import json
import os
import sys

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper

OUT = sys.argv[1] if len(sys.argv) > 1 else 'test/fixtures/onnx-foreign'
# ONNX gate name -> index of torch's chunk
TORCH_CHUNK = {'LSTM': {'i': 0, 'o': 3, 'f': 1, 'c': 2}, 'GRU': {'z': 1, 'r': 0, 'h': 2}}
ONNX_GATES = {'LSTM': ['i', 'o', 'f', 'c'], 'GRU': ['z', 'r', 'h']}


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(3, 4, batch_first=True, bidirectional=True)
        self.gru = torch.nn.GRU(8, 2, batch_first=True, bidirectional=True)
        self.fc = torch.nn.Linear(4, 5)

    def forward(self, x):
        y, _ = self.lstm(x)
        y, _ = self.gru(y)
        return self.fc(y[:, -1])


def stats(a):
    a = np.asarray(a, dtype=np.float64)
    return {'shape': list(a.shape), 'norm': float(np.sqrt((a * a).sum())), 'meanAbs': float(np.abs(a).mean()),
            'maxAbs': float(np.abs(a).max())}


def expected_blocks(op, module):
    H = module.hidden_size
    blocks = []
    for direction, suffix in (('forward', ''), ('backward', '_reverse')):
        p = {k: getattr(module, f'{k}_l0{suffix}').detach().double().numpy()
             for k in ('weight_ih', 'weight_hh', 'bias_ih', 'bias_hh')}
        for gate in ONNX_GATES[op]:
            j = TORCH_CHUNK[op][gate]
            rows = slice(j * H, (j + 1) * H)
            for block, key in (('W', 'weight_ih'), ('R', 'weight_hh'), ('Wb', 'bias_ih'), ('Rb', 'bias_hh')):
                blocks.append({'direction': direction, 'gate': gate, 'block': f'{block}_{gate}', **stats(p[key][rows])})
    return blocks


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(13)
    model = Model().eval()
    path = os.path.join(OUT, 'torch-lstm-gru.onnx')
    torch.onnx.export(model, torch.randn(1, 6, 3), path, input_names=['x'], output_names=['y'], opset_version=14)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    nodes = {n.op_type: n for n in m.graph.node if n.op_type in ('LSTM', 'GRU')}
    expected = {
        'script': 'scripts/make-torch-onnx-fixture.py',
        'torch': torch.__version__,
        'layers': [
            {'node': nodes['LSTM'].name, 'op': 'LSTM', 'hiddenSize': 4, 'inputSize': 3,
             'blocks': expected_blocks('LSTM', model.lstm)},
            {'node': nodes['GRU'].name, 'op': 'GRU', 'hiddenSize': 2, 'inputSize': 8,
             'blocks': expected_blocks('GRU', model.gru)},
            {'node': [n.name for n in m.graph.node if n.op_type == 'Gemm'][0], 'op': 'Gemm',
             'blocks': [{'block': 'W', **stats(model.fc.weight.detach().double().numpy())},
                        {'block': 'B', **stats(model.fc.bias.detach().double().numpy())}]},
        ],
    }
    with open(os.path.join(OUT, 'torch-lstm-gru.expected.json'), 'w') as f:
        json.dump(expected, f, indent=1)
        f.write('\n')

    # The rewired copy: Identity in front of the LSTM's W, the GRU's R as a Constant node (both readable).
    rewired = onnx.load(path)
    g = rewired.graph
    inits = {t.name: t for t in g.initializer}
    lstm, gru = [next(n for n in g.node if n.op_type == op) for op in ('LSTM', 'GRU')]
    w_name = lstm.input[1]
    lstm.input[1] = w_name + '.through_identity'
    r_name = gru.input[2]
    g.initializer.remove(inits[r_name])
    prepend(g, [helper.make_node('Identity', [w_name], [lstm.input[1]], name='rewired.identity'),
                helper.make_node('Constant', [], [r_name], name='rewired.constant', value=inits[r_name])])
    onnx.checker.check_model(rewired)
    onnx.save(rewired, os.path.join(OUT, 'torch-lstm-gru-rewired.onnx'))

    # The computed copy: the GRU's B is the sum of two initializers (an Add node): its GRU is "not readable".
    computed = onnx.load(path)
    g = computed.graph
    inits = {t.name: t for t in g.initializer}
    gru = next(n for n in g.node if n.op_type == 'GRU')
    b_name = gru.input[3]
    b = numpy_helper.to_array(inits[b_name])
    g.initializer.remove(inits[b_name])
    half = np.full_like(b, 0.5)
    g.initializer.extend([numpy_helper.from_array(b - half, b_name + '.part'),
                          numpy_helper.from_array(half, b_name + '.half')])
    prepend(g, [helper.make_node('Add', [b_name + '.part', b_name + '.half'], [b_name], name='computed.add')])
    onnx.checker.check_model(computed)
    onnx.save(computed, os.path.join(OUT, 'torch-lstm-gru-computed.onnx'))


def prepend(graph, nodes):
    for n in reversed(nodes):
        graph.node.insert(0, n)

if __name__ == '__main__':
    main()
