// Maps a validated run config to the native engine's spec (native/README.md), refusing what the engine cannot run.
import type { LayerConfig, RecurrentLayerConfig, RunConfig } from '../../common/config'
import type { EngineLayerSpec, EngineSpec, RecurrentLayerSpec } from '../engine'

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
  const activation = cell.activation
  if (activation !== 'tanh' && !(activation === 'relu' && cell.type === 'simple_rnn')) {
    throw new EngineSpecError(`${path}.activation`, `the engine runs tanh${cell.type === 'simple_rnn' ? ' or relu' : ''} here, not ${activation}`)
  }
  const spec: RecurrentLayerSpec = {
    kind: 'recurrent',
    cell: cell.type,
    units: cell.units,
    returnSequences: cell.returnSequences,
    activation,
    useBias: cell.useBias,
    dropout: cell.dropout,
    recurrentDropout: cell.recurrentDropout,
    goBackwards: cell.goBackwards
  }
  if (cell.type !== 'simple_rnn') {
    if (cell.recurrentActivation !== 'sigmoid') {
      throw new EngineSpecError(`${path}.recurrentActivation`, `the engine runs sigmoid here, not ${cell.recurrentActivation}`)
    }
    spec.recurrentActivation = 'sigmoid'
  }
  if (cell.type === 'gru') spec.resetAfter = cell.resetAfter
  if (cell.type === 'lstm' && !cell.unitForgetBias) {
    throw new EngineSpecError(`${path}.unitForgetBias`, 'the engine always starts the forget gate bias at 1 (Keras default); false is not supported yet')
  }
  return spec
}

function layer(l: LayerConfig, path: string): EngineLayerSpec {
  switch (l.type) {
    case 'simple_rnn':
    case 'lstm':
    case 'gru':
      return { ...recurrent(l, path), directions: 1 }
    case 'bidirectional':
      return { ...recurrent(l.layer, `${path}.layer`), goBackwards: false, directions: 2, mergeMode: l.mergeMode, sharedWeights: l.sharedWeights }
    case 'dropout':
      return { kind: 'dropout', rate: l.rate }
    case 'dense':
      if (!l.useBias) throw new EngineSpecError(`${path}.useBias`, 'a dense layer without bias is not supported by the engine yet')
      return { kind: 'dense', units: l.units, activation: l.activation }
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
  const spec: EngineSpec = {
    input,
    layers: config.model.layers.map((l, i) => layer(l, `model.layers[${i}]`)),
    loss: config.training.loss,
    optimizer
  }
  const n = threads ?? config.training.threads
  if (n !== undefined) spec.threads = n
  return spec
}

/** The facts the runs table shows about a model: its cells, directions and depth. */
export function modelFacts(config: RunConfig): { cell: string | null; direction: string | null; layerCount: number } {
  const cells: string[] = []
  const directions: string[] = []
  for (const l of config.model.layers) {
    if (l.type === 'bidirectional') {
      cells.push(l.layer.type)
      directions.push('bidirectional')
    } else if (l.type === 'simple_rnn' || l.type === 'lstm' || l.type === 'gru') {
      cells.push(l.type)
      directions.push(l.goBackwards ? 'backward' : 'forward')
    }
  }
  const unique = (xs: string[]) => [...new Set(xs)].join('+') || null
  return { cell: unique(cells), direction: unique(directions), layerCount: config.model.layers.length }
}
