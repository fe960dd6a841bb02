// Maps a validated run config to the native engine's spec (native/README.md), refusing what the engine cannot run.
import { CELLS, engineRefusals, type CellOption } from '../../common/cells'
import type { LayerConfig, RecurrentLayerConfig, RunConfig } from '../../common/config'
import type { EngineLayerSpec, EngineSpec, RecurrentLayerSpec } from './index'

export class EngineSpecError extends Error {
  constructor(
    readonly path: string,
    detail: string
  ) {
    super(`${path}: ${detail}`)
    this.name = 'EngineSpecError'
  }
}

function recurrent(cell: RecurrentLayerConfig, path: string): RecurrentLayerSpec {
  const refusal = engineRefusals(cell)[0]
  if (refusal) throw new EngineSpecError(`${path}.${refusal.field}`, refusal.detail)
  const spec: RecurrentLayerSpec = {
    kind: 'recurrent',
    cell: cell.type,
    units: cell.units,
    returnSequences: cell.returnSequences,
    activation: cell.activation as RecurrentLayerSpec['activation'],
    useBias: cell.useBias,
    dropout: cell.dropout,
    recurrentDropout: cell.recurrentDropout,
    goBackwards: cell.goBackwards
  }
  // The cell's own options (common/cells.ts), as the config holds them: the engine takes the same keys.
  const [from, to] = [cell as unknown as Record<string, unknown>, spec as unknown as Record<string, unknown>]
  for (const key of CELLS[cell.type].options as readonly CellOption[]) to[key] = from[key]
  return spec
}

function layer(l: LayerConfig, path: string): EngineLayerSpec {
  switch (l.type) {
    case 'bidirectional':
      return {
        ...recurrent(l.layer, `${path}.layer`),
        goBackwards: false,
        directions: 2,
        mergeMode: l.mergeMode,
        sharedWeights: l.sharedWeights
      }
    case 'dropout':
      return { kind: 'dropout', rate: l.rate }
    case 'dense':
      return { kind: 'dense', units: l.units, activation: l.activation, useBias: l.useBias }
    case 'embedding':
      return { kind: 'embedding', inputDim: l.inputDim, outputDim: l.outputDim, maskZero: l.maskZero }
    case 'masking':
      return { kind: 'masking', maskValue: l.maskValue }
    default:
      return { ...recurrent(l, path), directions: 1 }
  }
}

/** `threads`: the run's thread count (--threads, else training.threads, else all cores). */
export function engineSpec(config: RunConfig, input: [number, number], threads?: number): EngineSpec {
  const o = config.training.optimizer
  const optimizer: EngineSpec['optimizer'] =
    o.type === 'adam'
      ? { type: 'adam', learningRate: o.learningRate, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon }
      : o.type === 'sgd'
        ? { type: 'sgd', learningRate: o.learningRate, momentum: o.momentum, nesterov: o.nesterov }
        : { type: 'rmsprop', learningRate: o.learningRate, rho: o.rho, momentum: o.momentum, epsilon: o.epsilon }
  if (o.clipNorm !== undefined) optimizer.clipNorm = o.clipNorm
  const first = config.model.layers[0]
  const masked = first?.type === 'masking' || (first?.type === 'embedding' && first.maskZero)
  const spec: EngineSpec = {
    input,
    layers: config.model.layers.map((l, i) => {
      if (masked && l.type !== 'bidirectional' && 'goBackwards' in l && l.goBackwards && l.returnSequences)
        throw new EngineSpecError(
          `model.layers[${i}].goBackwards`,
          'with returnSequences under a mask is not supported: Keras outputs the steps in reading order, no longer ' +
            'aligned with the mask it passes on (use a bidirectional layer, or returnSequences: false)'
        )
      return layer(l, `model.layers[${i}]`)
    }),
    loss: config.training.loss,
    optimizer
  }
  const n = threads ?? config.training.threads
  if (n !== undefined) spec.threads = n
  return spec
}
