// Ready-made experiments: the tutorial's stacked bidirectional LSTM and its siblings (GRU, SimpleRNN, one direction).
import type { CellType, LayerInput, RunConfigInput } from '../../../common/config'

export interface Preset {
  id: string
  label: string
  description: string
  config: RunConfigInput
}

function tutorialLayers(cell: CellType, bidirectional: boolean): LayerInput[] {
  const rnn = (returnSequences: boolean): LayerInput =>
    bidirectional
      ? {
          type: 'bidirectional',
          mergeMode: 'concat',
          sharedWeights: false,
          layer: { type: cell, units: 50, ...(returnSequences ? { returnSequences: true } : {}) }
        }
      : { type: cell, units: 50, ...(returnSequences ? { returnSequences: true } : {}) }
  return [
    rnn(true),
    { type: 'dropout', rate: 0.2 },
    rnn(false),
    { type: 'dropout', rate: 0.2 },
    { type: 'dense', units: 10, activation: 'softmax' }
  ]
}

const tutorialTraining = {
  optimizer: { type: 'adam' as const, learningRate: 0.001 },
  loss: 'categorical_crossentropy' as const,
  batchSize: 64,
  epochs: 10,
  shuffle: true,
  seed: 42
}

function preset(id: string, label: string, description: string, cell: CellType, bidirectional: boolean): Preset {
  return {
    id,
    label,
    description,
    config: {
      name: id,
      dataset: { source: 'mnist-sample' },
      model: { layers: tutorialLayers(cell, bidirectional) },
      training: { ...tutorialTraining }
    }
  }
}

export const presets: readonly Preset[] = [
  preset(
    'tutorial-bilstm',
    'Tutorial: bidirectional LSTM',
    'Two stacked bidirectional LSTM(50) with dropout 0.2 and a softmax head: 93,010 params',
    'lstm',
    true
  ),
  preset(
    'tutorial-bigru',
    'Bidirectional GRU',
    'The tutorial with GRU cells (reset_after): 70,610 params',
    'gru',
    true
  ),
  preset(
    'tutorial-birnn',
    'Bidirectional SimpleRNN',
    'The tutorial with SimpleRNN cells: 24,010 params',
    'simple_rnn',
    true
  ),
  preset('tutorial-lstm', 'Unidirectional LSTM', 'The tutorial reading left to right only', 'lstm', false)
]
