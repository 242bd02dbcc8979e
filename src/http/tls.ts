import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Logger } from '../logging/logger.js';

export interface TlsFiles {
  tlsCertFile: string;
  tlsKeyFile: string;
}

/** How often the certificate's file is checked for a renewal (stat polling also sees a Secret volume's symlink swap). */
const RELOAD_CHECK_MS = 10_000;

/**
 * The public listener: HTTPS when a certificate is configured, else plain HTTP (behind a proxy that terminates TLS).
 * A renewed certificate (cert-manager rewriting the Secret) is served to new connections without a restart; a
 * renewal that cannot be read leaves the old one in place and says so. `stop` ends the watching.
 */
export function publicServer(files: TlsFiles, app: RequestListener, logger: Logger): { server: Server; secure: boolean; stop: () => void } {
  if (!files.tlsCertFile) return { server: createHttpServer(app), secure: false, stop: () => undefined };
  const read = () => ({ cert: readFileSync(files.tlsCertFile), key: readFileSync(files.tlsKeyFile) });
  const server = createHttpsServer(read(), app);
  const reload = () => {
    try {
      server.setSecureContext(read());
      logger.info('signaling certificate reloaded');
    } catch (error) {
      logger.error({ err: (error as Error).message }, 'signaling certificate not reloaded; the previous one is still served');
    }
  };
  watchFile(files.tlsCertFile, { interval: RELOAD_CHECK_MS, persistent: false }, reload);
  return { server, secure: true, stop: () => unwatchFile(files.tlsCertFile, reload) };
}
