#include "store/schema.h"

#include "store/store.h"

/* Natural keys (UNIQUE constraints) are what make `mtok db merge` idempotent: every row can be
 * recognised in another database without its local integer id. */
static const char v1[] =
    "CREATE TABLE machine ("
    "  id INTEGER PRIMARY KEY,"
    "  fingerprint TEXT NOT NULL UNIQUE,"
    "  hostname TEXT, cpu_model TEXT, cpu_flags TEXT, n_cpus INTEGER, mem_bytes REAL, os TEXT,"
    "  created_at TEXT NOT NULL);"
    "CREATE TABLE build ("
    "  id INTEGER PRIMARY KEY,"
    "  git_commit TEXT NOT NULL, dirty INTEGER NOT NULL, compiler TEXT NOT NULL,"
    "  flags TEXT NOT NULL, simd TEXT NOT NULL, version TEXT NOT NULL, created_at TEXT NOT NULL,"
    "  UNIQUE (git_commit, dirty, compiler, flags, simd));"
    "CREATE TABLE run ("
    "  id INTEGER PRIMARY KEY,"
    "  uuid TEXT NOT NULL UNIQUE,"
    "  kind TEXT NOT NULL, suite TEXT, args TEXT,"
    "  machine_id INTEGER REFERENCES machine(id),"
    "  build_id INTEGER REFERENCES build(id),"
    "  status TEXT NOT NULL CHECK (status IN ('running','complete','incomplete','failed')),"
    "  pid INTEGER, host TEXT, started_at TEXT NOT NULL, finished_at TEXT);"
    "CREATE INDEX run_build ON run(build_id);"
    "CREATE TABLE result ("
    "  id INTEGER PRIMARY KEY,"
    "  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL, kernel TEXT, dtype TEXT, shape TEXT, variant TEXT, threads INTEGER,"
    "  n_samples INTEGER NOT NULL,"
    "  min_ns REAL, median_ns REAL, mad_ns REAL, ci_lo_ns REAL, ci_hi_ns REAL,"
    "  flops REAL, bytes REAL, kv_bytes REAL, predicted_ns REAL, provenance TEXT,"
    "  UNIQUE (run_id, name));"
    "CREATE INDEX result_name ON result(name);"
    "CREATE TABLE sample ("
    "  result_id INTEGER NOT NULL REFERENCES result(id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL, ns REAL NOT NULL,"
    "  PRIMARY KEY (result_id, idx)) WITHOUT ROWID;"
    "CREATE TABLE counter ("
    "  result_id INTEGER NOT NULL REFERENCES result(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL, value REAL, available INTEGER NOT NULL, note TEXT,"
    "  PRIMARY KEY (result_id, name)) WITHOUT ROWID;"
    "CREATE TABLE ceiling ("
    "  id INTEGER PRIMARY KEY,"
    "  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL, name TEXT NOT NULL, level TEXT, threads INTEGER NOT NULL,"
    "  bytes REAL NOT NULL DEFAULT 0, value REAL NOT NULL, unit TEXT NOT NULL,"
    "  UNIQUE (run_id, kind, name, threads, bytes));"
    "CREATE TABLE simulation ("
    "  id INTEGER PRIMARY KEY,"
    "  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
    "  key TEXT NOT NULL, model TEXT NOT NULL, hw TEXT NOT NULL, deployment TEXT NOT NULL,"
    "  fits INTEGER NOT NULL, max_batch REAL, ttft_s REAL, tpot_s REAL, tok_s_per_user REAL,"
    "  tok_s_per_gpu REAL, input_tok_s_per_gpu REAL, output_tok_s_per_gpu REAL,"
    "  weight_bytes REAL, kv_bytes_per_token REAL, flops_per_token REAL, provenance TEXT,"
    "  UNIQUE (run_id, key));"
    "CREATE TABLE cost ("
    "  id INTEGER PRIMARY KEY,"
    "  simulation_id INTEGER NOT NULL REFERENCES simulation(id) ON DELETE CASCADE,"
    "  tier TEXT NOT NULL, usd_per_gpu_hour REAL, usd_per_m_input REAL,"
    "  usd_per_m_cached_input REAL, usd_per_m_output REAL, usd_per_m_total REAL,"
    "  UNIQUE (simulation_id, tier));"
    "CREATE TABLE price_snapshot ("
    "  id INTEGER PRIMARY KEY,"
    "  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
    "  price_id TEXT NOT NULL, provider TEXT, product TEXT, model TEXT, kind TEXT,"
    "  from_date TEXT, until_date TEXT, currency TEXT,"
    "  per_m_input REAL, per_m_cached_input REAL, per_m_output REAL, source TEXT,"
    "  UNIQUE (run_id, price_id));";

/* v2: workload plans (`mtok cost`, issue #8): one row per priced option of a run of kind "cost". */
static const char v2[] =
    "CREATE TABLE workload_cost ("
    "  id INTEGER PRIMARY KEY,"
    "  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
    "  key TEXT NOT NULL, workload TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('api','self')),"
    "  name TEXT NOT NULL, provider TEXT, product TEXT, price_id TEXT, hw TEXT, deployment TEXT,"
    "  feasible INTEGER NOT NULL, devices INTEGER, utilisation REAL, hour_basis TEXT,"
    "  usd_per_device_hour REAL, usd_per_month REAL, usd_per_m_tokens REAL,"
    "  breakeven_requests_per_day REAL, note TEXT,"
    "  UNIQUE (run_id, key));";

/* v3 (bench, issue #4): what a benchmark run needs to be reproduced and compared. machine.detail
 * holds every fingerprinted field as JSON (the fingerprint is a hash of it); run.meta the harness
 * settings and the CPUs pinned; result.iters the iterations per sample (samples are ns per
 * iteration); result.error why a benchmark produced no samples. The index serves "latest complete
 * run of this kind", which compare, history and the host entry ask for. */
static const char v3[] =
    "ALTER TABLE machine ADD COLUMN detail TEXT;"
    "ALTER TABLE run ADD COLUMN meta TEXT;"
    "ALTER TABLE result ADD COLUMN iters REAL;"
    "ALTER TABLE result ADD COLUMN error TEXT;"
    "CREATE INDEX run_kind_status ON run(kind, status, started_at);";

/* v4 (bench part B, issue #4): the simulator's calibration from a benchmark run. One row per
 * measured benchmark: the op's calibration key (hardware, op kind, dtype, the roof that bounds it),
 * its size on that roof (FLOPs or bytes), the utilisation the measurement implies (roofline time /
 * (median - op latency)), and the roofline and measured times it came from. `mtok sim --hw host`
 * loads the rows of the latest complete bench run of the machine. */
static const char v4[] =
    "CREATE TABLE calibration ("
    "  id INTEGER PRIMARY KEY,"
    "  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL, hw TEXT NOT NULL, threads INTEGER NOT NULL,"
    "  op_kind TEXT NOT NULL, dtype TEXT NOT NULL, bound TEXT NOT NULL,"
    "  size REAL NOT NULL, utilisation REAL NOT NULL, compute_size REAL, memory_size REAL,"
    "  sol_compute_ns REAL, sol_memory_ns REAL, latency_ns REAL, measured_ns REAL,"
    "  UNIQUE (run_id, name));";

const char *const mtok_store_migrations[MTOK_STORE_SCHEMA_VERSION] = {v1, v2, v3, v4};

/* Local ids differ between databases; every INSERT maps the source's ids to this database's through
 * the natural keys. INSERT OR IGNORE on those keys makes a second merge a no-op. */
const char *const mtok_store_merge_sql[] = {
    "INSERT OR IGNORE INTO main.machine(fingerprint, hostname, cpu_model, cpu_flags, n_cpus,"
    " mem_bytes, os, created_at, detail)"
    " SELECT fingerprint, hostname, cpu_model, cpu_flags, n_cpus, mem_bytes, os, created_at, detail"
    " FROM src.machine",

    "INSERT OR IGNORE INTO main.build(git_commit, dirty, compiler, flags, simd, version,"
    " created_at)"
    " SELECT git_commit, dirty, compiler, flags, simd, version, created_at FROM src.build",

    "INSERT OR IGNORE INTO main.run(uuid, kind, suite, args, machine_id, build_id, status, pid,"
    " host, started_at, finished_at, meta)"
    " SELECT r.uuid, r.kind, r.suite, r.args,"
    "  (SELECT m.id FROM main.machine m JOIN src.machine sm ON sm.fingerprint = m.fingerprint"
    "   WHERE sm.id = r.machine_id),"
    "  (SELECT b.id FROM main.build b JOIN src.build sb ON sb.git_commit = b.git_commit"
    "   AND sb.dirty = b.dirty AND sb.compiler = b.compiler AND sb.flags = b.flags"
    "   AND sb.simd = b.simd WHERE sb.id = r.build_id),"
    "  CASE r.status WHEN 'running' THEN 'incomplete' ELSE r.status END,"
    "  r.pid, r.host, r.started_at, r.finished_at, r.meta"
    " FROM src.run r",

    /* A temporary map from source run ids to ours, for the rows under runs. */
    "CREATE TEMP TABLE run_map AS SELECT sr.id AS src_id, mr.id AS dst_id"
    " FROM src.run sr JOIN main.run mr ON mr.uuid = sr.uuid",

    "INSERT OR IGNORE INTO main.result(run_id, name, kernel, dtype, shape, variant, threads,"
    " n_samples, min_ns, median_ns, mad_ns, ci_lo_ns, ci_hi_ns, flops, bytes, kv_bytes,"
    " predicted_ns, provenance, iters, error)"
    " SELECT m.dst_id, r.name, r.kernel, r.dtype, r.shape, r.variant, r.threads, r.n_samples,"
    "  r.min_ns, r.median_ns, r.mad_ns, r.ci_lo_ns, r.ci_hi_ns, r.flops, r.bytes, r.kv_bytes,"
    "  r.predicted_ns, r.provenance, r.iters, r.error"
    " FROM src.result r JOIN temp.run_map m ON m.src_id = r.run_id",

    "CREATE TEMP TABLE result_map AS SELECT sr.id AS src_id, mr.id AS dst_id"
    " FROM src.result sr JOIN temp.run_map m ON m.src_id = sr.run_id"
    " JOIN main.result mr ON mr.run_id = m.dst_id AND mr.name = sr.name",

    "INSERT OR IGNORE INTO main.sample(result_id, idx, ns)"
    " SELECT m.dst_id, s.idx, s.ns FROM src.sample s JOIN temp.result_map m ON m.src_id = "
    "s.result_id",

    "INSERT OR IGNORE INTO main.counter(result_id, name, value, available, note)"
    " SELECT m.dst_id, c.name, c.value, c.available, c.note"
    " FROM src.counter c JOIN temp.result_map m ON m.src_id = c.result_id",

    "INSERT OR IGNORE INTO main.ceiling(run_id, kind, name, level, threads, bytes, value, unit)"
    " SELECT m.dst_id, c.kind, c.name, c.level, c.threads, c.bytes, c.value, c.unit"
    " FROM src.ceiling c JOIN temp.run_map m ON m.src_id = c.run_id",

    "INSERT OR IGNORE INTO main.simulation(run_id, key, model, hw, deployment, fits, max_batch,"
    " ttft_s, tpot_s, tok_s_per_user, tok_s_per_gpu, input_tok_s_per_gpu, output_tok_s_per_gpu,"
    " weight_bytes, kv_bytes_per_token, flops_per_token, provenance)"
    " SELECT m.dst_id, s.key, s.model, s.hw, s.deployment, s.fits, s.max_batch, s.ttft_s,"
    "  s.tpot_s, s.tok_s_per_user, s.tok_s_per_gpu, s.input_tok_s_per_gpu,"
    "  s.output_tok_s_per_gpu, s.weight_bytes, s.kv_bytes_per_token, s.flops_per_token,"
    "  s.provenance"
    " FROM src.simulation s JOIN temp.run_map m ON m.src_id = s.run_id",

    "INSERT OR IGNORE INTO main.cost(simulation_id, tier, usd_per_gpu_hour, usd_per_m_input,"
    " usd_per_m_cached_input, usd_per_m_output, usd_per_m_total)"
    " SELECT ms.id, c.tier, c.usd_per_gpu_hour, c.usd_per_m_input, c.usd_per_m_cached_input,"
    "  c.usd_per_m_output, c.usd_per_m_total"
    " FROM src.cost c JOIN src.simulation ss ON ss.id = c.simulation_id"
    " JOIN temp.run_map m ON m.src_id = ss.run_id"
    " JOIN main.simulation ms ON ms.run_id = m.dst_id AND ms.key = ss.key",

    "INSERT OR IGNORE INTO main.price_snapshot(run_id, price_id, provider, product, model, kind,"
    " from_date, until_date, currency, per_m_input, per_m_cached_input, per_m_output, source)"
    " SELECT m.dst_id, p.price_id, p.provider, p.product, p.model, p.kind, p.from_date,"
    "  p.until_date, p.currency, p.per_m_input, p.per_m_cached_input, p.per_m_output, p.source"
    " FROM src.price_snapshot p JOIN temp.run_map m ON m.src_id = p.run_id",

    "INSERT OR IGNORE INTO main.workload_cost(run_id, key, workload, kind, name, provider,"
    " product, price_id, hw, deployment, feasible, devices, utilisation, hour_basis,"
    " usd_per_device_hour, usd_per_month, usd_per_m_tokens, breakeven_requests_per_day, note)"
    " SELECT m.dst_id, w.key, w.workload, w.kind, w.name, w.provider, w.product, w.price_id, w.hw,"
    "  w.deployment, w.feasible, w.devices, w.utilisation, w.hour_basis, w.usd_per_device_hour,"
    "  w.usd_per_month, w.usd_per_m_tokens, w.breakeven_requests_per_day, w.note"
    " FROM src.workload_cost w JOIN temp.run_map m ON m.src_id = w.run_id",

    "INSERT OR IGNORE INTO main.calibration(run_id, name, hw, threads, op_kind, dtype, bound,"
    " size, utilisation, compute_size, memory_size, sol_compute_ns, sol_memory_ns, latency_ns,"
    " measured_ns)"
    " SELECT m.dst_id, c.name, c.hw, c.threads, c.op_kind, c.dtype, c.bound, c.size,"
    "  c.utilisation, c.compute_size, c.memory_size, c.sol_compute_ns, c.sol_memory_ns,"
    "  c.latency_ns, c.measured_ns"
    " FROM src.calibration c JOIN temp.run_map m ON m.src_id = c.run_id",

    "DROP TABLE temp.run_map",
    "DROP TABLE temp.result_map",
};
const size_t mtok_store_merge_sql_count = sizeof mtok_store_merge_sql / sizeof *mtok_store_merge_sql;
