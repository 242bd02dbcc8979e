import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { validate as lintDockerfile } from 'dockerfile-utils';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { describe, expect, it } from 'vitest';
import defaults from '../../config/default.json' with { type: 'json' };
import { envNameFor } from '../../src/config/load.js';
import { Ajv } from 'ajv';
import { chartValues, renderChart, renderNotes } from '../helpers/helm.js';
import { documentedMetrics } from '../helpers/metrics-doc.js';

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  Deployment,
  Service,
  ConfigMap,
  PodDisruptionBudget,
  ServiceMonitor,
  PrometheusRule,
};

/** Every configuration variable Circle reads: the generated CIRCLE_* names and the aliases. */
function configVariables(): Set<string> {
  const paths = (object: object, prefix = ''): string[] =>
    Object.entries(object).flatMap(([key, value]) =>
      value && typeof value === 'object' && !Array.isArray(value) ? paths(value, `${prefix}${key}.`) : [`${prefix}${key}`],
    );
  return new Set([...paths(defaults).map(envNameFor), 'REDIS_URL', 'PORT', 'LOG_LEVEL', 'ANNOUNCED_IP', 'TOKEN_SECRET']);
}

/** The circle_ metric names a PromQL expression uses, without histogram suffixes. */
const metricsIn = (expr: string) => [...expr.matchAll(/circle_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, ''));

describe('the Helm chart (rendered without Helm, validated against the Kubernetes and prometheus-operator schemas)', () => {
  const variants: Record<string, Record<string, unknown>> = {
    defaults: {},
    'Redis from a Secret, a public IP, extra settings': {
      redis: { existingSecret: 'circle-redis' },
      mediasoup: { announcedIp: '203.0.113.7' },
      extraEnv: [{ name: 'CIRCLE_QUALITY_AUDIO_ONLY_LOSS', value: '0.2' }],
      nodeSelector: { 'circle.example.org/media': 'true' },
    },
    'Redis over TLS with a password and a private CA, from Secrets': {
      redis: { url: 'rediss://redis.circle.svc:6380', passwordSecret: 'circle-redis', tlsCaSecret: 'circle-redis-ca' },
    },
    'a TURN relay, its secret from the Secret': {
      turn: { host: 'turn.clinic.example.org', tlsPort: 443 },
    },
    'phone dial-in over TLS, its certificate from a Secret, beside Redis TLS': {
      phone: { enabled: true, allowedSources: ['198.51.100.0/24'], tls: { port: 5061, secret: 'circle-sip-tls' } },
      redis: { url: 'rediss://redis.circle.svc:6380', tlsCaSecret: 'circle-redis-ca' },
    },
    'production-like: three pods, each its own HTTPS address, Redis TLS, dial-in, TURN': {
      replicaCount: 3,
      cluster: { tlsSecret: 'circle-media-wildcard', allowedOrigins: 'https://node-1.media.example.org:3000,https://node-2.media.example.org:3000,https://node-3.media.example.org:3000' },
      redis: { url: 'rediss://redis.circle.svc:6380', passwordSecret: 'circle-redis', tlsCaSecret: 'circle-redis-ca' },
      phone: { enabled: true, allowedSources: ['198.51.100.0/24'], tls: { port: 5061, secret: 'circle-sip-tls' } },
      turn: { host: 'turn.clinic.example.org', tlsPort: 443 },
    },
    'monitoring off, Redis by URL': {
      redis: { url: 'redis://redis.circle.svc:6379' },
      serviceMonitor: { enabled: false },
      prometheusRule: { enabled: false },
      grafanaDashboard: { enabled: false },
    },
  };

  // Helm validates the values against values.schema.json before rendering; so do these tests, with Ajv (draft-07).
  const valuesSchema = new Ajv({ strict: true, allowUnionTypes: true }).compile(JSON.parse(readFileSync('helm/circle/values.schema.json', 'utf8')) as object);

  for (const [name, overrides] of Object.entries(variants)) {
    it(`renders valid manifests: ${name}`, () => {
      expect(valuesSchema(chartValues('helm/circle', overrides)), JSON.stringify(valuesSchema.errors)).toBe(true);
      const manifests = renderChart('helm/circle', overrides);
      expect(manifests.length).toBeGreaterThanOrEqual(3);
      for (const { file, manifest } of manifests) {
        const Model = MODELS[manifest.kind as string];
        expect(Model, `${file}: ${String(manifest.kind)}`).toBeDefined();
        expect(() => new Model!(manifest as never).validate(), file).not.toThrow();
      }
      const deployment = manifests.find((m) => m.manifest.kind === 'Deployment')!.manifest as unknown as Deployment;
      const container = deployment.spec!.template.spec!.containers[0]!;
      // Every variable the chart sets is one Circle reads (besides the downward-API ones it expands from).
      const known = configVariables();
      for (const { name: variable } of container.env ?? []) {
        if (!['NODE_NAME', 'HOST_IP', 'POD_NAME'].includes(variable)) expect(known.has(variable), variable).toBe(true);
      }
      expect(deployment.spec!.template.spec!.terminationGracePeriodSeconds).toBe(330);
      expect(deployment.spec!.template.spec!.securityContext?.seccompProfile).toEqual({ type: 'RuntimeDefault' });
      // Workers follow the pod's CPU request (the downward API), not the cores of whatever node it lands on.
      expect(container.env?.find((e) => e.name === 'CIRCLE_MEDIASOUP_NUM_WORKERS')?.valueFrom?.resourceFieldRef).toEqual({ containerName: 'circle', resource: 'requests.cpu', divisor: '1' });
      // Each worker's media port declared, UDP and TCP (one worker per CPU requested unless a count is set).
      const workers = (overrides as { mediasoup?: { numWorkers?: number } }).mediasoup?.numWorkers || 2;
      const media = container.ports?.filter((p) => p.name?.startsWith('media-')).map((p) => `${p.protocol} ${p.containerPort}`);
      expect(media).toEqual(Array.from({ length: workers }, (_, i) => [`UDP ${44444 + i}`, `TCP ${44444 + i}`]).flat());
      // Capacity from the measured figures: 10 rooms per CPU requested (2), 100 calls.
      expect(container.env?.find((e) => e.name === 'CIRCLE_ROOMS_MAX_ROOMS_PER_NODE')?.value).toBe('20');
      expect(container.env?.find((e) => e.name === 'CIRCLE_PHONE_MAX_CALLS')?.value).toBe('100');
      expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
      expect(container.readinessProbe?.httpGet?.path).toBe('/readyz');
      // Probes and metrics reach the internal port only; the public port serves signaling and the web app.
      for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) expect(probe?.httpGet?.port).toBe('admin');
      const monitor = manifests.find((m) => m.manifest.kind === 'ServiceMonitor')?.manifest as { spec: { endpoints: { port: string }[] } } | undefined;
      if (monitor) expect(monitor.spec.endpoints.map((e) => e.port)).toEqual(['admin']);
      expect(container.lifecycle?.preStop).toBeDefined();
      // The secrets come from Secrets, never from values in the chart.
      const fromSecret = (variable: string) => container.env?.find((e) => e.name === variable)?.valueFrom?.secretKeyRef;
      for (const variable of ['CIRCLE_AUTH_TOKEN_SECRET', 'CIRCLE_ADMIN_BEARER_SECRET', 'CIRCLE_PRIVACY_SECRET', 'CIRCLE_API_KEYS']) expect(fromSecret(variable), variable).toBeDefined();
      if ((overrides as { turn?: unknown }).turn) expect(fromSecret('CIRCLE_TURN_SECRET')).toMatchObject({ name: 'circle-secrets', key: 'turn-secret' });
      else expect(container.env?.some((e) => e.name.startsWith('CIRCLE_TURN_'))).toBe(false);
      const sipTls = (overrides as { phone?: { tls?: { port: number; secret: string } } }).phone?.tls;
      if (sipTls) {
        expect(container.ports?.find((p) => p.name === 'sip-tls')).toMatchObject({ containerPort: sipTls.port, protocol: 'TCP' });
        const certFile = container.env?.find((e) => e.name === 'CIRCLE_PHONE_TLS_CERT_FILE')?.value;
        const mount = container.volumeMounts?.find((m) => certFile?.startsWith(`${m.mountPath}/`));
        expect(deployment.spec!.template.spec!.volumes?.find((v) => v.name === mount?.name)?.secret?.secretName).toBe(sipTls.secret);
      } else expect(container.env?.some((e) => e.name.startsWith('CIRCLE_PHONE_TLS_'))).toBe(false);
      // A pod's own HTTPS address for MOVED: its signaling port serves the mounted certificate.
      const httpTls = (overrides as { cluster?: { tlsSecret?: string } }).cluster?.tlsSecret;
      if (httpTls) {
        const certFile = container.env?.find((e) => e.name === 'CIRCLE_HTTP_TLS_CERT_FILE')?.value;
        const mount = container.volumeMounts?.find((m) => certFile?.startsWith(`${m.mountPath}/`));
        expect(deployment.spec!.template.spec!.volumes?.find((v) => v.name === mount?.name)?.secret?.secretName).toBe(httpTls);
        expect(container.env?.find((e) => e.name === 'CIRCLE_HTTP_TLS_KEY_FILE')?.value).toBe(`${mount!.mountPath}/tls.key`);
      } else expect(container.env?.some((e) => e.name.startsWith('CIRCLE_HTTP_TLS_'))).toBe(false);
      const redis = (overrides as { redis?: { passwordSecret?: string; tlsCaSecret?: string } }).redis;
      if (redis?.passwordSecret) expect(fromSecret('CIRCLE_STORE_REDIS_PASSWORD')).toMatchObject({ name: redis.passwordSecret, key: 'redis-password' });
      if (redis?.tlsCaSecret) {
        const caFile = container.env?.find((e) => e.name === 'CIRCLE_STORE_REDIS_TLS_CA_FILE')?.value;
        const mount = container.volumeMounts?.find((m) => caFile?.startsWith(`${m.mountPath}/`));
        expect(mount).toBeDefined();
        expect(deployment.spec!.template.spec!.volumes?.find((v) => v.name === mount!.name)?.secret?.secretName).toBe(redis.tlsCaSecret);
      }
    });
  }

  it('values.schema.json refuses what would render a broken manifest: extraEnv as a map, a mistyped key, a port out of range', () => {
    for (const bad of [
      { extraEnv: { CIRCLE_LOGGING_LEVEL: 'debug' } },
      { replicaCont: 3 },
      { httpPort: 70000 },
      { mediasoup: { numWorkers: 'two' } },
      { redis: { url: 'http://redis:6379' } },
      { resources: { requests: { cpu: '500m' } } },
    ]) expect(valuesSchema(chartValues('helm/circle', bad)), JSON.stringify(bad)).toBe(false);
  });

  it('name overrides name every resource; a set worker count is kept; the notes say what is missing', () => {
    const named = renderChart('helm/circle', { fullnameOverride: 'circle-media', mediasoup: { numWorkers: 3 } });
    const namedPorts = (named.find((m) => m.manifest.kind === 'Deployment')!.manifest as unknown as Deployment).spec!.template.spec!.containers[0]!.ports!;
    expect(namedPorts.filter((p) => p.name?.startsWith('media-')).map((p) => p.containerPort)).toEqual([44444, 44444, 44445, 44445, 44446, 44446]);
    for (const { manifest } of named) expect((manifest.metadata as { name: string }).name).toMatch(/^circle-media/);
    const deployment = named.find((m) => m.manifest.kind === 'Deployment')!.manifest as unknown as Deployment;
    expect(deployment.spec!.template.spec!.containers[0]!.env?.find((e) => e.name === 'CIRCLE_MEDIASOUP_NUM_WORKERS')).toEqual({ name: 'CIRCLE_MEDIASOUP_NUM_WORKERS', value: '3' });
    const relabelled = renderChart('helm/circle', { nameOverride: 'media' }).find((m) => m.manifest.kind === 'Deployment')!.manifest as unknown as Deployment;
    expect(relabelled.metadata!.name).toBe('clinic-media');
    expect(relabelled.spec!.selector.matchLabels).toMatchObject({ 'app.kubernetes.io/name': 'media' });

    const notes = renderNotes('helm/circle');
    expect(notes).toContain('Circle is installed as clinic-circle in namespace circle');
    expect(notes).toContain('No Redis is configured');
    expect(notes).toContain('cluster.allowedOrigins is empty');
    expect(notes).toContain('cluster.tlsSecret is empty');
    const complete = renderNotes('helm/circle', { redis: { existingSecret: 'r' }, cluster: { allowedOrigins: 'https://a.example.org', tlsSecret: 'wildcard' }, turn: { host: 'turn.example.org' } });
    expect(complete).not.toMatch(/No Redis|allowedOrigins is empty|tlsSecret is empty|No TURN/);
  });

  it('alerts and dashboard use only metrics Circle exports (docs/metrics.md), and the core alerts exist', () => {
    const documented = new Set(documentedMetrics());
    const manifests = renderChart('helm/circle').map((m) => m.manifest);
    const rule = manifests.find((m) => m.kind === 'PrometheusRule') as unknown as PrometheusRule;
    const alerts = rule.spec!.groups![0]!.rules!;
    expect(alerts.map((a) => a.alert)).toEqual(
      expect.arrayContaining(['CircleWorkerDied', 'CircleSignalingErrors', 'CircleManyAudioOnly', 'CircleReconnectFailures', 'CircleNodeNearCapacity']),
    );
    for (const alert of alerts) for (const metric of metricsIn(String(alert.expr))) expect(documented.has(metric), `${alert.alert}: ${metric}`).toBe(true);
    const dashboard = JSON.parse(readFileSync('helm/circle/files/circle-dashboard.json', 'utf8')) as { panels: { targets: { expr: string }[] }[] };
    const used = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => metricsIn(t.expr)));
    for (const metric of used) expect(documented.has(metric), metric).toBe(true);
    const configMap = manifests.find((m) => m.kind === 'ConfigMap') as { data: Record<string, string> };
    expect(JSON.parse(configMap.data['circle.json']!)).toEqual(dashboard);
  });
});

describe('the Dockerfile', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');

  it('passes dockerfile-utils lint with no problems', () => {
    expect(lintDockerfile(dockerfile)).toEqual([]);
  });

  it('is multi-stage, builds the worker with the README recipe, runs as non-root with a health check', () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^RUN .*bash scripts\/build-worker\.sh/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/healthz/m);
  });

  it("installs in the final stage a package for every shared library the built worker needs", () => {
    const worker = 'node_modules/mediasoup/worker/out/Release/mediasoup-worker';
    expect(existsSync(worker)).toBe(true);
    const needed = [...execFileSync('readelf', ['-d', worker], { encoding: 'utf8' }).matchAll(/\(NEEDED\).*\[(.+)\]/g)].map((m) => m[1]!);
    const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const installed = new Set(/apt-get install[^\n]*\n?[^\n]*/.exec(finalStage)![0].split(/\s+/));
    const inBaseImage = new Set(['libc6', 'libstdc++6', 'libgcc-s1']);
    const ldd = execFileSync('ldd', [worker], { encoding: 'utf8' }).split('\n');
    for (const library of needed) {
      const resolved = /=> (\S+)/.exec(ldd.find((line) => line.includes(library)) ?? '')?.[1];
      // Debian 12 merged /lib into /usr/lib; dpkg knows each file by the path its package ships, either one.
      const candidates = resolved ? [resolved, realpathSync(resolved)] : [library];
      const owner = candidates
        .map((file) => spawnSync('dpkg', ['-S', file], { encoding: 'utf8' }))
        .find((result) => result.status === 0)
        ?.stdout.split(':')[0];
      expect(owner, library).toBeDefined();
      expect(installed.has(owner!) || inBaseImage.has(owner!), `${library} (${owner})`).toBe(true);
    }
  });
});

describe('the Node runtime', () => {
  const pinned = readFileSync('.node-version', 'utf8').trim();
  const major = (version: string) => Number(version.replace(/^v/, '').split('.')[0]);

  it('is one LTS line everywhere: .node-version, engines, @types/node and both Docker stages', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
    expect(major(pinned) % 2, 'an even (LTS) line').toBe(0);
    expect(pkg.engines.node).toBe(`>=${major(pinned)}`);
    expect(major(pkg.devDependencies['@types/node'].replace(/^\^/, ''))).toBe(major(pinned));
    const stages = [...readFileSync('Dockerfile', 'utf8').matchAll(/^FROM node:(\d+)-/gm)].map((m) => Number(m[1]));
    expect(stages).toEqual([major(pinned), major(pinned)]);
  });

  it('runs the tests on that line or newer', () => {
    expect(major(process.versions.node)).toBeGreaterThanOrEqual(major(pinned));
  });

  it("node-env.sh puts that Node first on PATH when the machine's is older, from the npm registry", () => {
    // /usr/bin/node is the machine's own (Debian or NodeSource), older on our machines; node-env.sh must not keep it.
    const run = spawnSync('bash', ['-c', 'export PATH=/usr/bin:/bin; source scripts/node-env.sh; command -v node; node -p process.versions.node'], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const [path, version] = run.stdout.trim().split('\n');
    expect(major(version!)).toBeGreaterThanOrEqual(major(pinned));
    const machineNode = spawnSync('/usr/bin/node', ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
    if (machineNode && major(machineNode) < major(pinned)) {
      expect(version).toBe(pinned);
      expect(path).toMatch(new RegExp(`/node-v${pinned.replace(/\./g, '\\.')}-linux-[a-z0-9]+/bin/node$`));
    }
  });
});
