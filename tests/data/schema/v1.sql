-- mtok database, schema version 1 (mtok 0.1.0), as `sqlite3 mtok.db .dump` writes it, plus the
-- user_version line a dump leaves out. Sample rows of every table: a bench run with samples and
-- counters, a ceilings run from a second machine and build, a sweep with simulations, costs and a
-- price snapshot (NULL = NaN, non-ASCII text, quotes), a failed run, an incomplete run and a run
-- still `running` on another host. tests/test_migrate.c loads it and opens it with the current
-- code; a later schema version adds its own vN.sql made the same way (see tests/data/schema/README.md).
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE machine (  id INTEGER PRIMARY KEY,  fingerprint TEXT NOT NULL UNIQUE,  hostname TEXT, cpu_model TEXT, cpu_flags TEXT, n_cpus INTEGER, mem_bytes REAL, os TEXT,  created_at TEXT NOT NULL);
INSERT INTO machine VALUES(1,'fp-3f1c9a','bench-01','AMD EPYC 9654','avx2 avx512f avx512bf16',192,1500000000000.0,'Linux 6.1','2026-11-22T06:00:49Z');
INSERT INTO machine VALUES(2,'fp-77d0e2','laptop','Apple M3 Max','neon',16,64000000000.0,'Darwin 24.1','2026-11-22T06:00:49Z');
CREATE TABLE build (  id INTEGER PRIMARY KEY,  git_commit TEXT NOT NULL, dirty INTEGER NOT NULL, compiler TEXT NOT NULL,  flags TEXT NOT NULL, simd TEXT NOT NULL, version TEXT NOT NULL, created_at TEXT NOT NULL,  UNIQUE (git_commit, dirty, compiler, flags, simd));
INSERT INTO build VALUES(1,'4b825dc642cb6eb9a060e54bf8d69288fbee4904',0,'gcc 12.2.0','-O2 -march=native','avx512','0.1.0','2026-11-22T06:00:49Z');
INSERT INTO build VALUES(2,'c1d9381aa6d2f0b1c0ffee00000000000000beef',1,'clang 14.0.6','-O3','neon','0.1.0','2026-11-22T06:00:49Z');
CREATE TABLE run (  id INTEGER PRIMARY KEY,  uuid TEXT NOT NULL UNIQUE,  kind TEXT NOT NULL, suite TEXT, args TEXT,  machine_id INTEGER REFERENCES machine(id),  build_id INTEGER REFERENCES build(id),  status TEXT NOT NULL CHECK (status IN ('running','complete','incomplete','failed')),  pid INTEGER, host TEXT, started_at TEXT NOT NULL, finished_at TEXT);
INSERT INTO run VALUES(1,'fe9f30b49688b14d0203d2828154159e','bench','default','mtok bench --reps 3',1,1,'complete',19789,'vm','2026-11-22T06:00:49.983Z','2026-11-22T06:00:49.983Z');
INSERT INTO run VALUES(2,'b0b46c053965282658329591481bb8df','ceilings',NULL,'mtok ceilings',2,2,'complete',19789,'vm','2026-11-22T06:00:49.983Z','2026-11-22T06:00:49.983Z');
INSERT INTO run VALUES(3,'43ac7d6513a70a6061b39fa1dfe851bc','sweep','frontier','mtok sweep --suite frontier -j 2',1,1,'complete',19789,'vm','2026-11-22T06:00:49.984Z','2026-11-22T06:00:49.984Z');
INSERT INTO run VALUES(4,'1d5410400ef403d775b1c68b001ab2db','bench','default','mtok bench --filter ''gemm.*''',1,1,'failed',19789,'vm','2026-11-22T06:00:49.984Z','2026-11-22T06:00:49.984Z');
CREATE TABLE result (  id INTEGER PRIMARY KEY,  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,  name TEXT NOT NULL, kernel TEXT, dtype TEXT, shape TEXT, variant TEXT, threads INTEGER,  n_samples INTEGER NOT NULL,  min_ns REAL, median_ns REAL, mad_ns REAL, ci_lo_ns REAL, ci_hi_ns REAL,  flops REAL, bytes REAL, kv_bytes REAL, predicted_ns REAL, provenance TEXT,  UNIQUE (run_id, name));
INSERT INTO result VALUES(1,1,'gemm/bf16/4096x4096x4096/t192','gemm','bf16','see name','avx512',192,3,1000000.0,1020000.0,10000.0,1010000.0,1030000.0,137000000000.0,100000000.0,0.0,950000.0,'calibrated');
INSERT INTO result VALUES(2,1,'attn-mla/bf16/decode-b64-ctx8k/t192','attn-mla','bf16','see name','avx512',192,3,2000000.0,2040000.0,10000.0,2020000.0,2060000.0,137000000000.0,100000000.0,580000000.0,1900000.0,'calibrated');
INSERT INTO result VALUES(3,1,'moe-grouped/fp8/e256-k8/t192','moe-grouped','fp8','see name','avx512',192,3,3000000.0,3060000.0,10000.0,3030000.0,3090000.0,137000000000.0,100000000.0,0.0,NULL,NULL);
CREATE TABLE sample (  result_id INTEGER NOT NULL REFERENCES result(id) ON DELETE CASCADE,  idx INTEGER NOT NULL, ns REAL NOT NULL,  PRIMARY KEY (result_id, idx)) WITHOUT ROWID;
INSERT INTO sample VALUES(1,0,1020000.0);
INSERT INTO sample VALUES(1,1,1021000.0);
INSERT INTO sample VALUES(1,2,1022000.0);
INSERT INTO sample VALUES(2,0,2040000.0);
INSERT INTO sample VALUES(2,1,2041000.0);
INSERT INTO sample VALUES(2,2,2042000.0);
INSERT INTO sample VALUES(3,0,3060000.0);
INSERT INTO sample VALUES(3,1,3061000.0);
INSERT INTO sample VALUES(3,2,3062000.0);
CREATE TABLE counter (  result_id INTEGER NOT NULL REFERENCES result(id) ON DELETE CASCADE,  name TEXT NOT NULL, value REAL, available INTEGER NOT NULL, note TEXT,  PRIMARY KEY (result_id, name)) WITHOUT ROWID;
INSERT INTO counter VALUES(1,'PAPI_TOT_CYC',NULL,0,'no PMU (virtual machine)');
INSERT INTO counter VALUES(1,'sde:::mtok::flops',137000000000.0,1,NULL);
INSERT INTO counter VALUES(2,'PAPI_TOT_CYC',NULL,0,'no PMU (virtual machine)');
INSERT INTO counter VALUES(2,'sde:::mtok::flops',137000000000.0,1,NULL);
INSERT INTO counter VALUES(3,'PAPI_TOT_CYC',NULL,0,'no PMU (virtual machine)');
INSERT INTO counter VALUES(3,'sde:::mtok::flops',137000000000.0,1,NULL);
CREATE TABLE ceiling (  id INTEGER PRIMARY KEY,  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,  kind TEXT NOT NULL, name TEXT NOT NULL, level TEXT, threads INTEGER NOT NULL,  bytes REAL NOT NULL DEFAULT 0, value REAL NOT NULL, unit TEXT NOT NULL,  UNIQUE (run_id, kind, name, threads, bytes));
INSERT INTO ceiling VALUES(1,2,'flops','fp32',NULL,16,0.0,3200000000000.0,'FLOP/s');
INSERT INTO ceiling VALUES(2,2,'bandwidth','read','DRAM',16,1073741824.0,390000000000.0,'B/s');
INSERT INTO ceiling VALUES(3,2,'bandwidth','read','L2',1,1048576.0,120000000000.0,'B/s');
CREATE TABLE simulation (  id INTEGER PRIMARY KEY,  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,  key TEXT NOT NULL, model TEXT NOT NULL, hw TEXT NOT NULL, deployment TEXT NOT NULL,  fits INTEGER NOT NULL, max_batch REAL, ttft_s REAL, tpot_s REAL, tok_s_per_user REAL,  tok_s_per_gpu REAL, input_tok_s_per_gpu REAL, output_tok_s_per_gpu REAL,  weight_bytes REAL, kv_bytes_per_token REAL, flops_per_token REAL, provenance TEXT,  UNIQUE (run_id, key));
INSERT INTO simulation VALUES(1,3,'llama-3.1-8b/h100-sxm/tp1/b32','llama-3.1-8b','h100-sxm','{"tp":1,"batch":32}',1,256.0,0.20999999999999999222,0.017999999999999998639,55.600000000000001421,1779.0,9000.0,1779.0,1600000000000.0,70272.0,98000000000.0,'sol');
INSERT INTO simulation VALUES(2,3,'deepseek-v4-pro/h200/tp8/b64','deepseek-v4-pro','h200','{"tp":8,"ep":8,"batch":64,"note":"caf\u00e9 \"quoted\""}',1,256.0,0.20999999999999999222,0.017999999999999998639,55.600000000000001421,1779.0,9000.0,1779.0,1600000000000.0,70272.0,98000000000.0,'sol');
CREATE TABLE cost (  id INTEGER PRIMARY KEY,  simulation_id INTEGER NOT NULL REFERENCES simulation(id) ON DELETE CASCADE,  tier TEXT NOT NULL, usd_per_gpu_hour REAL, usd_per_m_input REAL,  usd_per_m_cached_input REAL, usd_per_m_output REAL, usd_per_m_total REAL,  UNIQUE (simulation_id, tier));
INSERT INTO cost VALUES(1,1,'hyperscaler',10.599999999999999644,0.050000000000000002775,0.012500000000000000693,1.6499999999999999111,0.69999999999999995559);
INSERT INTO cost VALUES(2,1,'rental',2.1000000000000000888,0.010000000000000000208,NULL,0.33000000000000001554,0.14000000000000001332);
INSERT INTO cost VALUES(3,2,'hyperscaler',10.599999999999999644,0.050000000000000002775,0.012500000000000000693,1.6499999999999999111,0.69999999999999995559);
INSERT INTO cost VALUES(4,2,'rental',2.1000000000000000888,0.010000000000000000208,NULL,0.33000000000000001554,0.14000000000000001332);
CREATE TABLE price_snapshot (  id INTEGER PRIMARY KEY,  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,  price_id TEXT NOT NULL, provider TEXT, product TEXT, model TEXT, kind TEXT,  from_date TEXT, until_date TEXT, currency TEXT,  per_m_input REAL, per_m_cached_input REAL, per_m_output REAL, source TEXT,  UNIQUE (run_id, price_id));
INSERT INTO price_snapshot VALUES(1,3,'deepseek/v4-pro/list','DeepSeek','deepseek-v4-pro (API) “list”','deepseek-v4-pro','list','2026-04-24',NULL,'CNY',0.44000000000000000222,NULL,1.7600000000000000088,'api-docs.deepseek.com/quick_start/pricing');
CREATE INDEX run_build ON run(build_id);
CREATE INDEX result_name ON result(name);

INSERT INTO run VALUES(5,'5b1e2ad3c0a0470f9e6f1e0d3c2b1a09','bench','default','mtok bench',1,1,'incomplete',20111,'vm','2026-11-22T06:01:10.000Z',NULL);
INSERT INTO run VALUES(6,'6c2f3be4d1b1581a0f7f2f1e4d3c2b1a','sweep','frontier','mtok sweep --suite frontier',2,2,'running',4242,'another-host','2026-11-22T06:02:00.000Z',NULL);
COMMIT;
PRAGMA user_version = 1;
