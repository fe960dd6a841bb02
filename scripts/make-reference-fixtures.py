#!/usr/bin/python3
# Writes the engine's independent reference fixtures (forward outputs and gradients from PyTorch, float64) into
# test/fixtures/reference/. A dev-only tool: `/usr/bin/python3 scripts/make-reference-fixtures.py [outDir]` with
# Debian's python3-torch (1.13). Deterministic: a rerun writes the same bytes. The format is described in
# test/fixtures/reference/README.md; re-run it after changing a case, and commit what it writes.
#
# Dimension legend: T steps, B batch, I input features, H units, D directions, G gates.
import json
import os
import struct
import sys
import zlib

import numpy as np
import torch

T, B, I, H = 5, 3, 4, 3
SCRIPT = 'scripts/make-reference-fixtures.py'
MAGIC = b'RNNREF1\0'
LOSS = 'sum(Y * r_Y) + sum(Y_h * r_h)'
STACK_LOSS = 'sum(y * r_y)'

# cell -> what ONNX and the engine call it; `to_torch` lists, for each of torch's gate blocks in torch's order,
# the index of the ONNX gate block it is (LSTM ONNX i,o,f,c -> torch i,f,g,o; GRU ONNX z,r,h -> torch r,z,n).
CELLS = {
    'simple_rnn_tanh': dict(G=1, onnx_op='RNN', gate_order='h', activation='tanh', recurrent_activation=None,
                            activations=['Tanh'], linear_before_reset=None, to_torch=[0]),
    'simple_rnn_relu': dict(G=1, onnx_op='RNN', gate_order='h', activation='relu', recurrent_activation=None,
                            activations=['Relu'], linear_before_reset=None, to_torch=[0]),
    'lstm': dict(G=4, onnx_op='LSTM', gate_order='i,o,f,c', activation='tanh', recurrent_activation='sigmoid',
                 activations=['Sigmoid', 'Tanh', 'Tanh'], linear_before_reset=None, to_torch=[0, 2, 3, 1]),
    'gru_reset_after': dict(G=3, onnx_op='GRU', gate_order='z,r,h', activation='tanh',
                            recurrent_activation='sigmoid', activations=['Sigmoid', 'Tanh'],
                            linear_before_reset=1, to_torch=[1, 0, 2]),
    'gru_reset_before': dict(G=3, onnx_op='GRU', gate_order='z,r,h', activation='tanh',
                             recurrent_activation='sigmoid', activations=['Sigmoid', 'Tanh'],
                             linear_before_reset=0, to_torch=None),  # no torch module: the hand formula is the reference
}
DIRECTIONS = {'forward': 1, 'reverse': 1, 'bidirectional': 2}


def uniform(rng, shape, scale):
    # numpy's PCG64 stream is stable across versions, unlike torch's generator
    return torch.tensor(rng.uniform(-scale, scale, size=shape), dtype=torch.float64)


def make_layer_weights(rng, cell, direction, inputs):
    G, D = CELLS[cell]['G'], DIRECTIONS[direction]
    return dict(W=uniform(rng, (D, G * H, inputs), 0.5),   # (D, G*H, I)
                R=uniform(rng, (D, G * H, H), 0.5),        # (D, G*H, H)
                B=uniform(rng, (D, 2 * G * H), 0.5))       # (D, 2*G*H): Wb then Rb


# ---- the hand-written formulas, straight from the ONNX operator definitions, on ONNX-layout weights ----

def hand_step(cell, x_t, h, c, W, R, Wb, Rb):
    # x_t (B, I), h (B, H), c (B, H) or None, W (G*H, I), R (G*H, H), Wb (G*H), Rb (G*H)
    if cell.startswith('simple_rnn'):
        a = x_t @ W.T + Wb + h @ R.T + Rb
        return (torch.tanh(a) if cell == 'simple_rnn_tanh' else torch.relu(a)), None
    if cell == 'lstm':
        a = x_t @ W.T + Wb + h @ R.T + Rb
        i, o, f, g = a.split(H, dim=1)  # ONNX gate order i, o, f, c
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c
    Wz, Wr, Wh = W.split(H, dim=0)  # ONNX gate order z, r, h
    Rz, Rr, Rh = R.split(H, dim=0)
    Wbz, Wbr, Wbh = Wb.split(H)
    Rbz, Rbr, Rbh = Rb.split(H)
    z = torch.sigmoid(x_t @ Wz.T + Wbz + h @ Rz.T + Rbz)
    r = torch.sigmoid(x_t @ Wr.T + Wbr + h @ Rr.T + Rbr)
    if cell == 'gru_reset_after':  # linear_before_reset = 1
        n = torch.tanh(x_t @ Wh.T + Wbh + r * (h @ Rh.T + Rbh))
    else:  # linear_before_reset = 0
        n = torch.tanh(x_t @ Wh.T + Wbh + (r * h) @ Rh.T + Rbh)
    return (1 - z) * n + z * h, None


def hand_layer(cell, direction, x, W, R, Bias):
    # x (T, B, I) -> Y (T, D, B, H), Y_h (D, B, H), Y_c (D, B, H) or None
    G, D = CELLS[cell]['G'], W.shape[0]
    Ys, Yhs, Ycs = [], [], []
    for d in range(D):
        backward = direction == 'reverse' or d == 1
        h = torch.zeros(x.shape[1], H, dtype=torch.float64)
        c = torch.zeros_like(h) if cell == 'lstm' else None
        out = [None] * x.shape[0]
        for t in (reversed(range(x.shape[0])) if backward else range(x.shape[0])):
            h, c = hand_step(cell, x[t], h, c, W[d], R[d], Bias[d, :G * H], Bias[d, G * H:])
            out[t] = h
        Ys.append(torch.stack(out))
        Yhs.append(h)
        Ycs.append(c)
    Y = torch.stack(Ys, dim=1)
    return Y, torch.stack(Yhs), (torch.stack(Ycs) if cell == 'lstm' else None)


# ---- the torch.nn modules, with the ONNX-layout tensors mapped into their parameters ----

def to_torch_gates(cell, M):
    # M (G*H, ...) in ONNX gate order -> torch gate order
    return torch.cat([M[k * H:(k + 1) * H] for k in CELLS[cell]['to_torch']], dim=0)


def torch_module(cell, inputs, W, R, Bias):
    G, D = CELLS[cell]['G'], W.shape[0]
    bidirectional = D == 2
    if cell.startswith('simple_rnn'):
        module = torch.nn.RNN(inputs, H, nonlinearity=cell.split('_')[-1], bidirectional=bidirectional,
                              dtype=torch.float64)
    elif cell == 'lstm':
        module = torch.nn.LSTM(inputs, H, bidirectional=bidirectional, dtype=torch.float64)
    else:
        module = torch.nn.GRU(inputs, H, bidirectional=bidirectional, dtype=torch.float64)
    mapped = {}
    for d in range(D):
        suffix = '_l0_reverse' if d == 1 else '_l0'
        mapped['weight_ih' + suffix] = to_torch_gates(cell, W[d])
        mapped['weight_hh' + suffix] = to_torch_gates(cell, R[d])
        mapped['bias_ih' + suffix] = to_torch_gates(cell, Bias[d, :G * H])
        mapped['bias_hh' + suffix] = to_torch_gates(cell, Bias[d, G * H:])
    assert sorted(mapped) == sorted(module._flat_weights_names), (sorted(mapped), module._flat_weights_names)
    # Swap the parameters for plain tensors computed from W, R, B, so that autograd differentiates through the
    # mapping and the gradients come out in ONNX layout. RNNBase.__setattr__ keeps _flat_weights in step.
    for name, tensor in mapped.items():
        del module._parameters[name]
        setattr(module, name, tensor)
    return module


def torch_layer(cell, direction, x, W, R, Bias):
    D = W.shape[0]
    module = torch_module(cell, x.shape[2], W, R, Bias)
    # ONNX "reverse" = a forward pass over the time-flipped input, its output flipped back to input time
    out, state = module(x.flip(0) if direction == 'reverse' else x)  # out (T, B, D*H), state (D, B, H)
    if direction == 'reverse':
        out = out.flip(0)
    Y = out.view(x.shape[0], x.shape[1], D, H).permute(0, 2, 1, 3)
    if cell == 'lstm':
        return Y, state[0], state[1]
    return Y, state, None


def run_layer(cell, direction, x, W, R, Bias):
    if CELLS[cell]['to_torch'] is None:
        return hand_layer(cell, direction, x, W, R, Bias)
    return torch_layer(cell, direction, x, W, R, Bias)


def max_diff(a, b):
    return max(float((p - q).abs().max()) for p, q in zip(a, b) if p is not None)


def header_cell(cell, direction):
    spec = CELLS[cell]
    return dict(cell=cell, direction=direction, activation=spec['activation'],
                recurrent_activation=spec['recurrent_activation'], onnx_op=spec['onnx_op'],
                onnx_activations=spec['activations'] * DIRECTIONS[direction],
                linear_before_reset=spec['linear_before_reset'], gate_order=spec['gate_order'])


# ---- the cases ----

def single_case(cell, direction):
    name = f'{cell}-{direction}'
    seed = zlib.crc32(name.encode())
    rng = np.random.default_rng(seed)
    D, G = DIRECTIONS[direction], CELLS[cell]['G']
    w = make_layer_weights(rng, cell, direction, I)
    x = uniform(rng, (T, B, I), 1.0)
    r_Y = uniform(rng, (T, D, B, H), 1.0)
    r_h = uniform(rng, (D, B, H), 1.0)
    leaves = [w['W'].requires_grad_(), w['R'].requires_grad_(), w['B'].requires_grad_(), x.requires_grad_()]

    def forward(layer):
        Y, Y_h, Y_c = layer(cell, direction, x, w['W'], w['R'], w['B'])
        return [Y, Y_h, Y_c, (Y * r_Y).sum() + (Y_h * r_h).sum()]

    def evaluate(layer):
        outputs = forward(layer)
        return outputs + list(torch.autograd.grad(outputs[-1], leaves))

    reference = evaluate(run_layer)
    if CELLS[cell]['to_torch'] is None:
        # no torch module to compare with: check autograd against central differences of L instead
        check = 'autograd vs central differences'
        diff = max_diff(reference[4:], finite_differences(lambda: forward(hand_layer)[3], leaves))
    else:
        check = f'torch.nn.{type_name(cell)} vs hand formula'
        diff = max_diff(reference, evaluate(hand_layer))
    Y, Y_h, Y_c, L, dW, dR, dB, dx = reference
    tensors = [('x', x), ('W', w['W']), ('R', w['R']), ('B', w['B']), ('r_Y', r_Y), ('r_h', r_h),
               ('Y', Y), ('Y_h', Y_h)] + ([('Y_c', Y_c)] if Y_c is not None else []) + \
              [('L', L), ('dW', dW), ('dR', dR), ('dB', dB), ('dx', dx)]
    header = dict(case=name, **header_cell(cell, direction), T=T, B=B, I=I, H=H, D=D, G=G,
                  loss=LOSS, seed=seed,
                  reference='hand formula (torch ops, autograd)' if CELLS[cell]['to_torch'] is None
                  else f'torch.nn.{type_name(cell)}',
                  cross_check=check, cross_check_max_abs_diff=diff)
    return name, header, tensors, diff


# ---- masks: a padded batch of mixed lengths (padding at the end, x = 0 there: Keras Masking(0)) ----

MASK_B, MASK_LENGTHS = 4, [5, 2, 4, 1]


def torch_masked_layer(cell, direction, x, lengths, W, R, Bias):
    # torch.nn.utils.rnn.pack_padded_sequence: each sample runs its real steps only (the reverse direction starts at
    # its last real step); pad_packed_sequence puts zeros at the padded steps; h_n is each sample's last real state
    D = W.shape[0]
    module = torch_module(cell, x.shape[2], W, R, Bias)
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
    out, state = module(packed)
    out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, total_length=x.shape[0])
    Y = out.view(x.shape[0], x.shape[1], D, H).permute(0, 2, 1, 3)
    if cell == 'lstm':
        return Y, state[0], state[1]
    return Y, state, None


def hand_masked_layer(cell, direction, x, lengths, W, R, Bias):
    # the hand formula on each sample alone (its real steps only), zeros at the padded steps
    D = W.shape[0]
    Ys, Yhs, Ycs = [], [], []
    for b, n in enumerate(lengths):
        Y, Y_h, Y_c = hand_layer(cell, direction, x[:n, b:b + 1], W, R, Bias)
        Ys.append(torch.cat([Y, torch.zeros(x.shape[0] - n, D, 1, H, dtype=torch.float64)]))
        Yhs.append(Y_h)
        Ycs.append(Y_c)
    Y_c = torch.cat(Ycs, dim=1) if cell == 'lstm' else None
    return torch.cat(Ys, dim=2), torch.cat(Yhs, dim=1), Y_c


def masked_case(cell, direction):
    name = f'masked-{cell}-{direction}'
    seed = zlib.crc32(name.encode())
    rng = np.random.default_rng(seed)
    D, G = DIRECTIONS[direction], CELLS[cell]['G']
    w = make_layer_weights(rng, cell, direction, I)
    real = torch.tensor([[1.0 if t < n else 0.0 for n in MASK_LENGTHS] for t in range(T)], dtype=torch.float64)
    x = uniform(rng, (T, MASK_B, I), 1.0) * real[:, :, None]
    r_Y = uniform(rng, (T, D, MASK_B, H), 1.0) * real[:, None, :, None]  # the padded steps' outputs do not count
    r_h = uniform(rng, (D, MASK_B, H), 1.0)
    leaves = [w['W'].requires_grad_(), w['R'].requires_grad_(), w['B'].requires_grad_(), x.requires_grad_()]

    def evaluate(layer):
        Y, Y_h, Y_c = layer(cell, direction, x, MASK_LENGTHS, w['W'], w['R'], w['B'])
        L = (Y * r_Y).sum() + (Y_h * r_h).sum()
        return [Y, Y_h, Y_c, L] + list(torch.autograd.grad(L, leaves))

    if CELLS[cell]['to_torch'] is None:
        reference = evaluate(hand_masked_layer)
        check = 'autograd vs central differences'
        diff = max_diff(reference[4:], finite_differences(
            lambda: hand_masked_layer(cell, direction, x, MASK_LENGTHS, w['W'], w['R'], w['B'])[0].mul(r_Y).sum()
            + hand_masked_layer(cell, direction, x, MASK_LENGTHS, w['W'], w['R'], w['B'])[1].mul(r_h).sum(), leaves))
    else:
        reference = evaluate(torch_masked_layer)
        check = f'torch.nn.{type_name(cell)} on pack_padded_sequence vs hand formula on each sample alone'
        diff = max_diff(reference, evaluate(hand_masked_layer))
    Y, Y_h, Y_c, L, dW, dR, dB, dx = reference
    lengths = torch.tensor(MASK_LENGTHS, dtype=torch.float64)
    tensors = [('x', x), ('lengths', lengths), ('W', w['W']), ('R', w['R']), ('B', w['B']), ('r_Y', r_Y),
               ('r_h', r_h), ('Y', Y), ('Y_h', Y_h)] + ([('Y_c', Y_c)] if Y_c is not None else []) + \
              [('L', L), ('dW', dW), ('dR', dR), ('dB', dB), ('dx', dx)]
    header = dict(case=name, **header_cell(cell, direction), T=T, B=MASK_B, I=I, H=H, D=D, G=G,
                  loss=LOSS, seed=seed, mask='x is 0 at the padded steps (Keras Masking(0)); lengths per sample',
                  reference='hand formula (torch ops, autograd) on each sample alone'
                  if CELLS[cell]['to_torch'] is None else f'torch.nn.{type_name(cell)} on pack_padded_sequence',
                  cross_check=check, cross_check_max_abs_diff=diff)
    return name, header, tensors, diff


def finite_differences(loss, leaves, eps=1e-6):
    grads = []
    with torch.no_grad():
        for leaf in leaves:
            g = torch.zeros_like(leaf)
            flat, gflat = leaf.view(-1), g.view(-1)
            for k in range(flat.numel()):
                v = float(flat[k])
                flat[k] = v + eps
                up = float(loss())
                flat[k] = v - eps
                down = float(loss())
                flat[k] = v
                gflat[k] = (up - down) / (2 * eps)
            grads.append(g)
    return grads


def type_name(cell):
    return 'RNN' if cell.startswith('simple_rnn') else 'LSTM' if cell == 'lstm' else 'GRU'


def concat_directions(Y):
    # Y (T, D, B, H) -> (T, B, D*H): forward units first, as Keras's merge_mode concat
    return Y.permute(0, 2, 1, 3).reshape(Y.shape[0], Y.shape[2], -1)


def merge_directions(Y, merge):
    # Y (T, D, B, H) -> (T, B, D*H) for concat, else (T, B, H): Keras's Bidirectional merge_mode, step by step on the
    # time-aligned outputs (the backward direction's Y[t] is its state after reading x[t])
    if merge == 'concat' or Y.shape[1] == 1:
        return concat_directions(Y)
    forward, backward = Y[:, 0], Y[:, 1]
    if merge == 'sum':
        return forward + backward
    if merge == 'mul':
        return forward * backward
    assert merge == 'ave', merge
    return (forward + backward) / 2


def stacked_case(name, layers, output, merge='concat'):
    seed = zlib.crc32(name.encode())
    rng = np.random.default_rng(seed)
    width = (lambda D: D * H) if merge == 'concat' else (lambda D: H)  # features a layer hands on
    weights, inputs = [], I
    for cell, direction in layers:
        weights.append(make_layer_weights(rng, cell, direction, inputs))
        inputs = width(DIRECTIONS[direction])
    x = uniform(rng, (T, B, I), 1.0)
    y_shape = (T, B, inputs) if output == 'sequences' else (B, inputs)
    r_y = uniform(rng, y_shape, 1.0)
    leaves = [t.requires_grad_() for w in weights for t in (w['W'], w['R'], w['B'])] + [x.requires_grad_()]

    def evaluate(layer):
        h, Ys = x, []
        for (cell, direction), w in zip(layers, weights):
            Y, Y_h, _ = layer(cell, direction, h, w['W'], w['R'], w['B'])
            Ys.append(Y)
            h = merge_directions(Y, merge)
        y = h if output == 'sequences' else merge_directions(Y_h.unsqueeze(0), merge)[0]
        L = (y * r_y).sum()
        return Ys + [y, L] + list(torch.autograd.grad(L, leaves))

    reference = evaluate(run_layer)
    diff = max_diff(reference, evaluate(hand_layer))
    n = len(layers)
    Ys, (y, L), grads = reference[:n], reference[n:n + 2], reference[n + 2:]
    tensors = [('x', x)]
    for k, w in enumerate(weights):
        tensors += [(f'layer{k}.W', w['W']), (f'layer{k}.R', w['R']), (f'layer{k}.B', w['B'])]
    tensors += [('r_y', r_y)] + [(f'layer{k}.Y', Y) for k, Y in enumerate(Ys)] + [('y', y), ('L', L)]
    for k in range(n):
        tensors += [(f'layer{k}.dW', grads[3 * k]), (f'layer{k}.dR', grads[3 * k + 1]),
                    (f'layer{k}.dB', grads[3 * k + 2])]
    tensors += [('dx', grads[-1])]
    layer_headers, inputs = [], I
    for cell, direction in layers:
        D, G = DIRECTIONS[direction], CELLS[cell]['G']
        layer_headers.append(dict(**header_cell(cell, direction), I=inputs, H=H, D=D, G=G))
        inputs = width(D)
    header = dict(case=name, cell='stacked', direction=None, activation=None, T=T, B=B, I=I, H=H, D=None, G=None,
                  layers=layer_headers, merge_mode=merge, output=output, loss=STACK_LOSS, seed=seed,
                  reference='torch.nn modules', cross_check='torch.nn modules vs hand formulas',
                  cross_check_max_abs_diff=diff)
    return name, header, tensors, diff


def encode(header, tensors):
    entries, blobs, offset = [], [], 0
    for name, t in tensors:
        data = t.detach().contiguous().numpy().astype('<f8').tobytes()
        entries.append(dict(name=name, dtype='float64', shape=list(t.shape), offset=offset, length=len(data)))
        blobs.append(data)
        offset += len(data)
    header = dict(header, tensors=entries, torch_version=torch.__version__, script=SCRIPT)
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * (-(len(MAGIC) + 4 + len(text)) % 8)  # pad so the data starts 8-byte aligned
    return MAGIC + struct.pack('<I', len(text)) + text + b''.join(blobs)


def main():
    torch.set_num_threads(1)  # one summation order, for the same bytes on every run
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, 'test', 'fixtures', 'reference')
    os.makedirs(out_dir, exist_ok=True)
    cases = [single_case(cell, direction) for cell in CELLS for direction in DIRECTIONS]
    cases.append(stacked_case('stacked-lstm_bidirectional-gru_reset_after_last',
                              [('lstm', 'bidirectional'), ('gru_reset_after', 'forward')], 'last'))
    cases.append(stacked_case('stacked-simple_rnn_relu_forward-simple_rnn_tanh_bidirectional_sequences',
                              [('simple_rnn_relu', 'forward'), ('simple_rnn_tanh', 'bidirectional')], 'sequences'))
    # Bidirectional layers merged by sum, mul and ave: between two layers and at the output, every step (sequences)
    # or the two final states (last).
    for merge, (first, second), single in (('sum', ('lstm', 'gru_reset_after'), 'simple_rnn_tanh'),
                                           ('mul', ('simple_rnn_tanh', 'lstm'), 'gru_reset_after'),
                                           ('ave', ('simple_rnn_relu', 'gru_reset_after'), 'lstm')):
        cases.append(stacked_case(f'stacked-merge_{merge}-{first}_bidirectional-{second}_bidirectional_sequences',
                                  [(first, 'bidirectional'), (second, 'bidirectional')], 'sequences', merge))
        cases.append(stacked_case(f'stacked-merge_{merge}-{single}_bidirectional_last',
                                  [(single, 'bidirectional')], 'last', merge))
    # masked cases in their own folder: the unmasked readers (ONNX, format) list the top folder only
    cases += [(os.path.join('masked', name), header, tensors, diff) for name, header, tensors, diff in
              (masked_case(cell, direction) for cell in CELLS for direction in ('forward', 'bidirectional'))]
    os.makedirs(os.path.join(out_dir, 'masked'), exist_ok=True)
    failures = []
    for name, header, tensors, diff in cases:
        data = encode(header, tensors)
        path = os.path.join(out_dir, name + '.ref')
        with open(path, 'wb') as f:
            f.write(data)
        print(f'{os.path.relpath(path, root)}: {len(data)} bytes; {header["cross_check"]}: max |diff| {diff:.3g}')
        limit = 1e-8 if 'central' in header['cross_check'] else 1e-12
        if diff > limit:
            failures.append(f'{name}: {header["cross_check"]} differ by {diff:.3g} (limit {limit:g})')
    print(f'wrote {len(cases)} files to {os.path.relpath(out_dir, root)}')
    if failures:
        sys.exit('\n'.join(failures))


if __name__ == '__main__':
    main()
