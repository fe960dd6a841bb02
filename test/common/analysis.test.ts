// The arithmetic the analyses share: argmax, the confusion matrix, the cells two matrices disagree on, and the stable
// text that tells whether two runs use the same dataset settings.
import { describe, expect, it } from 'vitest'
import { argmax, changedCells, classScores, confusionMatrix, stableJson } from '../../common/analysis'
import { parseRoute, routeHref } from '../../renderer/src/lib/route'

describe('analysis arithmetic', () => {
  it('precision, recall and F1 per class from the matrix (hand-computed); 0 where a class is never predicted', () => {
    // true 1 (word end): 6 found, 2 missed; true 0: 3 called 1. Precision 6/9, recall 6/8, F1 2·(2/3)(3/4)/(2/3+3/4).
    const [inside, end] = classScores([
      [20, 3],
      [2, 6]
    ])
    expect(end.precision).toBeCloseTo(6 / 9, 12)
    expect(end.recall).toBeCloseTo(6 / 8, 12)
    expect(end.f1).toBeCloseTo((2 * 6) / (2 * 6 + 3 + 2), 12)
    expect(end.support).toBe(8)
    expect(inside.f1).toBeCloseTo((2 * 20) / (2 * 20 + 2 + 3), 12)
    const never = classScores([
      [5, 0],
      [3, 0]
    ])[1]
    expect(never).toEqual({ precision: 0, recall: 0, f1: 0, support: 3 })
  })

  it('argmax reads one row of a flat array, the first of equals winning', () => {
    const p = new Float32Array([0.1, 0.7, 0.2, 0.4, 0.4, 0.2])
    expect(argmax(p, 0, 3)).toBe(1)
    expect(argmax(p, 3, 3)).toBe(0)
  })

  it('counts labels against predictions; the changed cells turn one matrix into the other', () => {
    const a = confusionMatrix([0, 0, 1, 2, 2], [0, 1, 1, 2, 0], 3)
    expect(a).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 1]
    ])
    const b = confusionMatrix([0, 0, 1, 2, 2], [0, 0, 1, 2, 2], 3)
    const cells = changedCells(a, b)
    expect(cells).toEqual([
      { label: 0, predicted: 0, a: 1, b: 2 },
      { label: 0, predicted: 1, a: 1, b: 0 },
      { label: 2, predicted: 0, a: 1, b: 0 },
      { label: 2, predicted: 2, a: 1, b: 2 }
    ])
    expect(changedCells(a, a)).toEqual([])
  })

  it('writes the same dataset settings the same way whatever the key order', () => {
    expect(stableJson({ source: 'mnist-sample', limit: 500 })).toBe(stableJson({ limit: 500, source: 'mnist-sample' }))
    expect(stableJson({ source: 'mnist-sample', limit: undefined })).toBe(stableJson({ source: 'mnist-sample' }))
    expect(stableJson({ source: 'mnist-sample', limit: 500 })).not.toBe(stableJson({ source: 'mnist-sample' }))
  })

  it('routes #/diff?a=&b= both ways', () => {
    expect(parseRoute('#/diff?a=3&b=5')).toEqual({ name: 'diff', a: 3, b: 5 })
    expect(parseRoute('#/diff?a=x')).toEqual({ name: 'diff', a: null, b: null })
    expect(routeHref({ name: 'diff', a: 3, b: 5 })).toBe('#/diff?a=3&b=5')
    expect(routeHref({ name: 'diff', a: null, b: 5 })).toBe('#/diff')
  })
})
