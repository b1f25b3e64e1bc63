// The production stack without a Docker engine: docker-compose.yml and the Dockerfile are parsed
// and checked against what the code expects (services, images, ports, start order, environment,
// search attributes), the worker's environment goes through the real config validation, the
// search-attribute job's script runs against a real Temporal server, and everything the worker
// imports at run time must be installed by `npm ci --omit=dev` and copied into the image.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../common/search-attributes.js';
import { loadConfig } from '../lib/config.js';
import { PROJECT_ROOT } from '../lib/project-paths.js';
import { ensureTemporalBinary } from '../lib/temporal-binaries.js';
import { temporalSettings } from '../lib/temporal-connection.js';

const run = promisify(execFile);
const root = PROJECT_ROOT;
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

type Env = Record<string, string | undefined>;
interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: Array<string | { target: number; published?: number | string; host_ip?: string }>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] | string };
  entrypoint?: string[] | string;
  command?: string[] | string;
  volumes?: string[];
  restart?: string;
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/** Compose variable substitution: $$, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, $VAR. */
function interpolate(text: string, env: Env): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])((?:[^}])*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (
      match,
      name: string | undefined,
      colon: string | undefined,
      op: string | undefined,
      arg: string | undefined,
      bare: string | undefined,
    ) => {
      if (match === '$$') return '$';
      const variable = name ?? bare!;
      const value = env[variable];
      const missing = colon ? !value : value === undefined;
      if (op === '-') return missing ? (arg ?? '') : value!;
      if (op === '?') {
        if (missing) throw new Error(`compose requires ${variable}: ${arg}`);
        return value!;
      }
      return value ?? '';
    },
  );
}

function interpolateAll<T>(value: T, env: Env): T {
  if (typeof value === 'string') return interpolate(value, env) as T;
  if (Array.isArray(value)) return value.map((item) => interpolateAll(item, env)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateAll(item, env)])) as T;
  }
  return value;
}

/** Variables the compose file requires (`${VAR:?…}`): set in every resolution below unless a test removes them. */
const REQUIRED: Env = { CODEC_SERVER_TOKEN: 'codec-token-from-the-env-file' };

function loadCompose(env: Env = {}): ComposeFile {
  return interpolateAll(parse(read('docker-compose.yml')) as ComposeFile, { ...REQUIRED, ...env });
}

function environment(service: Service): Record<string, string> {
  const entries = Array.isArray(service.environment)
    ? service.environment.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)])
    : Object.entries(service.environment ?? {}).map(([key, value]) => [key, value === null ? '' : String(value)]);
  return Object.fromEntries(entries);
}

/** Published ports as { container: host }. */
function ports(service: Service): Map<number, { host: number; ip?: string }> {
  const result = new Map<number, { host: number; ip?: string }>();
  for (const entry of service.ports ?? []) {
    if (typeof entry === 'string') {
      const parts = entry.replace(/\/(tcp|udp)$/, '').split(':');
      const container = Number(parts.at(-1));
      const host = parts.length >= 2 ? Number(parts.at(-2)) : container;
      result.set(container, { host, ip: parts.length === 3 ? parts[0] : undefined });
    } else {
      result.set(entry.target, { host: Number(entry.published ?? entry.target), ip: entry.host_ip });
    }
  }
  return result;
}

/** Bind mounts of the project's files: container path → path in the repository. */
function mountsOf(service: Service): Map<string, string> {
  const mounts = (service.volumes ?? [])
    .map((entry) => entry.split(':'))
    .filter(([source]) => source!.startsWith('./'));
  return new Map(mounts.map(([source, target]) => [target!, path.normalize(source!)]));
}

function conditions(service: Service): Record<string, string> {
  const dependsOn = service.depends_on ?? {};
  if (Array.isArray(dependsOn)) return Object.fromEntries(dependsOn.map((name) => [name, 'service_started']));
  return Object.fromEntries(
    Object.entries(dependsOn).map(([name, spec]) => [name, spec.condition ?? 'service_started']),
  );
}

function imageTag(image: string | undefined): { name: string; tag: string } {
  expect(image, 'service has an image').toBeTypeOf('string');
  const at = image!.lastIndexOf(':');
  return { name: image!.slice(0, at), tag: image!.slice(at + 1) };
}

/** The one-shot job's shell script, as the container's `/bin/sh -c` receives it. */
function adminScript(compose: ComposeFile): string {
  const admin = compose.services['temporal-admin-tools']!;
  const entrypoint = [admin.entrypoint ?? []].flat();
  const command = [admin.command ?? []].flat();
  expect(entrypoint).toEqual(['/bin/sh', '-c']);
  expect(command).toHaveLength(1);
  return command[0]!;
}

const SEARCH_ATTRIBUTE_TYPE: Record<string, string> = { KEYWORD: 'Keyword', TEXT: 'Text', INT: 'Int' };

describe('docker-compose.yml', () => {
  const compose = loadCompose();
  const services = compose.services;

  it('has the seven services with pinned images', () => {
    expect(Object.keys(services).sort()).toEqual([
      'grafana',
      'postgresql',
      'prometheus',
      'temporal',
      'temporal-admin-tools',
      'temporal-ui',
      'worker',
    ]);
    expect(imageTag(services.postgresql!.image)).toEqual({ name: 'postgres', tag: '16' });
    const server = imageTag(services.temporal!.image);
    expect(server.name).toBe('temporalio/auto-setup');
    const admin = imageTag(services['temporal-admin-tools']!.image);
    expect(admin.name).toBe('temporalio/admin-tools');
    expect(
      admin.tag.startsWith(`${server.tag}-`) || admin.tag === server.tag,
      'admin-tools matches the server version',
    ).toBe(true);
    expect(imageTag(services['temporal-ui']!.image).name).toBe('temporalio/ui');
    for (const [name, service] of Object.entries(services)) {
      if (service.image && name !== 'worker') expect(imageTag(service.image).tag, `${name} is pinned`).toMatch(/^v?\d/);
    }
    const build = services.worker!.build;
    const context = typeof build === 'string' ? build : build?.context;
    const dockerfile = typeof build === 'object' && build.dockerfile ? build.dockerfile : 'Dockerfile';
    expect(context).toBe('.');
    expect(existsSync(path.join(root, dockerfile))).toBe(true);
  });

  it('publishes the Temporal frontend, the UI and the codec endpoint, and keeps PostgreSQL data in a volume', () => {
    expect(ports(services.temporal!).get(7233)?.host).toBe(7233);
    expect(ports(services['temporal-ui']!).get(8080)?.host).toBe(8080);
    expect(ports(services.postgresql!).get(5432)?.host).toBe(5432);
    const codecPort = Number(environment(services.worker!).CODEC_SERVER_PORT);
    expect(ports(services.worker!).get(codecPort)?.host).toBe(codecPort);
    // Nothing without authentication is reachable from other machines.
    for (const [name, service] of Object.entries(services)) {
      for (const [container, { ip }] of ports(service))
        expect(ip, `${name}:${container} bound to loopback`).toBe('127.0.0.1');
    }
    const [volume] = (services.postgresql!.volumes ?? []).map((entry) => entry.split(':'));
    expect(volume?.[1]).toBe('/var/lib/postgresql/data');
    expect(Object.keys(compose.volumes ?? {})).toContain(volume?.[0]);
  });

  it('starts everything in order: health checks and depends_on conditions', () => {
    expect(services.postgresql!.healthcheck?.test).toBeDefined();
    expect(String(services.temporal!.healthcheck?.test)).toContain('temporal:7233');
    expect(conditions(services.temporal!)).toEqual({ postgresql: 'service_healthy' });
    expect(conditions(services['temporal-admin-tools']!)).toEqual({ temporal: 'service_healthy' });
    expect(conditions(services['temporal-ui']!)).toEqual({ temporal: 'service_healthy' });
    expect(conditions(services.worker!)).toEqual({
      postgresql: 'service_healthy',
      temporal: 'service_healthy',
      'temporal-admin-tools': 'service_completed_successfully',
    });
    expect(services['temporal-admin-tools']!.restart).toBe('no');
  });

  it('points Temporal at the PostgreSQL service with its credentials', () => {
    for (const env of [{}, { POSTGRES_USER: 'ops', POSTGRES_PASSWORD: 'pw-from-env' }]) {
      const { services: resolved } = loadCompose(env);
      const database = environment(resolved.postgresql!);
      const server = environment(resolved.temporal!);
      expect(server).toMatchObject({
        DB: 'postgres12',
        DB_PORT: '5432',
        POSTGRES_SEEDS: 'postgresql',
        POSTGRES_USER: database.POSTGRES_USER,
        POSTGRES_PWD: database.POSTGRES_PASSWORD,
      });
      if ('POSTGRES_PASSWORD' in env) expect(server.POSTGRES_PWD).toBe('pw-from-env');
    }
  });

  it("gives Temporal the repository's dynamic config, which reads the transfer queue as often as the dev server's", () => {
    const server = services.temporal!;
    const mounted = mountsOf(server).get('/etc/temporal/config/dynamicconfig');
    expect(mounted, 'deploy/temporal mounted as the dynamic config folder').toBe(path.normalize('./deploy/temporal'));
    const file = environment(server).DYNAMIC_CONFIG_FILE_PATH!;
    expect(file).toMatch(/^config\/dynamicconfig\//);
    const config = parse(readFileSync(path.join(mounted!, path.basename(file)), 'utf8')) as Record<
      string,
      Array<{ value: unknown }>
    >;
    expect(config['history.transferProcessorMaxPollRPS']?.[0]?.value).toBe(1000);
  });

  it('gives the worker a DATABASE_URL on the PostgreSQL service and TEMPORAL_ADDRESS temporal:7233, which the real config accepts', () => {
    for (const env of [{}, { POSTGRES_USER: 'ops', POSTGRES_PASSWORD: 'p@ss/word' }]) {
      const { services: resolved } = loadCompose(env);
      const database = environment(resolved.postgresql!);
      const worker = environment(resolved.worker!);
      const url = new URL(worker.DATABASE_URL!);
      expect(url.protocol).toBe('postgres:');
      expect(url.hostname).toBe('postgresql');
      expect(url.port).toBe('5432');
      expect(decodeURIComponent(url.username)).toBe(database.POSTGRES_USER);
      expect(url.pathname).toBe(`/${database.POSTGRES_DB}`);
      // The password goes in PGPASSWORD (read by pg when the URL has none), so any password works.
      expect(url.password).toBe('');
      expect(worker.PGPASSWORD).toBe(database.POSTGRES_PASSWORD);
      expect(worker.TEMPORAL_ADDRESS).toBe('temporal:7233');
    }
    const worker = environment(services.worker!);
    const config = loadConfig(worker);
    expect(config.DATABASE_URL).toBe(worker.DATABASE_URL);
    expect(config.TEMPORAL_NAMESPACE).toBe('default');
    expect(temporalSettings(config)).toEqual({ address: 'temporal:7233', namespace: 'default' });
    // With a key from the .env file, encryption and the codec endpoint turn on.
    const withKey = environment(
      loadCompose({ PAYLOAD_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') }).services.worker!,
    );
    expect(loadConfig(withKey).PAYLOAD_ENCRYPTION_KEY).toBeDefined();
  });

  it("requires a codec token, which the worker's config then accepts on 0.0.0.0 with encryption on", () => {
    for (const token of [undefined, '']) {
      const load = () => loadCompose({ CODEC_SERVER_TOKEN: token });
      expect(load, String(token)).toThrow('compose requires CODEC_SERVER_TOKEN');
    }
    const key = Buffer.alloc(32, 7).toString('base64');
    const worker = environment(loadCompose({ PAYLOAD_ENCRYPTION_KEY: key }).services.worker!);
    expect(worker.CODEC_SERVER_TOKEN).toBe(REQUIRED.CODEC_SERVER_TOKEN);
    expect(loadConfig(worker).CODEC_SERVER_TOKEN).toBe(REQUIRED.CODEC_SERVER_TOKEN);
    expect(() => loadConfig({ ...worker, CODEC_SERVER_TOKEN: '' })).toThrow(/CODEC_SERVER_TOKEN must be set/);
  });

  it('points the UI at temporal:7233 and at the worker codec endpoint, which accepts the UI origin', () => {
    const ui = environment(services['temporal-ui']!);
    const worker = environment(services.worker!);
    expect(ui.TEMPORAL_ADDRESS).toBe('temporal:7233');
    const codec = new URL(ui.TEMPORAL_CODEC_ENDPOINT!);
    expect(['localhost', '127.0.0.1']).toContain(codec.hostname);
    expect(Number(codec.port)).toBe(ports(services.worker!).get(Number(worker.CODEC_SERVER_PORT))?.host);
    expect(worker.CODEC_SERVER_HOST).toBe('0.0.0.0'); // inside the container, for the published port
    const uiOrigin = `http://localhost:${ports(services['temporal-ui']!).get(8080)!.host}`;
    expect(worker.CODEC_SERVER_CORS_ORIGINS!.split(',')).toContain(uiOrigin);
    expect(worker.TEMPORAL_UI_URL).toBe(uiOrigin);
  });

  it('has Prometheus scrape the worker /metrics and load the alert rules, both from deploy/', () => {
    const worker = environment(services.worker!);
    expect(loadConfig({ ...worker, DATA_DIR: '/tmp/compose-check' }).METRICS_PORT).toBe(9464);
    expect(worker.METRICS_HOST).toBe('0.0.0.0'); // reached by the prometheus service, never published
    expect(ports(services.worker!).has(9464)).toBe(false);
    const mounts = mountsOf(services.prometheus!);
    const config = parse(read(mounts.get('/etc/prometheus/prometheus.yml')!)) as {
      rule_files: string[];
      scrape_configs: Array<{ job_name: string; metrics_path?: string; static_configs: Array<{ targets: string[] }> }>;
    };
    expect(config.scrape_configs[0]!.static_configs[0]!.targets).toEqual([`worker:${worker.METRICS_PORT}`]);
    expect(config.scrape_configs[0]!.metrics_path ?? '/metrics').toBe('/metrics');
    for (const rules of config.rule_files)
      expect(existsSync(path.join(root, mounts.get(rules) ?? 'missing'))).toBe(true);
    expect(ports(services.prometheus!).get(9090)?.host).toBe(9090);
  });

  it('provisions Grafana with the Prometheus data source and the dashboards of deploy/grafana', () => {
    const mounts = mountsOf(services.grafana!);
    const provisioning = mounts.get('/etc/grafana/provisioning')!;
    const datasources = parse(read(path.join(provisioning, 'datasources/prometheus.yml'))) as {
      datasources: Array<{ url: string; uid: string }>;
    };
    expect(datasources.datasources[0]!.url).toBe('http://prometheus:9090');
    const providers = parse(read(path.join(provisioning, 'dashboards/dashboards.yml'))) as {
      providers: Array<{ options: { path: string } }>;
    };
    const dashboards = mounts.get(providers.providers[0]!.options.path)!;
    const dashboard = JSON.parse(read(path.join(dashboards, 'self-healing.json'))) as {
      panels: Array<{ datasource: { uid: string } }>;
    };
    expect(dashboard.panels.every((panel) => panel.datasource.uid === datasources.datasources[0]!.uid)).toBe(true);
    expect(ports(services.grafana!).get(3000)?.host).toBe(3000);
  });

  it('registers exactly the search attributes of common/search-attributes.ts', () => {
    const script = adminScript(compose);
    const created = [...script.matchAll(/temporal operator search-attribute create --name (\S+) --type (\S+)/g)].map(
      ([, name, type]) => `${name}=${type}`,
    );
    expect(created.sort()).toEqual(
      CUSTOM_SEARCH_ATTRIBUTES.map((key) => `${key.name}=${SEARCH_ATTRIBUTE_TYPE[key.type]}`).sort(),
    );
    expect(environment(services['temporal-admin-tools']!)).toMatchObject({
      TEMPORAL_ADDRESS: 'temporal:7233',
      TEMPORAL_NAMESPACE: 'default',
    });
  });
});

describe('the search-attribute job, run against a real Temporal server', () => {
  let connection: Connection;
  const namespace = `compose-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    connection = await Connection.connect({ address: inject('temporalAddress') });
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
  });

  async function runJob(): Promise<{ stdout: string }> {
    const binDir = path.dirname(ensureTemporalBinary('temporal'));
    return run('/bin/sh', ['-c', adminScript(loadCompose())], {
      env: {
        ...process.env,
        ...environment(loadCompose().services['temporal-admin-tools']!),
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TEMPORAL_NAMESPACE: namespace,
        PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ''}`,
      },
      timeout: 60_000,
    });
  }

  it('creates every attribute with its type, and a second run succeeds too', async () => {
    const first = await runJob();
    expect(first.stdout).toContain(`registered in ${namespace}`);
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    for (const key of CUSTOM_SEARCH_ATTRIBUTES) {
      expect(customAttributes?.[key.name], key.name).toBe(
        proto.temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}` as 'INDEXED_VALUE_TYPE_KEYWORD'],
      );
    }
    await expect(runJob()).resolves.toBeDefined();
    await connection.close();
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const packageJson = JSON.parse(read('package.json')) as {
    dependencies: Record<string, string>;
    devDependencies?: Record<string, string>;
  };

  it('builds on node:20-slim with production dependencies only, installed before the source is copied', () => {
    expect(instructions[0]).toBe('FROM node:20-slim');
    const install = instructions.findIndex((line) => /^RUN .*npm ci --omit=dev/.test(line));
    const manifests = instructions.findIndex((line) => /^COPY package\.json package-lock\.json \.\/$/.test(line));
    const source = instructions.findIndex((line) => /^COPY \. \.$/.test(line));
    expect(manifests).toBeGreaterThan(0);
    expect(install).toBeGreaterThan(manifests);
    expect(source).toBeGreaterThan(install);
    expect(instructions).toContain('USER node');
  });

  it('runs the worker entry point through tsx, a runtime dependency', () => {
    const cmd = instructions.filter((line) => line.startsWith('CMD ')).at(-1)!;
    const argv = JSON.parse(cmd.slice(4)) as string[];
    expect(argv).toEqual(['node', '--import', 'tsx', 'workers/main.ts']);
    expect(existsSync(path.join(root, argv.at(-1)!))).toBe(true);
    expect(packageJson.dependencies.tsx).toBeDefined();
    expect(packageJson.devDependencies?.tsx).toBeUndefined();
    expect(JSON.parse(read('package.json')).scripts.start).toContain('workers/main.ts');
  });

  it('gets every module the worker loads at run time into the image, from production dependencies', () => {
    const ignored = dockerignore();
    const lock = JSON.parse(read('package-lock.json')) as {
      packages: Record<string, { dev?: boolean; devOptional?: boolean }>;
    };
    const entries = ['workers/main.ts', 'workflows/index.ts', 'lib/encrypted-failure-converter.cjs'];
    const { files, packages } = runtimeGraph(entries);
    expect(files.size).toBeGreaterThan(10);
    for (const file of files) expect(ignored(file), `${file} is excluded by .dockerignore`).toBe(false);
    for (const name of packages) {
      const entry = lock.packages[`node_modules/${name}`];
      expect(entry, `${name} is installed`).toBeDefined();
      expect(entry!.dev || entry!.devOptional, `${name} is a production dependency`).toBeFalsy();
    }
    for (const file of ['package.json', 'package-lock.json', 'db/migrations/meta/_journal.json'])
      expect(ignored(file), file).toBe(false);
    for (const file of ['node_modules/x', '.git/HEAD', '.data/pglite', '.tools/venv', '.env'])
      expect(ignored(file), file).toBe(true);
  });
});

/** A .dockerignore matcher good for the patterns used here (no `!` exceptions). */
function dockerignore(): (file: string) => boolean {
  const patterns = read('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  expect(patterns.some((pattern) => pattern.startsWith('!'))).toBe(false);
  const regexes = patterns.map((pattern) => {
    const body = pattern
      .replace(/^\/+|\/+$/g, '')
      .split('**')
      .map((part) =>
        part
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '[^/]*')
          .replace(/\?/g, '[^/]'),
      )
      .join('.*');
    return new RegExp(`^${body}(/.*)?$`);
  });
  return (file) => regexes.some((regex) => regex.test(file));
}

/** Files (relative to the root) and packages reached by runtime imports from `entries`. */
function runtimeGraph(entries: string[]): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const builtins = new Set(builtinModules);
  const pending = [...entries];
  while (pending.length) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const source = read(file)
      .split('\n')
      .filter((line) => !/^\s*(import|export)\s+type\s/.test(line))
      .join('\n');
    const specifiers = [
      ...source.matchAll(/(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm),
      ...source.matchAll(/(?:^|\s)import\s+['"]([^'"]+)['"]/gm),
      ...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
      ...source.matchAll(/\brequire\(\s*['"]([^'"]+)['"]\s*\)/g),
    ].map((match) => match[1]!);
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
        const candidates = [
          target,
          target.replace(/\.js$/, '.ts'),
          `${target}.ts`,
          path.posix.join(target, 'index.ts'),
        ];
        const found = candidates.find(
          (candidate) => existsSync(path.join(root, candidate)) && !candidate.endsWith('/'),
        );
        expect(found, `${file} imports ${specifier}`).toBeDefined();
        if (/\.(ts|js|cjs|mjs)$/.test(found!)) pending.push(found!);
        else files.add(found!);
      } else if (!specifier.startsWith('node:') && !builtins.has(specifier.split('/')[0]!)) {
        const parts = specifier.split('/');
        packages.add(specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!);
      }
    }
  }
  return { files, packages };
}
