# The benchmark's PyTorch side (run by bench/run.mjs, not by hand): the same workloads in PyTorch, at its best on this
# machine: Debian's python3-torch run with /usr/bin/python3, OpenBLAS (libopenblas0-openmp) and
# OPENBLAS_CORETYPE=SkylakeX set by the caller. Reads one JSON request on stdin, prints one JSON line per result.
import json
import sys
import time

import torch
import torch.nn as nn

req = json.load(sys.stdin)
torch.manual_seed(0)
CELLS = {'lstm': nn.LSTM, 'gru': nn.GRU, 'simple_rnn': nn.RNN}


class Net(nn.Module):
    # recurrent layers (each bidirectional or not, all but the last returning sequences), dropout 0.2, dense head
    def __init__(self, w):
        super().__init__()
        self.rnns = nn.ModuleList()
        features = w['F']
        for layer in w['layers']:
            rnn = CELLS[w['cell']](features, w['units'], batch_first=True, bidirectional=layer['directions'] == 2)
            self.rnns.append(rnn)
            features = w['units'] * layer['directions']
        self.drop = nn.Dropout(0.2)
        self.head = nn.Linear(features, 10)

    def forward(self, x):
        for k, rnn in enumerate(self.rnns):
            x, _ = rnn(x)
            if k == len(self.rnns) - 1:
                x = x[:, -1, :] if rnn.bidirectional is False else torch.cat([x[:, -1, :x.shape[2] // 2], x[:, 0, x.shape[2] // 2:]], 1)
            x = self.drop(x)
        return self.head(x)


BUDGET = 6.0  # seconds of timed windows per measurement at most: a collapsed run (10x slower) is cut short


def timed_windows(fn, per_window, windows):
    out, spent = [], 0.0
    for _ in range(windows):
        t = time.perf_counter()
        fn()
        dt = time.perf_counter() - t
        out.append(per_window(dt))
        spent += dt
        if spent > BUDGET and len(out) >= 1:
            break
    return out


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def bench(w, threads):
    torch.set_num_threads(threads)
    net = Net(w)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    B = w['batch']
    x = torch.rand(B, w['T'], w['F'])
    y = torch.randint(0, 10, (B,))
    out = {'threads': threads}

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()

    if w.get('train', True):
        net.train()
        for _ in range(3):
            train_step()
        def window():
            for _ in range(w['steps']):
                train_step()
        out['train_samples_per_s'] = median(timed_windows(window, lambda dt: B * w['steps'] / dt, w['windows']))
    net.eval()
    with torch.no_grad():
        for batch, key in ((64, 'infer64_samples_per_s'), (1, 'infer1_ms')):
            xb = torch.rand(batch, w['T'], w['F'])
            for _ in range(3):
                net(xb)
            reps = w['steps'] * (4 if batch == 1 else 1)

            def window():
                for _ in range(reps):
                    net(xb)
            out[key] = median(timed_windows(window, lambda dt: batch * reps / dt if batch > 1 else dt / reps * 1e3,
                                            w['windows']))
    return out


def gemm_peak(threads, n=1536, seconds=0.6):
    torch.set_num_threads(threads)
    a, b = torch.rand(n, n), torch.rand(n, n)
    torch.mm(a, b)
    best = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t = time.perf_counter()
        torch.mm(a, b)
        best = max(best, 2 * n ** 3 / (time.perf_counter() - t) / 1e9)
    return best


if req.get('peak'):
    print(json.dumps({'peak': {str(t): gemm_peak(t) for t in req['threads']}, 'torch': torch.__version__,
                      'blas': torch.__config__.show().count('BLAS_INFO=open') > 0}), flush=True)
for w in req.get('workloads', []):
    for threads in req['threads']:
        print(json.dumps({'name': w['name'], **bench(w, threads)}), flush=True)
