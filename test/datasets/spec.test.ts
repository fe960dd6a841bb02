// The dataset spec's validation: clean copies of good specs, one-line messages naming the field for bad ones.
import { describe, expect, it } from 'vitest'
import { datasetClassNames, datasetInputShape, normalizeDatasetSpec, trainCountAfterSplit } from '../../common/datasets'

function messageOf(run: () => unknown): string {
  try {
    run()
  } catch (err) {
    expect(err).toBeInstanceOf(Error)
    return (err as Error).message
  }
  throw new Error('did not throw')
}

describe('normalizeDatasetSpec', () => {
  it('accepts every source and keeps only known fields', () => {
    expect(normalizeDatasetSpec({ source: 'mnist-sample' })).toEqual({ source: 'mnist-sample' })
    expect(normalizeDatasetSpec({ source: 'mnist-sample', limit: 500, validationSplit: 0.1 })).toEqual({
      source: 'mnist-sample',
      limit: 500,
      validationSplit: 0.1
    })
    // 0: every sample trains, with no validation set (the builder offers "0 = none").
    expect(normalizeDatasetSpec({ source: 'mnist-sample', validationSplit: 0 })).toEqual({
      source: 'mnist-sample',
      validationSplit: 0
    })
    expect(trainCountAfterSplit(10_000, 0)).toBe(10_000)
    expect(normalizeDatasetSpec({ source: 'fashion-mnist', dir: '/usr/share/datasets/fashion-mnist' })).toEqual({
      source: 'fashion-mnist',
      dir: '/usr/share/datasets/fashion-mnist'
    })
    expect(
      normalizeDatasetSpec({
        source: 'npy',
        train: { x: 'x.npy', y: 'y.npy' },
        validation: { x: 'a.npy', y: 'b.npy' },
        numClasses: 10
      })
    ).toEqual({
      source: 'npy',
      train: { x: 'x.npy', y: 'y.npy' },
      validation: { x: 'a.npy', y: 'b.npy' },
      numClasses: 10
    })
    expect(
      normalizeDatasetSpec({ source: 'idx', train: { x: 'x', y: 'y' }, validationSplit: 0.25, scale: 0.5 })
    ).toEqual({ source: 'idx', train: { x: 'x', y: 'y' }, validationSplit: 0.25, scale: 0.5 })
    expect(
      normalizeDatasetSpec({
        source: 'csv',
        train: 't.csv',
        timeSteps: 28,
        features: 28,
        header: true,
        labelColumn: 'last',
        classNames: ['a', 'b']
      })
    ).toEqual({
      source: 'csv',
      train: 't.csv',
      timeSteps: 28,
      features: 28,
      header: true,
      labelColumn: 'last',
      classNames: ['a', 'b']
    })
  })

  const bad: [unknown, string][] = [
    [undefined, 'dataset: expected an object, got undefined'],
    [
      { source: 'imagenet' },
      'dataset.source: expected one of mnist-sample, mnist, fashion-mnist, npy, idx, csv, text, names, segmentation, timeseries, got "imagenet"'
    ],
    [{ source: 'npy', train: { x: 3, y: 'y.npy' } }, 'dataset.train.x: must be a path string'],
    [{ source: 'npy', train: { x: 'x.npy' } }, 'dataset.train.y: must be a path string'],
    [{ source: 'npy' }, 'dataset.train: missing'],
    [{ source: 'npy', train: { x: 'a', y: 'b', z: 'c' } }, 'dataset.train.z: unknown field (known: x, y)'],
    [
      { source: 'npy', train: { x: 'a', y: 'b' }, validationSplit: 1 },
      'dataset.validationSplit: expected a share from 0 (no validation) up to below 1, got 1'
    ],
    [
      { source: 'npy', train: { x: 'a', y: 'b' }, validation: { x: 'c', y: 'd' }, validationSplit: 0.2 },
      'dataset.validationSplit: not allowed together with dataset.validation'
    ],
    [
      { source: 'mnist', validationSplit: 0.2 },
      'dataset.validationSplit: not used by mnist, whose test set is the validation set'
    ],
    [{ source: 'mnist', folder: '/x' }, 'dataset.folder: unknown field for source mnist (known: source, dir)'],
    [{ source: 'mnist-sample', limit: 1 }, 'dataset.limit: must be between 2 and 10000, got 1'],
    [{ source: 'csv', train: 't.csv', features: 3 }, 'dataset.timeSteps: missing'],
    [{ source: 'csv', train: 't.csv', timeSteps: 2.5, features: 3 }, 'dataset.timeSteps: expected an integer, got 2.5'],
    [
      { source: 'csv', train: 't.csv', timeSteps: 2, features: 3, labelColumn: 'middle' },
      'dataset.labelColumn: expected "first" or "last", got "middle"'
    ],
    [{ source: 'idx', train: { x: 'a', y: 'b' }, scale: -1 }, 'dataset.scale: expected a positive number, got -1'],
    [
      { source: 'npy', train: { x: 'a', y: 'b' }, numClasses: 3, classNames: ['a', 'b'] },
      'dataset.classNames: 2 names for numClasses 3'
    ]
  ]
  it.each(bad)('rejects %j', (input, message) => {
    expect(messageOf(() => normalizeDatasetSpec(input))).toBe(message)
  })

  it('names the field under the given path', () => {
    expect(() => normalizeDatasetSpec({ source: 'npy', train: { x: '', y: 'y' } }, 'config.dataset')).toThrow(
      'config.dataset.train.x: must be a path string'
    )
  })
})

describe('spec helpers', () => {
  it('tells the input shape when the spec alone knows it', () => {
    expect(datasetInputShape({ source: 'mnist-sample' })).toEqual([28, 28])
    expect(datasetInputShape({ source: 'fashion-mnist' })).toEqual([28, 28])
    expect(datasetInputShape({ source: 'csv', train: 'a', timeSteps: 5, features: 2 })).toEqual([5, 2])
    expect(datasetInputShape({ source: 'npy', train: { x: 'a', y: 'b' } })).toBeUndefined()
  })
  it('names the classes of the MNIST family', () => {
    expect(datasetClassNames({ source: 'fashion-mnist' })?.[9]).toBe('Ankle boot')
    expect(datasetClassNames({ source: 'mnist' })).toHaveLength(10)
    expect(datasetClassNames({ source: 'npy', train: { x: 'a', y: 'b' } })).toBeUndefined()
  })
  it('splits like Keras, the last share for validation', () => {
    expect(trainCountAfterSplit(10_000, 0.2)).toBe(8000)
    expect(trainCountAfterSplit(10, 0.3)).toBe(7)
    expect(trainCountAfterSplit(7, undefined)).toBe(7)
  })
})
