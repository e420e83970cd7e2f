/**
 * The schema, one step per entry. Never edit a step that has shipped: add a new one.
 * The position in this list is the version stored in `PRAGMA user_version`.
 */
export const migrations: readonly string[] = [
  `
  CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'disabled')),
    created_at TEXT NOT NULL
  );
  CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  );
  CREATE INDEX sessions_user ON sessions(user_id);
  CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  // Downloads: a persistent queue. Bytes already on disk live in `.incomplete` files, so only
  // the plan (files, sizes, blob ids) and each file's completion are recorded here.
  `
  CREATE TABLE downloads (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    model_id TEXT NOT NULL,
    revision TEXT NOT NULL,
    commit_sha TEXT,
    status TEXT NOT NULL CHECK (status IN ('queued', 'downloading', 'paused', 'completed', 'failed', 'cancelled')),
    error_code TEXT,
    error_message TEXT,
    created_repo INTEGER NOT NULL DEFAULT 0,
    requested_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    completed_at TEXT
  );
  CREATE INDEX downloads_status ON downloads(status);
  CREATE TABLE download_files (
    download_id INTEGER NOT NULL REFERENCES downloads(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    blob_id TEXT NOT NULL,
    lfs INTEGER NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (download_id, path)
  );
  CREATE TABLE model_usage (
    model_id TEXT PRIMARY KEY,
    last_used_at TEXT NOT NULL
  );
  `,
  `
  CREATE TABLE profiles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL COLLATE NOCASE UNIQUE,
    description TEXT,
    model TEXT NOT NULL,
    engine TEXT NOT NULL CHECK (engine IN ('mlx-openai-server', 'mlx_lm.server', 'custom')),
    host TEXT NOT NULL,
    port INTEGER NOT NULL,
    context_length INTEGER,
    model_type TEXT NOT NULL,
    tool_call_parser TEXT,
    reasoning_parser TEXT,
    auto_tool_choice INTEGER NOT NULL DEFAULT 0,
    chat_template_file TEXT,
    trust_remote_code INTEGER NOT NULL DEFAULT 0,
    temperature REAL,
    top_p REAL,
    max_tokens INTEGER,
    system_prompt TEXT,
    extra_args TEXT NOT NULL DEFAULT '[]',
    custom_command TEXT,
    auto_start INTEGER NOT NULL DEFAULT 0,
    idle_timeout_minutes INTEGER,
    pinned INTEGER NOT NULL DEFAULT 0,
    restart_on_crash INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX profiles_port ON profiles(port);
  `,
  // Chat: what the proxy measured for each request, summarised per server.
  `
  CREATE TABLE chat_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    profile_id INTEGER NOT NULL,
    model TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ttft_ms REAL,
    prompt_tokens INTEGER,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    tokens_per_second REAL,
    total_ms REAL NOT NULL,
    error_code TEXT,
    error_message TEXT
  );
  CREATE INDEX chat_requests_profile ON chat_requests(profile_id, id);
  `,
  // Roles: which profiles approved members may see and chat with.
  `
  ALTER TABLE profiles ADD COLUMN available_to_members INTEGER NOT NULL DEFAULT 0;
  `,
  // Measured memory: the peak of each model's server per engine and context length (0: the engine
  // chose), and one-click benchmarks with the settings and machine they ran on.
  `
  CREATE TABLE memory_peaks (
    model_id TEXT NOT NULL,
    engine TEXT NOT NULL,
    context_tokens INTEGER NOT NULL,
    peak_bytes INTEGER NOT NULL,
    source TEXT NOT NULL,
    measured_at TEXT NOT NULL,
    PRIMARY KEY (model_id, engine, context_tokens)
  );
  CREATE TABLE benchmark_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    profile_id INTEGER NOT NULL,
    profile_name TEXT NOT NULL,
    model_id TEXT NOT NULL,
    engine TEXT NOT NULL,
    settings TEXT NOT NULL,
    machine TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
    error TEXT,
    generated_tokens INTEGER NOT NULL,
    prompt_sizes TEXT NOT NULL,
    results TEXT NOT NULL,
    peak_bytes INTEGER,
    memory_source TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT
  );
  `,
  // API keys for the /v1 gateway: only a hash of the secret is kept; the public id finds the row.
  // profile_ids is a JSON array of profile ids, or NULL for every profile the owner may use.
  `
  CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    public_id TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    profile_ids TEXT,
    daily_token_limit INTEGER,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    last_used_at TEXT
  );
  CREATE INDEX api_keys_user ON api_keys(user_id);
  `,
  // Every request through chat or the gateway: who (user, key), which API, how it ended, cached tokens.
  // A key's tokens today are summed for its daily limit, hence the index.
  `
  ALTER TABLE chat_requests ADD COLUMN user_id INTEGER;
  ALTER TABLE chat_requests ADD COLUMN key_id INTEGER;
  ALTER TABLE chat_requests ADD COLUMN endpoint TEXT NOT NULL DEFAULT 'chat';
  ALTER TABLE chat_requests ADD COLUMN status INTEGER NOT NULL DEFAULT 200;
  ALTER TABLE chat_requests ADD COLUMN cached_tokens INTEGER;
  CREATE INDEX chat_requests_key_day ON chat_requests(key_id, started_at);
  `,
  // Other names a profile answers to on the gateway: a JSON array of strings.
  `
  ALTER TABLE profiles ADD COLUMN aliases TEXT NOT NULL DEFAULT '[]';
  `,
  // Observability: the request log pages newest first by start time (alone or per user or profile);
  // older requests are rolled up per minute, then per hour (key_id and user_id 0: none), with fixed
  // histograms for the medians; server CPU and memory samples are kept at 10 s, a minute, an hour.
  `
  CREATE INDEX chat_requests_started ON chat_requests(started_at);
  CREATE INDEX chat_requests_user_started ON chat_requests(user_id, started_at);
  CREATE INDEX chat_requests_profile_started ON chat_requests(profile_id, started_at);
  CREATE TABLE request_rollups (
    resolution TEXT NOT NULL CHECK (resolution IN ('minute', 'hour')),
    bucket_start TEXT NOT NULL,
    profile_id INTEGER NOT NULL,
    key_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    requests INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    cached_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    ttft_hist TEXT NOT NULL,
    ttft_sum REAL NOT NULL,
    tps_hist TEXT NOT NULL,
    tps_sum REAL NOT NULL,
    PRIMARY KEY (resolution, bucket_start, profile_id, key_id, user_id)
  ) WITHOUT ROWID;
  CREATE TABLE server_stats (
    profile_id INTEGER NOT NULL,
    span_seconds INTEGER NOT NULL,
    at TEXT NOT NULL,
    samples INTEGER NOT NULL,
    cpu_percent REAL NOT NULL,
    max_cpu_percent REAL NOT NULL,
    rss_bytes REAL NOT NULL,
    max_rss_bytes INTEGER NOT NULL,
    PRIMARY KEY (profile_id, span_seconds, at)
  ) WITHOUT ROWID;
  `,
  // The request log filtered by status: failed requests are rare, so a page of them without an
  // index walked most of the table (30 ms over a million rows with one failure in a thousand).
  // The retention pass finds old samples of one resolution without reading every server's rows.
  `
  CREATE INDEX chat_requests_failed ON chat_requests(started_at) WHERE error_code IS NOT NULL;
  CREATE INDEX chat_requests_status_started ON chat_requests(status, started_at);
  CREATE INDEX server_stats_span ON server_stats(span_seconds, at);
  `,
  // Peers: other managers whose profiles this one lists and relays to. The API key made there is
  // kept as given (it must be sent), in the 0600 database, and never returned by the API.
  `
  CREATE TABLE peers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL UNIQUE,
    api_key TEXT NOT NULL,
    available_to_members INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
  );
  `,
  // Hosts that run ranks of a distributed profile (mlx.launch), and which hosts a profile runs on:
  // a JSON array of host ids in rank order, the backend and the parallel mode.
  `
  CREATE TABLE hosts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    address TEXT NOT NULL,
    ssh_user TEXT,
    python_env TEXT NOT NULL,
    local INTEGER NOT NULL DEFAULT 0,
    rdma_device TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  ALTER TABLE profiles ADD COLUMN distributed_hosts TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE profiles ADD COLUMN distributed_backend TEXT NOT NULL DEFAULT 'ring';
  ALTER TABLE profiles ADD COLUMN distributed_mode TEXT NOT NULL DEFAULT 'tensor';
  `,
]
