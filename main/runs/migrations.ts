// The run database's schema, as numbered migrations applied in order and recorded in PRAGMA user_version.
import type Database from 'better-sqlite3'

/** Each entry moves the schema from version i to i + 1. Never edit a landed migration: add a new one. */
export const migrations: readonly string[] = [
  `
  CREATE TABLE experiments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
  );
  CREATE TABLE runs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    experiment_id   INTEGER REFERENCES experiments(id),
    name            TEXT NOT NULL,
    config_json     TEXT NOT NULL,
    dataset         TEXT NOT NULL,
    seed            INTEGER,
    status          TEXT NOT NULL CHECK (status IN ('queued','running','completed','failed','cancelled','interrupted')),
    error           TEXT,
    created_at      TEXT NOT NULL,
    started_at      TEXT,
    ended_at        TEXT,
    duration_s      REAL,
    engine_version  TEXT,
    threads         INTEGER,
    cpu             TEXT,
    param_count     INTEGER,
    cell            TEXT,
    direction       TEXT,
    layer_count     INTEGER NOT NULL DEFAULT 0,
    epochs_planned  INTEGER,
    tags_json       TEXT NOT NULL DEFAULT '[]',
    notes           TEXT NOT NULL DEFAULT '',
    archived        INTEGER NOT NULL DEFAULT 0,
    deleted_at      TEXT,
    pid             INTEGER,
    host            TEXT
  );
  CREATE INDEX runs_status ON runs(status);
  CREATE TABLE epoch_metrics (
    run_id              INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch               INTEGER NOT NULL,
    loss                REAL,
    accuracy            REAL,
    val_loss            REAL,
    val_accuracy        REAL,
    learning_rate       REAL,
    seconds             REAL,
    samples_per_second  REAL,
    PRIMARY KEY (run_id, epoch)
  );
  CREATE TABLE batch_metrics (
    run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step      INTEGER NOT NULL,
    epoch     INTEGER NOT NULL,
    batch     INTEGER NOT NULL,
    loss      REAL,
    accuracy  REAL,
    wall_s    REAL,
    PRIMARY KEY (run_id, step)
  );
  CREATE TABLE checkpoints (
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('last','best')),
    epoch       INTEGER NOT NULL,
    path        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    bytes       INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (run_id, kind)
  );
  CREATE TABLE exports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    checkpoint  TEXT NOT NULL,
    path        TEXT NOT NULL,
    ok          INTEGER NOT NULL,
    report_json TEXT NOT NULL,
    created_at  TEXT NOT NULL
  );
  `,
  // 2: why a run ended before its planned epochs (early stopping), for people reading the run later.
  `
  ALTER TABLE runs ADD COLUMN stop_reason TEXT;
  `,
  // 3: a stop asked for by another process (Cancel in the app for a run the CLI trains); the owning process polls it.
  `
  ALTER TABLE runs ADD COLUMN stop_requested_at TEXT;
  `,
  // 4: sweeps: a sweep's config and owner process; a trial is a run with its sweep, trial number and parameter values.
  // A trial's outcome is written once (outcome IS NULL guards it); until then its state is its run's status.
  `
  CREATE TABLE sweeps (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT NOT NULL,
    config_json       TEXT NOT NULL,
    method            TEXT NOT NULL,
    objective         TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('queued','running','completed','cancelled','interrupted')),
    base_dir          TEXT,
    parallel          INTEGER,
    threads_per_trial INTEGER,
    created_at        TEXT NOT NULL,
    started_at        TEXT,
    ended_at          TEXT,
    pid               INTEGER,
    host              TEXT
  );
  CREATE TABLE sweep_trials (
    sweep_id     INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
    trial        INTEGER NOT NULL,
    run_id       INTEGER NOT NULL UNIQUE REFERENCES runs(id) ON DELETE CASCADE,
    params_json  TEXT NOT NULL,
    repeat       INTEGER NOT NULL DEFAULT 0,
    outcome      TEXT CHECK (outcome IN ('completed','pruned','failed','cancelled')),
    ended_at     TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (sweep_id, trial)
  );
  `,
  // 5: every process on the database sees what the others change. Each run's latest change gets the next number in
  // run_changes (one row a run, so the table never grows beyond the runs), written by triggers inside the writer's
  // own transaction: a door reads the rows numbered above its cursor and re-reads only those runs. progress_json is
  // the training process's latest progress (about once a second), for doors in other processes.
  `
  CREATE TABLE run_changes (
    run_id  INTEGER PRIMARY KEY,
    seq     INTEGER NOT NULL
  );
  CREATE INDEX run_changes_seq ON run_changes(seq);
  ALTER TABLE runs ADD COLUMN progress_json TEXT;
  CREATE TRIGGER runs_changed_insert AFTER INSERT ON runs BEGIN
    INSERT OR REPLACE INTO run_changes (run_id, seq) VALUES (new.id, (SELECT coalesce(max(seq), 0) + 1 FROM run_changes));
  END;
  CREATE TRIGGER runs_changed_update AFTER UPDATE ON runs BEGIN
    INSERT OR REPLACE INTO run_changes (run_id, seq) VALUES (new.id, (SELECT coalesce(max(seq), 0) + 1 FROM run_changes));
  END;
  CREATE TRIGGER runs_changed_delete AFTER DELETE ON runs BEGIN
    INSERT OR REPLACE INTO run_changes (run_id, seq) VALUES (old.id, (SELECT coalesce(max(seq), 0) + 1 FROM run_changes));
  END;
  CREATE TRIGGER epochs_changed_insert AFTER INSERT ON epoch_metrics BEGIN
    INSERT OR REPLACE INTO run_changes (run_id, seq)
      VALUES (new.run_id, (SELECT coalesce(max(seq), 0) + 1 FROM run_changes));
  END;
  CREATE TRIGGER epochs_changed_update AFTER UPDATE ON epoch_metrics BEGIN
    INSERT OR REPLACE INTO run_changes (run_id, seq)
      VALUES (new.run_id, (SELECT coalesce(max(seq), 0) + 1 FROM run_changes));
  END;
  `,
  // 6: the loss and accuracy of each reported step: the mean over the batches since the previous report (batches of
  // them, ending at batch), never since the epoch began. batch_metrics keeps the running means of older runs.
  `
  CREATE TABLE step_metrics (
    run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step      INTEGER NOT NULL,
    epoch     INTEGER NOT NULL,
    batch     INTEGER NOT NULL,
    batches   INTEGER NOT NULL,
    loss      REAL,
    accuracy  REAL,
    wall_s    REAL,
    PRIMARY KEY (run_id, step)
  );
  `,
  // 7: sweeps run through Redis: the (password-hidden) address, and the workers the owner saw while it ran the sweep,
  // with each one's last heartbeat, what it trains, and how many of the sweep's trials it finished.
  `
  ALTER TABLE sweeps ADD COLUMN remote TEXT;
  CREATE TABLE sweep_workers (
    sweep_id      INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    host          TEXT NOT NULL,
    pid           INTEGER,
    state         TEXT NOT NULL CHECK (state IN ('idle','training','busy')),
    trial         INTEGER,
    epoch         INTEGER,
    trials_done   INTEGER NOT NULL DEFAULT 0,
    first_seen    TEXT NOT NULL,
    heartbeat_at  TEXT NOT NULL,
    PRIMARY KEY (sweep_id, name)
  );
  `,
  // 8: prefix accuracy (common/analysis.ts): a run's validation accuracy given only the first k steps (first_json) and
  // only the last k (last_json), k = 1…time_steps, of the checkpoint named; version is the computation's
  // (PREFIX_VERSION), so a curve of another version is computed again rather than shown.
  `
  CREATE TABLE prefix_accuracy (
    run_id      INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    checkpoint  TEXT NOT NULL CHECK (checkpoint IN ('best','last')),
    epoch       INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    time_steps  INTEGER NOT NULL,
    samples     INTEGER NOT NULL,
    first_json  TEXT NOT NULL,
    last_json   TEXT NOT NULL,
    created_at  TEXT NOT NULL
  );
  `,
  // 9: training health per epoch (common/contract.ts TrainingHealth): the gradient flow through time and the gates'
  // saturation on validation samples. health_json's own layout is numbered by version (1 now).
  `
  CREATE TABLE training_health (
    run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch        INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    health_json  TEXT NOT NULL,
    PRIMARY KEY (run_id, epoch)
  );
  `,
  // 10 (ts15): regression runs (loss mse or mae) keep the mean absolute error per epoch, Keras's `mae` / `val_mae`.
  `
  ALTER TABLE epoch_metrics ADD COLUMN mae REAL;
  ALTER TABLE epoch_metrics ADD COLUMN val_mae REAL;
  `
]

/** Brings a database up to the newest schema; refuses one written by a newer RNN Lab. */
export function migrate(db: Database.Database, file: string): void {
  const current = db.pragma('user_version', { simple: true }) as number
  if (current > migrations.length) {
    throw new Error(
      `${file}: database schema version ${current} is newer than this RNN Lab knows (${migrations.length}); update RNN Lab`
    )
  }
  for (let v = current; v < migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v])
      db.pragma(`user_version = ${v + 1}`)
    }).immediate()
  }
}
