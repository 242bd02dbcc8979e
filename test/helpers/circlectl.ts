import { execFile } from 'node:child_process';

/** Runs the operators' CLI as an operator does in the project (`npm run -s circlectl -- …`) against `apiUrl`. */
export function circlectl(args: string[], apiUrl: string, key: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile('npm', ['run', '-s', 'circlectl', '--', ...args], { env: { ...process.env, CIRCLE_API_URL: apiUrl, CIRCLE_API_KEY: key } }, (error, stdout) =>
      resolve({ code: error ? (error.code as number) : 0, out: stdout }),
    );
  });
}
