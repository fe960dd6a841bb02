// A second process that holds the run database's write lock (BEGIN IMMEDIATE) for a while, as another RNN Lab, a
// backup tool or a sqlite3 shell can: `node db-locker.cjs FILE MS`. Prints "locked" once it holds the lock, then
// "released" when it lets go. The database fault tests start it in the middle of a training run.
'use strict'
const Database = require('better-sqlite3')

const [file, ms] = process.argv.slice(2)
const db = new Database(file, { fileMustExist: true })
db.pragma('busy_timeout = 60000')
db.exec('BEGIN IMMEDIATE')
process.stdout.write('locked\n')
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(ms))
db.exec('COMMIT')
db.close()
process.stdout.write('released\n')
