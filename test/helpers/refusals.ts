import { CircleError } from '../../src/protocol/errors.js';

/** A rule's refusal is a CircleError with a code; anything else is a bug and fails the test. */
function codeOf(error: unknown): string {
  if (error instanceof CircleError) return error.code;
  throw error;
}

/** The code a rule refuses `act` with, or undefined when it is allowed. */
export function refusalCode(act: () => unknown): string | undefined {
  try {
    act();
    return undefined;
  } catch (error) {
    return codeOf(error);
  }
}

/** `refusalCode` for a rule that answers with a promise. */
export async function refusalCodeOf(act: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await act();
    return undefined;
  } catch (error) {
    return codeOf(error);
  }
}
