import { readFileSync } from 'node:fs';
import path from 'node:path';
import texts from './prompt-texts.json' with { type: 'json' };
import { decodeG711 } from './phone-audio.js';

export type PromptName = keyof typeof texts;

/** The spoken prompts, decoded once at start; a missing file is a configuration error found then, not mid-call. */
export class Prompts {
  private readonly audio = new Map<PromptName, Int16Array>();

  constructor(directory: string) {
    for (const name of Object.keys(texts) as PromptName[]) {
      const file = path.resolve(directory, `${name}.ulaw`);
      this.audio.set(name, decodeG711('PCMU', readFileSync(file)));
    }
  }

  get(name: PromptName): Int16Array {
    return this.audio.get(name)!;
  }
}
