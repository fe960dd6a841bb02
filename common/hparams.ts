// A run's hyperparameters as the runs table and the filter read them: a few figures taken from its stored config.
// Read defensively: a config stored by an older RNN Lab, or one that failed to start, still gives what it has.
import { normalizeRunConfig } from './config'

export interface RunHparams {
  optimizer: string | null
  learningRate: number | null
  batchSize: number | null
  /** Units of each recurrent layer, bottom to top. */
  units: number[]
  /** The highest dropout rate of the stack (Dropout layers and the recurrent layers' input dropout); 0 without any. */
  dropout: number | null
  /** The layer stack in one line: `Bi-LSTM 50 → Dropout 0.2 → Bi-LSTM 50 → Dense 10`. */
  stack: string | null
  seed: number | null
  /** Early stopping's patience, or null without early stopping. */
  patience: number | null
}

type Loose = Record<string, unknown>
const obj = (v: unknown): Loose | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Loose) : null)
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

const cellNames: Record<string, string> = { lstm: 'LSTM', gru: 'GRU', simple_rnn: 'SimpleRNN' }

function layerText(layer: Loose): string {
  const type = String(layer.type)
  if (type === 'bidirectional') {
    const inner = obj(layer.layer)
    return inner ? `Bi-${layerText(inner)}` : 'Bidirectional'
  }
  if (type === 'dropout') return `Dropout ${num(layer.rate) ?? '?'}`
  if (type === 'dense') return `Dense ${num(layer.units) ?? '?'}`
  if (type === 'embedding') return `Embedding ${num(layer.inputDim) ?? '?'}×${num(layer.outputDim) ?? '?'}`
  if (type === 'masking') return 'Masking'
  return `${cellNames[type] ?? type} ${num(layer.units) ?? '?'}`
}

export function runHparams(config: unknown): RunHparams {
  let c: Loose | null
  try {
    c = normalizeRunConfig(config) as unknown as Loose
  } catch {
    c = obj(config)
  }
  const training = obj(c?.training)
  const optimizer = training?.optimizer
  const opt = obj(optimizer)
  const layers = (Array.isArray(obj(c?.model)?.layers) ? (obj(c?.model)!.layers as unknown[]) : [])
    .map(obj)
    .filter((l): l is Loose => l !== null)
  const recurrent = layers
    .map((l) => (l.type === 'bidirectional' ? obj(l.layer) : l))
    .filter((l): l is Loose => l !== null && !['dropout', 'dense', 'embedding', 'masking'].includes(String(l.type)))
  const rates = [
    ...layers.filter((l) => l.type === 'dropout').map((l) => num(l.rate)),
    ...recurrent.map((l) => num(l.dropout))
  ].filter((r): r is number => r !== null)
  const early = obj(training?.earlyStopping)
  return {
    optimizer: typeof optimizer === 'string' ? optimizer : typeof opt?.type === 'string' ? opt.type : null,
    learningRate: num(opt?.learningRate),
    batchSize: num(training?.batchSize),
    units: recurrent.map((l) => num(l.units)).filter((u): u is number => u !== null),
    dropout: layers.length ? Math.max(0, ...rates) : null,
    stack: layers.length ? layers.map(layerText).join(' → ') : null,
    seed: num(training?.seed),
    patience: early ? num(early.patience) : null
  }
}
