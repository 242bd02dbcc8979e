import { CircleError } from '../../src/protocol/errors.js';

/** The code a rule refuses `act` with, or undefined when it is allowed; anything but a CircleError is a bug. */
export function refusalCode(act: () => unknown): string | undefined {
  try {
    act();
    return undefined;
  } catch (error) {
    if (error instanceof CircleError) return error.code;
    throw error;
  }
}
