// runs:inspect crossing a door: its argument is checked field by field before any worker starts.
import { expect, test } from 'vitest'
import { dispatch, type Handlers } from '../../common/contract'

test('runs:inspect takes a run id, a sample index from 0 and best or last', async () => {
  const seen: unknown[] = []
  const handlers = { inspectRun: (arg: unknown) => (seen.push(arg), 'inspected') } as unknown as Handlers
  await expect(dispatch(handlers, 'runs:inspect', { id: 3, sample: 0 })).resolves.toEqual({
    ok: true,
    value: 'inspected'
  })
  await dispatch(handlers, 'runs:inspect', { id: 3, sample: 12, checkpoint: 'last' })
  expect(seen).toEqual([
    { id: 3, sample: 0, checkpoint: undefined },
    { id: 3, sample: 12, checkpoint: 'last' }
  ])
  const refused = async (arg: unknown) => ((await dispatch(handlers, 'runs:inspect', arg)) as { error: string }).error
  expect(await refused({ id: 3, sample: -1 })).toBe('request.sample: must be between 0 and 9007199254740991, got -1')
  expect(await refused({ id: 3, sample: 1.5 })).toBe('request.sample: expected an integer, got 1.5')
  expect(await refused({ id: 3 })).toMatch(/^request\.sample: expected an integer/)
  expect(await refused({ id: 3, sample: 1, checkpoint: 'worst' })).toBe(
    'request.checkpoint: expected "best" or "last", got "worst"'
  )
  expect(seen).toHaveLength(2)
})
