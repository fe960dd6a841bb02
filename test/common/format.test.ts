// The number, size and duration formats the CLI and the app share, and where the two deliberately differ.
import { describe, expect, it } from 'vitest'
import { configValue, count, duration, fixed, fixedOrNonFinite, formatBytes, percent } from '../../common/format'
import { formatBytes as formatBytesFromModel } from '../../common/model'

describe('common/format', () => {
  it('writes percentages, counts and config values, with an em dash for what is absent', () => {
    expect(percent(0.93871)).toBe('93.87%')
    expect(percent(0.5, 0)).toBe('50%')
    expect(percent(null)).toBe('—')
    expect(count(93_010)).toBe('93,010')
    expect(count(undefined)).toBe('—')
    expect(configValue('lstm')).toBe('lstm')
    expect(configValue([28, 28])).toBe('[28,28]')
    expect(configValue(undefined)).toBe('—')
  })

  it('writes durations in seconds, minutes or hours', () => {
    expect(duration(4.26)).toBe('4.3 s')
    expect(duration(125)).toBe('2 min 5 s')
    expect(duration(3 * 3600 + 7 * 60)).toBe('3 h 7 min')
    expect(duration(null)).toBe('—')
  })

  it('fixes decimals; the app hides a non-finite figure, the terminal spells it out', () => {
    expect(fixed(0.123456)).toBe('0.1235')
    expect(fixedOrNonFinite(0.123456)).toBe('0.1235')
    expect(fixed(12.34, 1)).toBe('12.3')
    expect(fixedOrNonFinite(12.34, 1)).toBe('12.3')
    expect(fixed(null)).toBe('—')
    expect(fixedOrNonFinite(null)).toBe('—')
    expect(fixed(Infinity)).toBe('—')
    expect(fixedOrNonFinite(Infinity)).toBe('Infinity')
  })

  it('writes sizes as Keras does, also where common/model re-exports it', () => {
    expect(formatBytes(372_040)).toBe('363.32 KB')
    expect(formatBytesFromModel).toBe(formatBytes)
  })
})
