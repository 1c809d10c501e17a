// The files `aetherflow init` writes (docs/cli.md "init"): a project that validates and runs at once.

export const INIT_FILES: Readonly<Record<string, string>> = {
  "flow.yaml": `# A starter flow written by \`aetherflow init\`. Run it from this directory:
#   aetherflow validate flow.yaml
#   aetherflow run flow.yaml --env-file .env      # after: cp .env.example .env
#   aetherflow runs list flow.yaml                # what ran; runs show / diff / logs RUN_ID flow.yaml
version: 1
flow:
  id: hello
  description: starter flow - replace the jobs with your own
  workspace:
    root: ./work                 # job dirs: work/<flow_id>/<job_id>/<run_id>/
    cleanup_policy: on_success
  state:
    path: ./state/aetherflow.db  # run history, resume, locks
jobs:
  - id: extract
    steps:
      - id: items
        type: check_items
        inputs:
          items: [alpha, beta, gamma]
          min_count: 1
        on_no_data: skip_job       # no items: the job ends SKIPPED, dependants are BLOCKED (run stays green)
        outputs:
          count: "{{result.count}}"

  - id: report
    depends_on: [extract]
    when: jobs.extract.outputs.count > 0
    steps:
      - id: say
        type: external.process
        inputs:
          shell: true
          command: >-
            echo "{{env.AF_GREETING:hello}} from run {{run_id}}: {{jobs.extract.outputs.count}} items"
`,
  "profiles.yaml":
    `# Connection profiles (docs/configuration.md). Resources name a profile; secrets stay in env keys.
# Enable with AETHERFLOW_PROFILES_FILE=profiles.yaml (see .env.example), then add to flow.yaml:
#   resources:
#     warehouse: {kind: db, driver: postgres, profile: warehouse}
warehouse:
  config:
    host: "{{env.WAREHOUSE_HOST:localhost}}"
    port: 5432
    database: analytics
    user: "{{env.WAREHOUSE_USER:etl}}"
    password: "{{env.WAREHOUSE_PASSWORD:}}"
`,
  ".env.example": `# Copy to .env (kept out of git) and pass it with: aetherflow run flow.yaml --env-file .env
AF_GREETING=hello
# AETHERFLOW_PROFILES_FILE=profiles.yaml
# WAREHOUSE_HOST=db.internal
# WAREHOUSE_PASSWORD=change-me
# AETHERFLOW_LOG_FORMAT=json
`,
  "scheduler.yaml": `# In-process cron or systemd timers (docs/scheduling.md):
#   aetherflow schedule next scheduler.yaml
#   aetherflow schedule run scheduler.yaml                       # foreground
#   aetherflow schedule systemd scheduler.yaml --out units/      # .service/.timer per item
version: 1
timezone: UTC
items:
  - id: hello_daily
    cron: "30 2 * * *"
    flow_yaml: flow.yaml
`,
  "aetherflow.plugins.yaml":
    `# Plugin lock: every WASM plugin this project may load, pinned by sha256 (docs/plugins.md).
# Write a plugin with \`aetherflow plugin new <name>\`, build it, then pin it here with
# \`aetherflow plugin pin <name>/build/<name>.wasm\`; \`aetherflow plugin verify flow.yaml\` checks the pins.
version: 1
plugins: []
`,
  ".gitignore": `# aetherflow: local state, run logs, job dirs and secrets stay out of git
/state/
/work/
.env
`,
};
