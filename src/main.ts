import { createCircle } from './app.js';
import { ConfigError, loadConfig } from './config/load.js';
import { createLogger } from './logging/logger.js';
import { PrivacyKeys } from './privacy/privacy-keys.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`circle: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logging.level, new PrivacyKeys(config.privacy.secret).logRef);
  const circle = await createCircle(config, logger);
  const { port, adminPort } = await circle.listen();
  logger.info({ port, adminPort, workers: circle.pool.size, devTokens: config.auth.devTokens }, 'circle listening');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    circle.shutdown().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // One stray rejection must not end every group session on this node; it is logged for the on-call engineer.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error) => {
  process.stderr.write(`circle: failed to start: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
