// Writes a corpus of hostile ONNX files: external data in every place ONNX allows it (initializers, tensor and
// sparse-tensor attributes, sparse initializers, subgraphs of If/Loop/Scan at any depth, local functions), absurd
// shapes, non-finite weights and operators RNN Lab does not run. Each file, run as it is, would make onnxruntime read
// `canary.bin` from its working directory (or allocate without bound, or compute NaN); RNN Lab must refuse every one
// with a message before onnxruntime sees it.
//
// `node scripts/make-hostile-onnx.mjs OUT_DIR` writes OUT_DIR/<case>.onnx and OUT_DIR/manifest.json: one entry per
// file, { file, what, message } where `message` is a regular expression (source) the refusal must match. Deterministic.
// The tests generate it into a temporary folder (test/onnx/hostile.test.ts); nothing is committed.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import onnxProto from 'onnx-proto'

const { onnx } = onnxProto

/** The file every hostile model names: the test puts a canary file there, and its bytes must never come back. */
export const CANARY = 'canary.bin'
/** The canary holds 8 float32 (32 bytes); 8 int64 indices would need 64. */
const FLOAT = 1
const BOOL = 9
const INT64 = 7
const EXTERNAL = onnx.TensorProto.DataLocation.EXTERNAL
const ATTR = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  INTS: 7,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12
}

const floats = (values) => new Uint8Array(new Float32Array(values).buffer)
const int64s = (values) => new Uint8Array(new BigInt64Array(values.map(BigInt)).buffer)

function tensor(name, dims, values, dataType = FLOAT) {
  return { name, dims, dataType, rawData: dataType === INT64 ? int64s(values) : floats(values) }
}
/** A tensor whose values are `length` bytes of the canary file (key `location`, as ONNX and onnxruntime read it). */
function external(name, dims, dataType = FLOAT, { withLocation = true } = {}) {
  const length = dims.reduce((a, d) => a * d, 1) * (dataType === INT64 ? 8 : 4)
  return {
    name,
    dims,
    dataType,
    ...(withLocation ? { dataLocation: EXTERNAL } : {}),
    externalData: [
      { key: 'location', value: CANARY },
      { key: 'offset', value: '0' },
      { key: 'length', value: String(length) }
    ]
  }
}
/** A sparse [1, 8] tensor with 8 values at indices 0..7; either part may be stored externally. */
function sparse(name, { values = 'inline', indices = 'inline' } = {}) {
  return {
    dims: [1, 8],
    values: values === 'external' ? external(name, [8]) : tensor(name, [8], [1, 2, 3, 4, 5, 6, 7, 8]),
    indices:
      indices === 'external'
        ? external(`${name}.indices`, [8], INT64)
        : tensor(`${name}.indices`, [8], [0, 1, 2, 3, 4, 5, 6, 7], INT64)
  }
}
const valueInfo = (name, dims, elemType = FLOAT) => ({
  name,
  type: {
    tensorType: {
      elemType,
      shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) }
    }
  }
})
const node = (opType, input, output, attribute = [], extra = {}) => ({
  opType,
  input,
  output,
  name: output[0],
  attribute,
  ...extra
})
const constantOf = (output, attribute) => node('Constant', [], [output], [attribute])
const sparseValue = (s) => ({ name: 'sparse_value', type: ATTR.SPARSE_TENSOR, sparseTensor: s })
const tensorValue = (t) => ({ name: 'value', type: ATTR.TENSOR, t })

/**
 * A model whose first output `leak` [1, 8] is Add(`secret`, zeros), `secret` made by `nodes` (and `initializers`),
 * and whose second output echoes the input [batch, 1, 8]: what the inference service accepts as a model.
 */
function model({ nodes = [], initializers = [], sparseInitializers = [], functions = [], opset = 17 }) {
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'hostile',
      opsetImport: [{ domain: '', version: opset }, ...functions.map((f) => ({ domain: f.domain, version: 1 }))],
      functions,
      graph: {
        name: 'hostile',
        input: [valueInfo('input', ['batch', 1, 8])],
        initializer: [tensor('zeros', [1, 8], new Array(8).fill(0)), ...initializers],
        sparseInitializer: sparseInitializers,
        node: [...nodes, node('Add', ['secret', 'zeros'], ['leak']), node('Identity', ['input'], ['echo'])],
        output: [valueInfo('leak', [1, 8]), valueInfo('echo', ['batch', 1, 8])]
      }
    })
  ).finish()
}

/** A subgraph (If branch) whose one output is `out`, made by `nodes`. */
const branch = (name, nodes, out = 'branch_out') => ({ name, node: nodes, output: [valueInfo(out, [1, 8])] })

/** The condition for If: whether the input sums above zero. */
const condition = [
  node('ReduceSum', ['input'], ['sum'], [{ name: 'keepdims', type: ATTR.INT, i: 0 }]),
  node('Greater', ['sum', 'zero'], ['cond'])
]
const zero = tensor('zero', [], [0])

const OUTSIDE = 'stores its data outside the file \\("canary\\.bin"\\)'

/** Every file: [name, what it tries, the message its refusal must match (null: it must run), its bytes]. */
export function hostileCases() {
  const leakBranch = () => branch('then', [constantOf('branch_out', sparseValue(sparse('s', { values: 'external' })))])
  const quietBranch = () =>
    branch('else', [constantOf('branch_out', tensorValue(tensor('z', [1, 8], new Array(8).fill(0))))])
  const ifLeaking = (output = 'secret') =>
    node(
      'If',
      ['cond'],
      [output],
      [
        { name: 'then_branch', type: ATTR.GRAPH, g: leakBranch() },
        { name: 'else_branch', type: ATTR.GRAPH, g: quietBranch() }
      ]
    )
  return [
    [
      'control',
      'the same model with its secret a Constant of zeros: runs, and shows the harness reaches onnxruntime',
      null,
      model({ nodes: [constantOf('secret', tensorValue(tensor('secret', [1, 8], new Array(8).fill(0))))] })
    ],
    [
      'nan-output',
      'finite weights whose output is NaN (the square root of -1)',
      'the output leak holds NaN at sample 0, unit 0',
      model({
        initializers: [tensor('minus', [1, 8], new Array(8).fill(-1))],
        nodes: [node('Sqrt', ['minus'], ['secret'])]
      })
    ],
    [
      'initializer-external',
      'an initializer whose data is a file (data_location EXTERNAL)',
      `initializer "secret" ${OUTSIDE}`,
      model({ initializers: [external('secret', [1, 8])] })
    ],
    [
      'initializer-external-data-only',
      'an initializer with external_data entries but no data_location',
      `initializer "secret" ${OUTSIDE}`,
      model({ initializers: [external('secret', [1, 8], FLOAT, { withLocation: false })] })
    ],
    [
      'constant-value-external',
      "a Constant's value (TENSOR attribute) stored in a file",
      `attribute value: tensor ${OUTSIDE}`,
      model({ nodes: [constantOf('secret', tensorValue(external('secret', [1, 8])))] })
    ],
    [
      'constant-sparse-values-external',
      "a Constant's sparse_value whose values are a file (the probe's exploit)",
      `attribute sparse_value: sparse tensor values ${OUTSIDE}`,
      model({ nodes: [constantOf('secret', sparseValue(sparse('secret', { values: 'external' })))] })
    ],
    [
      'constant-sparse-indices-external',
      "a Constant's sparse_value whose indices are a file",
      `attribute sparse_value: sparse tensor indices ${OUTSIDE}`,
      model({ nodes: [constantOf('secret', sparseValue(sparse('secret', { indices: 'external' })))] })
    ],
    [
      'attribute-tensors-external',
      'a TENSORS attribute holding a tensor stored in a file',
      `attribute weights: tensor 0 ${OUTSIDE}`,
      model({
        nodes: [
          node(
            'Identity',
            ['zeros'],
            ['secret'],
            [{ name: 'weights', type: ATTR.TENSORS, tensors: [external('w', [1, 8])] }]
          )
        ]
      })
    ],
    [
      'attribute-sparse-tensors-external',
      'a SPARSE_TENSORS attribute whose values are a file',
      `attribute weights: sparse tensor 0 values ${OUTSIDE}`,
      model({
        nodes: [
          node(
            'Identity',
            ['zeros'],
            ['secret'],
            [{ name: 'weights', type: ATTR.SPARSE_TENSORS, sparseTensors: [sparse('w', { values: 'external' })] }]
          )
        ]
      })
    ],
    [
      'sparse-initializer-external',
      'a sparse initializer whose values are a file',
      `sparse initializer "secret" values ${OUTSIDE}`,
      model({ nodes: [], sparseInitializers: [sparse('secret', { values: 'external' })] })
    ],
    [
      'if-branch-external',
      "an If whose then_branch holds a Constant's sparse_value stored in a file",
      `attribute sparse_value: sparse tensor values ${OUTSIDE}`,
      model({ initializers: [zero], nodes: [...condition, ifLeaking()] })
    ],
    [
      'if-branch-initializer-external',
      'an If whose else_branch has an initializer stored in a file',
      `initializer "hidden" ${OUTSIDE}`,
      model({
        initializers: [zero],
        nodes: [
          ...condition,
          node(
            'If',
            ['cond'],
            ['secret'],
            [
              { name: 'then_branch', type: ATTR.GRAPH, g: quietBranch() },
              {
                name: 'else_branch',
                type: ATTR.GRAPH,
                g: {
                  ...branch('else', [node('Identity', ['hidden'], ['branch_out'])]),
                  initializer: [external('hidden', [1, 8])]
                }
              }
            ]
          )
        ]
      })
    ],
    [
      'if-nested-deep-external',
      'If inside If inside If: a Constant stored in a file, three subgraphs down',
      `attribute value: tensor ${OUTSIDE}`,
      (() => {
        let inner = branch('level3', [constantOf('branch_out', tensorValue(external('deep', [1, 8])))])
        for (let level = 2; level >= 1; level--) {
          inner = branch(`level${level}`, [
            node(
              'If',
              ['cond'],
              ['branch_out'],
              [
                { name: 'then_branch', type: ATTR.GRAPH, g: inner },
                { name: 'else_branch', type: ATTR.GRAPH, g: quietBranch() }
              ]
            )
          ])
        }
        return model({
          initializers: [zero],
          nodes: [
            ...condition,
            node(
              'If',
              ['cond'],
              ['secret'],
              [
                { name: 'then_branch', type: ATTR.GRAPH, g: inner },
                { name: 'else_branch', type: ATTR.GRAPH, g: quietBranch() }
              ]
            )
          ]
        })
      })()
    ],
    [
      'loop-body-external',
      'a Loop whose body holds an If whose branch reads a file',
      `attribute sparse_value: sparse tensor values ${OUTSIDE}`,
      model({
        initializers: [zero, tensor('trips', [], [1], INT64)],
        nodes: [
          ...condition,
          node(
            'Loop',
            ['trips', 'cond', 'zeros'],
            ['secret'],
            [
              {
                name: 'body',
                type: ATTR.GRAPH,
                g: {
                  name: 'body',
                  input: [valueInfo('i', [], INT64), valueInfo('c', [], BOOL), valueInfo('carried', [1, 8])],
                  node: [
                    node('Identity', ['c'], ['c_out']),
                    node(
                      'If',
                      ['c'],
                      ['carried_out'],
                      [
                        { name: 'then_branch', type: ATTR.GRAPH, g: leakBranch() },
                        { name: 'else_branch', type: ATTR.GRAPH, g: quietBranch() }
                      ]
                    )
                  ],
                  output: [valueInfo('c_out', [], BOOL), valueInfo('carried_out', [1, 8])]
                }
              }
            ]
          )
        ]
      })
    ],
    [
      'scan-body-external',
      'a Scan whose body holds a Constant stored in a file',
      `attribute value: tensor ${OUTSIDE}`,
      model({
        nodes: [
          node(
            'Scan',
            ['zeros', 'zeros'],
            ['secret', 'scanned'],
            [
              { name: 'num_scan_inputs', type: ATTR.INT, i: 1 },
              {
                name: 'body',
                type: ATTR.GRAPH,
                g: {
                  name: 'body',
                  input: [valueInfo('state', [1, 8]), valueInfo('row', [8])],
                  node: [
                    constantOf('k', tensorValue(external('k', [1, 8]))),
                    node('Add', ['state', 'k'], ['state_out']),
                    node('Identity', ['row'], ['row_out'])
                  ],
                  output: [valueInfo('state_out', [1, 8]), valueInfo('row_out', [8])]
                }
              }
            ]
          )
        ]
      })
    ],
    [
      'graphs-attribute-external',
      'a GRAPHS attribute whose second graph has an initializer stored in a file',
      `initializer "hidden" ${OUTSIDE}`,
      model({
        nodes: [
          node(
            'Identity',
            ['zeros'],
            ['secret'],
            [
              {
                name: 'bodies',
                type: ATTR.GRAPHS,
                graphs: [
                  branch('first', [node('Identity', ['zeros'], ['branch_out'])]),
                  {
                    ...branch('second', [node('Identity', ['hidden'], ['branch_out'])]),
                    initializer: [external('hidden', [1, 8])]
                  }
                ]
              }
            ]
          )
        ]
      })
    ],
    [
      'function-external',
      'a model-local function whose body holds a Constant stored in a file',
      'defines its own functions',
      model({
        functions: [
          {
            name: 'Leak',
            domain: 'local.hostile',
            input: ['a'],
            output: ['b'],
            node: [constantOf('k', tensorValue(external('k', [1, 8]))), node('Add', ['a', 'k'], ['b'])]
          }
        ],
        nodes: [node('Leak', ['zeros'], ['secret'], [], { domain: 'local.hostile' })]
      })
    ],
    [
      'ep-context-file',
      'an EPContext node (com.microsoft) naming a cache file beside the model',
      'is in the domain "com\\.microsoft"; only standard ONNX operators are run',
      model({
        nodes: [
          node(
            'EPContext',
            ['zeros'],
            ['secret'],
            [
              { name: 'embed_mode', type: ATTR.INT, i: 0 },
              { name: 'ep_cache_context', type: ATTR.STRING, s: new TextEncoder().encode(CANARY) }
            ],
            { domain: 'com.microsoft' }
          )
        ]
      })
    ],
    [
      'huge-initializer',
      'an initializer declaring 2^40 × 2^40 values',
      'initializer "secret" has an absurd shape \\[1099511627776, 1099511627776\\]',
      model({ initializers: [{ name: 'secret', dims: [2 ** 40, 2 ** 40], dataType: FLOAT, rawData: floats([1]) }] })
    ],
    [
      'huge-sparse-constant',
      'a sparse Constant of one value whose dense shape is 2^20 × 2^20 (4 TiB once densified)',
      'attribute sparse_value: sparse tensor has an absurd shape \\[1048576, 1048576\\]',
      model({
        nodes: [constantOf('secret', sparseValue({ ...sparse('secret'), dims: [2 ** 20, 2 ** 20] }))]
      })
    ],
    [
      'huge-constant-of-shape',
      'a ConstantOfShape asked for 2^40 × 2^40 values',
      'attribute value: tensor|ConstantOfShape|has an absurd shape|holds 2\\^80',
      model({
        initializers: [tensor('shape', [2], [2 ** 40, 2 ** 40], INT64)],
        nodes: [node('ConstantOfShape', ['shape'], ['big']), node('ReduceSum', ['big'], ['secret'])]
      })
    ],
    [
      'nan-weights',
      'an initializer holding NaN',
      'initializer "secret" holds a non-finite value \\(NaN\\) at index 3',
      model({ initializers: [tensor('secret', [1, 8], [0, 0, 0, NaN, 0, 0, 0, 0])] })
    ],
    [
      'inf-constant',
      'a Constant holding Infinity',
      'attribute value: tensor holds a non-finite value \\(Infinity\\) at index 0',
      model({ nodes: [constantOf('secret', tensorValue(tensor('secret', [1, 8], [Infinity, 0, 0, 0, 0, 0, 0, 0])))] })
    ],
    [
      'nan-float-data',
      'an initializer holding -Infinity in float_data rather than raw_data',
      'initializer "secret" holds a non-finite value \\(-Infinity\\) at index 7',
      model({
        initializers: [{ name: 'secret', dims: [1, 8], dataType: FLOAT, floatData: [0, 0, 0, 0, 0, 0, 0, -Infinity] }]
      })
    ],
    [
      'custom-domain-op',
      'an operator from a custom domain',
      'is in the domain "com\\.evil"; only standard ONNX operators are run',
      model({ nodes: [node('ReadFile', ['zeros'], ['secret'], [], { domain: 'com.evil' })] })
    ],
    [
      'unknown-op',
      'an operator ONNX does not define',
      'ReadFile is not a standard ONNX operator',
      model({ nodes: [node('ReadFile', ['zeros'], ['secret'])] })
    ],
    [
      'loop-unbounded',
      'a Loop with 2^62 trips and no condition: runs without end',
      'Loop is not run',
      model({
        initializers: [tensor('trips', [], [2 ** 62], INT64)],
        nodes: [
          node(
            'Loop',
            ['trips', '', 'zeros'],
            ['secret'],
            [
              {
                name: 'body',
                type: ATTR.GRAPH,
                g: {
                  name: 'body',
                  input: [valueInfo('i', [], INT64), valueInfo('c', [], BOOL), valueInfo('carried', [1, 8])],
                  node: [node('Identity', ['c'], ['c_out']), node('Identity', ['carried'], ['carried_out'])],
                  output: [valueInfo('c_out', [], BOOL), valueInfo('carried_out', [1, 8])]
                }
              }
            ]
          )
        ]
      })
    ]
  ]
}

/** Writes the corpus and its manifest into `dir`; returns the manifest. */
export function writeHostileCorpus(dir) {
  mkdirSync(dir, { recursive: true })
  const manifest = hostileCases().map(([name, what, message, bytes]) => {
    const file = `${name}.onnx`
    writeFileSync(join(dir, file), bytes)
    return { file, what, message }
  })
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n')
  return manifest
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const dir = process.argv[2]
  if (!dir) {
    console.error('usage: node scripts/make-hostile-onnx.mjs OUT_DIR')
    process.exit(2)
  }
  const manifest = writeHostileCorpus(dir)
  console.log(`wrote ${manifest.length} hostile ONNX files and manifest.json to ${dir}`)
}
