#!/usr/bin/python3
# Writes .npy files with NumPy itself into test/fixtures/npy/, with manifest.json giving each file's expected values
# (or the message the reader must refuse it with), so the reader is tested on what numpy writes rather than on what
# our own writer thinks numpy writes. A dev-only tool: `/usr/bin/python3 scripts/make-npy-fixtures.py [outDir]` with
# Debian's python3-numpy (1.24). Deterministic: a rerun writes the same bytes. Re-run it after changing a case, and
# commit what it writes; test/datasets/npy-numpy.test.ts reads every file.
#
# Covered: every dtype the reader takes (float16/32/64, signed and unsigned 8 to 64-bit integers, bool) in both byte
# orders, Fortran order, header versions 1.0, 2.0 and 3.0, 0-d, 1-d, 2-d and 3-d shapes, and empty arrays; refused:
# complex, object (pickled), structured, unicode and byte strings, long double and datetime.
import json
import math
import os
import sys

import numpy as np

SCRIPT = 'scripts/make-npy-fixtures.py'
UNSUPPORTED = "unsupported dtype '{}' (use float32, float64 or an integer type)"

# Six values per dtype, the extremes among them, laid out as a (2, 3) array unless a case says otherwise.
VALUES = {
    'f2': [0.0, -0.0, 65504.0, -2.0 ** -24, 1 / 3, -1.5],
    'f4': [0.0, -0.0, float(np.finfo(np.float32).max), -2.0 ** -149, 1 / 3, 1e-38],
    'f8': [0.0, -0.0, float(np.finfo(np.float64).max), -5e-324, 1 / 3, -123.456],
    'i1': [-128, 127, 0, -1, 42, -7],
    'i2': [-32768, 32767, 0, -1, 1234, -7],
    'i4': [-2 ** 31, 2 ** 31 - 1, 0, -1, 123456, -7],
    'i8': [-2 ** 63, 2 ** 63 - 1, 2 ** 53 + 1, -1, 0, -7],
    'u1': [0, 255, 1, 128, 42, 7],
    'u2': [0, 65535, 1, 32768, 1234, 7],
    'u4': [0, 2 ** 32 - 1, 1, 2 ** 31, 123456, 7],
    'u8': [0, 2 ** 64 - 1, 2 ** 53 + 1, 2 ** 63, 1, 7],
    'b1': [True, False, True, True, False, False],
}
SPECIALS = [float('nan'), float('inf'), float('-inf')]  # appended to the floats' (3, 3) arrays


def array(kind, order='<', shape=(2, 3), fortran=False, specials=False):
    values = VALUES[kind] + (SPECIALS if specials and kind[0] == 'f' else [])
    dtype = np.dtype(('|' if kind[1] == '1' else order) + ('?' if kind == 'b1' else kind))
    a = np.array(values, dtype=dtype).reshape(shape)
    return np.asfortranarray(a) if fortran else np.ascontiguousarray(a)


def expected(a):
    # Values in C order (what the reader returns whatever the file's order): plain JSON numbers, and the strings
    # "nan", "inf", "-inf" and "-0" for what JSON cannot hold.
    out = []
    for v in np.ascontiguousarray(a).reshape(-1).tolist():
        if isinstance(v, bool):
            out.append(int(v))
        elif isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
            out.append('nan' if math.isnan(v) else 'inf' if v > 0 else '-inf')
        elif isinstance(v, float) and v == 0 and math.copysign(1, v) < 0:
            out.append('-0')
        else:
            out.append(v)
    return out


def cases():
    out = []

    def add(name, a, version=(1, 0), refused=None, note=None):
        out.append((name, a, version, refused, note))

    for kind in VALUES:  # every dtype, both byte orders (single bytes have none)
        for order in ('<',) if kind[1] == '1' else ('<', '>'):
            floats = kind[0] == 'f'
            shape = (3, 3) if floats else (2, 3)
            suffix = '' if kind[1] == '1' else '-le' if order == '<' else '-be'
            add(f'{kind}{suffix}.npy', array(kind, order, shape, specials=floats))
    for version in ((2, 0), (3, 0)):  # header versions 2.0 and 3.0 (a 4-byte header length; 3.0 utf-8)
        v = f'v{version[0]}'
        add(f'f4-le-{v}.npy', array('f4'), version)
        add(f'i8-be-{v}.npy', array('i8', '>'), version)
    # Fortran order: the file holds the transpose's bytes; the reader returns C order.
    add('f8-le-fortran-2x3x4.npy', np.asfortranarray(np.arange(24, dtype='<f8').reshape(2, 3, 4) / 8 - 1))
    add('f4-be-fortran.npy', array('f4', '>', fortran=True))
    add('i2-le-fortran-3x2x2-v3.npy', np.asfortranarray(np.arange(-6, 6, dtype='<i2').reshape(3, 2, 2)), (3, 0))
    add('u1-fortran-4x3-v2.npy', np.asfortranarray(np.arange(12, dtype='u1').reshape(4, 3) * 21), (2, 0))
    # Shapes: 0-d, 1-d, 3-d.
    add('f8-le-0d.npy', np.array(-2.75, dtype='<f8'))
    add('i4-be-0d.npy', np.array(-123456, dtype='>i4'))
    add('f4-le-1d.npy', np.array(VALUES['f4'], dtype='<f4'))
    add('f4-le-2x3x4.npy', np.arange(24, dtype='<f4').reshape(2, 3, 4) / 4 - 3)
    # Empty arrays: nothing to read, refused with the shape.
    add('f4-le-empty.npy', np.zeros((0,), dtype='<f4'), refused='holds no data (shape [0])')
    add('i8-le-empty-2x0x3.npy', np.zeros((2, 0, 3), dtype='<i8'), refused='holds no data (shape [2, 0, 3])')
    # Refused dtypes.
    add('c8.npy', np.array([1 + 2j, -3j], dtype='<c8'), refused=UNSUPPORTED.format('<c8'))
    add('c16-be.npy', np.array([1 + 2j, -3j], dtype='>c16'), refused=UNSUPPORTED.format('>c16'))
    add('object-pickle.npy', np.array([1, 'two', None], dtype=object), refused=UNSUPPORTED.format('|O'),
        note='np.save pickles an object array; the reader refuses it from the header and never reads the pickle')
    add('structured.npy', np.zeros(2, dtype=[('a', '<f4'), ('b', '>i2')]),
        refused='structured dtypes are not supported: save a plain numeric array')
    add('unicode.npy', np.array(['ab', 'c'], dtype='<U2'), refused=UNSUPPORTED.format('<U2'))
    add('bytes.npy', np.array([b'ab', b'c'], dtype='|S2'), refused=UNSUPPORTED.format('|S2'))
    add('longdouble.npy', np.array([1.5, -2.0], dtype=np.longdouble),
        refused=UNSUPPORTED.format(np.dtype(np.longdouble).str))
    add('datetime.npy', np.array(['2026-12-01', '2026-12-02'], dtype='<M8[D]'), refused=UNSUPPORTED.format('<M8[D]'))
    return out


def main():
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, 'test', 'fixtures', 'npy')
    os.makedirs(out_dir, exist_ok=True)
    manifest = []
    for name, a, version, refused, note in cases():
        with open(os.path.join(out_dir, name), 'wb') as f:
            np.lib.format.write_array(f, a, version=version, allow_pickle=True)
        entry = dict(file=name, descr=a.dtype.descr if a.dtype.names else a.dtype.str, shape=list(a.shape),
                     fortran_order=bool(a.ndim > 1 and a.flags.f_contiguous and not a.flags.c_contiguous),
                     version=f'{version[0]}.{version[1]}')
        if refused:
            entry['refused'] = f'{name}: {refused}'
        else:
            entry['values'] = expected(a)
        if note:
            entry['note'] = note
        manifest.append(entry)
    with open(os.path.join(out_dir, 'manifest.json'), 'w') as f:  # one file a line
        head = json.dumps(dict(script=SCRIPT, numpy=np.__version__))[:-1]
        f.write(head + ', "files": [\n' + ',\n'.join(json.dumps(e) for e in manifest) + '\n]}\n')
    print(f'wrote {len(manifest)} .npy files and manifest.json to {os.path.relpath(out_dir, root)}')


if __name__ == '__main__':
    main()
