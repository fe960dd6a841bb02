// Which better-sqlite3 build is loaded: Node's own outside Electron, the Electron-ABI build inside it.
import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { electronSqlitePath, pickSqliteBinding } from '../../main/runs/sqlite-binding'

describe('pickSqliteBinding', () => {
  it('uses the default Node build outside Electron', () => {
    expect(pickSqliteBinding({ electronVersion: undefined, appRoot: '/app', exists: () => false })).toBeUndefined()
  })

  it('uses the Electron build, in its own folder, inside Electron', () => {
    const path = join('/app', '.electron-native', 'electron-45.5.0', 'better_sqlite3.node')
    expect(electronSqlitePath('/app', '45.5.0')).toBe(path)
    expect(pickSqliteBinding({ electronVersion: '45.5.0', appRoot: '/app', exists: (p) => p === path })).toBe(path)
  })

  it('says how to build it when the Electron build is missing', () => {
    expect(() => pickSqliteBinding({ electronVersion: '45.5.0', appRoot: '/app', exists: () => false })).toThrow(
      /not built for Electron 45\.5\.0 .*run 'npm start'/
    )
  })
})
