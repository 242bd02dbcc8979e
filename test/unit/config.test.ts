import { describe, expect, it } from 'vitest';
import { ConfigError, envNameFor, loadConfig } from '../../src/config/load.js';

const dev = { NODE_ENV: 'development' };
const secrets = { CIRCLE_AUTH_TOKEN_SECRET: 's'.repeat(40), CIRCLE_ADMIN_BEARER_SECRET: 'a'.repeat(40), CIRCLE_PRIVACY_SECRET: 'p'.repeat(40) };

describe('configuration', () => {
  it('loads the embedded defaults: one worker per core, port 3000 on every interface, no demo tokens', () => {
    const config = loadConfig({ env: dev });
    expect(config.http.port).toBe(3000);
    expect(config.http.host).toBe('0.0.0.0');
    expect(config.mediasoup.numWorkers).toBe(0);
    expect(config.auth.devTokens).toBe(false);
  });

  it('binds loopback when demo tokens are on, unless the operator chose an address', () => {
    expect(loadConfig({ env: { ...dev, CIRCLE_AUTH_DEV_TOKENS: 'true' } }).http.host).toBe('127.0.0.1');
    expect(loadConfig({ env: { ...dev, CIRCLE_AUTH_DEV_TOKENS: 'true', CIRCLE_HTTP_HOST: '0.0.0.0' } }).http.host).toBe('0.0.0.0');
    expect(loadConfig({ env: dev, overrides: { auth: { devTokens: true }, http: { host: '10.0.0.5' } } }).http.host).toBe('10.0.0.5');
  });

  it('treats any NODE_ENV but development and test as production: unset, misspelt or production', () => {
    for (const NODE_ENV of [undefined, 'prod', 'Production', 'staging', 'production']) {
      expect(() => loadConfig({ env: { NODE_ENV } }), String(NODE_ENV)).toThrowError(/auth\.tokenSecret must be set/);
      expect(() => loadConfig({ env: { NODE_ENV, ...secrets, CIRCLE_AUTH_DEV_TOKENS: 'true' } }), String(NODE_ENV)).toThrowError(
        /auth\.devTokens is for local demos and is refused in production/,
      );
    }
    expect(loadConfig({ env: { NODE_ENV: 'test' } }).auth.tokenSecret).toBe(loadConfig({ env: dev }).auth.tokenSecret);
  });

  it('refuses load-test bot transports in production, and reads REDIS_URL and the quality thresholds', () => {
    expect(() => loadConfig({ env: { NODE_ENV: 'production', ...secrets, CIRCLE_LOAD_BOT_TRANSPORTS: 'true' } })).toThrowError(/load\.botTransports/);
    expect(loadConfig({ env: { ...dev, REDIS_URL: 'redis://redis:6379' } }).store.redisUrl).toBe('redis://redis:6379');
    expect(() => loadConfig({ env: { ...dev, CIRCLE_QUALITY_RECOVER_LOSS: '0.5' } })).toThrowError(/recoverLoss <= reduceLoss/);
  });

  it('derives an environment variable for every key', () => {
    expect(envNameFor('mediasoup.numWorkers')).toBe('CIRCLE_MEDIASOUP_NUM_WORKERS');
    expect(envNameFor('http.port')).toBe('CIRCLE_HTTP_PORT');
  });

  it('applies environment overrides with the type of the default', () => {
    const config = loadConfig({
      env: { ...dev, CIRCLE_MEDIASOUP_NUM_WORKERS: '3', CIRCLE_MEDIASOUP_ENABLE_TCP: 'false', PORT: '8080', LOG_LEVEL: 'debug' },
    });
    expect(config.mediasoup.numWorkers).toBe(3);
    expect(config.mediasoup.enableTcp).toBe(false);
    expect(config.http.port).toBe(8080);
    expect(config.logging.level).toBe('debug');
  });

  it('stops on a bad value with a message that names the key and the variable', () => {
    expect(() => loadConfig({ env: { ...dev, CIRCLE_HTTP_PORT: 'eighty' } })).toThrowError(
      /http\.port \(from CIRCLE_HTTP_PORT\): Expected number/,
    );
    expect(() => loadConfig({ env: { ...dev, CIRCLE_MEDIASOUP_LISTEN_IP: 'localhost' } })).toThrowError(/mediasoup\.listenIp/);
    expect(() => loadConfig({ env: dev, overrides: { rooms: { maxParticipantsPerRoom: 1 } } })).toThrowError(
      /rooms\.maxParticipantsPerRoom/,
    );
    expect(() => loadConfig({ env: dev, overrides: { rooms: { colour: 'blue' } } })).toThrowError(/rooms.*colour/);
    // Join-token keys: kid:secret, the secret long enough; several, comma-separated.
    expect(() => loadConfig({ env: { ...dev, CIRCLE_AUTH_SIGNING_KEYS: 'k1:short' } })).toThrowError(/auth\.signingKeys/);
    expect(loadConfig({ env: { ...dev, CIRCLE_AUTH_SIGNING_KEYS: `k2:${'b'.repeat(32)},k1:${'a'.repeat(32)}` } }).auth.signingKeys).toHaveLength(2);
  });

  it('refuses the development secret in production and turns demo tokens off there', () => {
    expect(() => loadConfig({ env: { NODE_ENV: 'production' } })).toThrowError(ConfigError);
    expect(() => loadConfig({ env: { NODE_ENV: 'production' } })).toThrowError(/auth\.tokenSecret/);
    expect(() => loadConfig({ env: { NODE_ENV: 'production', CIRCLE_AUTH_TOKEN_SECRET: 's'.repeat(40) } })).toThrowError(
      /admin\.bearerSecret must be set \(CIRCLE_ADMIN_BEARER_SECRET\)/,
    );
    expect(() =>
      loadConfig({ env: { NODE_ENV: 'production', CIRCLE_AUTH_TOKEN_SECRET: 's'.repeat(40), CIRCLE_ADMIN_BEARER_SECRET: 'a'.repeat(40) } }),
    ).toThrowError(/privacy\.secret must be set \(CIRCLE_PRIVACY_SECRET\)/);
    const config = loadConfig({ env: { NODE_ENV: 'production', ...secrets } });
    expect(config.auth.devTokens).toBe(false);
  });
});
