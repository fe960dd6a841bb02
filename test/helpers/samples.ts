// One valid argument for every contract call; typed so that adding a call without a sample fails to compile.
import type { CallName } from '../../common/contract'
import { tutorialConfig } from './seed'

export function sampleArgs(runId: number): Record<CallName, unknown> {
  return {
    'app:info': undefined,
    'runs:list': { search: 'lstm' },
    'runs:get': { id: runId },
    'runs:batches': { id: runId },
    'runs:update': { id: runId, tags: ['baseline'] },
    'runs:delete': { id: runId },
    'runs:restore': { id: runId },
    'runs:trash': undefined,
    'runs:purge': { ids: [runId] },
    'runs:compare': { ids: [runId, runId] },
    'runs:metricsCsv': { ids: [runId] },
    'models:summary': { config: tutorialConfig },
    'datasets:preview': { dataset: { source: 'mnist-sample' } },
    'training:start': {
      config: {
        name: 'sample',
        dataset: { source: 'mnist-sample', limit: 100 },
        model: {
          layers: [
            { type: 'simple_rnn', units: 4 },
            { type: 'dense', units: 10, activation: 'softmax' }
          ]
        },
        training: { epochs: 1 }
      }
    },
    'training:cancel': { runId },
    'training:active': undefined,
    'runs:artifacts': { id: runId },
    'runs:samples': { id: runId, offset: 0, count: 2 },
    'runs:forecast': { id: runId },
    'runs:inspect': { id: runId, sample: 0 },
    'runs:health': { id: runId },
    'weights:read': { runId, select: { layer: 0, block: 0 } },
    'export:onnx': { runId, checkpoint: 'best' },
    'export:file': { exportId: 1 },
    'inference:predict': { runId, input: [[[0, 1]]] },
    'inference:predictText': { runId, texts: ['anna'] },
    'sweeps:list': undefined,
    'sweeps:get': { id: 1 },
    'sweeps:create': {
      config: {
        name: 'sample sweep',
        base: {
          dataset: { source: 'mnist-sample', limit: 100 },
          model: {
            layers: [
              { type: 'simple_rnn', units: 4 },
              { type: 'dense', units: 10, activation: 'softmax' }
            ]
          },
          training: { epochs: 1 }
        },
        parameters: { 'model.layers.0.units': [4] }
      },
      parallel: 1
    },
    'sweeps:cancel': { id: 1 },
    'sweeps:resume': { id: 1 },
    'sweeps:addTrials': { id: 1, trials: 2 },
    'sweeps:workers': { id: 1 },
    'analysis:confusion': { runId, checkpoint: 'best', analysisId: 'sample-confusion' },
    'analysis:diff': { a: runId, b: runId, checkpoint: 'last' },
    'analysis:prefix': { runId, recompute: false },
    'analysis:prefixStored': { ids: [runId] },
    'analysis:ablation': { runId, checkpoint: 'last', analysisId: 'sample-ablation' },
    'analysis:cancel': { analysisId: 'sample-confusion' },
    'files:choose': { folder: false }
  }
}
