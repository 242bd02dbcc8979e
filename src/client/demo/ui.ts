// The web app's small building blocks: buttons that report their failures, and the notice line that shows them.

export const $ = <T extends HTMLElement>(selector: string) => document.querySelector(selector) as T;

/** Something a person can do from a button or a menu. */
export interface Action {
  label: string;
  run: () => unknown;
  /** `danger` for what cannot be undone (remove, end); `secondary` for the quieter choice. */
  tone?: 'secondary' | 'danger';
}

/** Shows a line the person should read now (an invitation, a question, a refusal), with what they can do about it. */
export function showNotice(text: string | undefined, ...actions: Action[]): void {
  const notice = $<HTMLElement>('#notice');
  notice.hidden = !text;
  notice.replaceChildren(text ?? '');
  for (const action of actions) notice.append(button(action.label, action.run, action.tone));
}

/** Runs an action; a refusal from the server (or anything else that fails) is shown, never swallowed. */
export function perform(run: () => unknown): void {
  try {
    void Promise.resolve(run()).catch((error: Error) => showNotice(error.message));
  } catch (error) {
    showNotice((error as Error).message);
  }
}

export function button(label: string, run: () => unknown, tone?: Action['tone']): HTMLButtonElement {
  const element = document.createElement('button');
  element.type = 'button';
  element.textContent = label;
  if (tone) element.className = tone;
  element.addEventListener('click', () => perform(run));
  return element;
}

let chimeContext: AudioContext | undefined;
/**
 * Two soft notes, as a door chime: someone is waiting to be let in, or a break is over. WebAudio, so there is no
 * sound file to serve.
 */
export function chime(): void {
  chimeContext ??= new AudioContext();
  const context = chimeContext;
  void context.resume();
  [660, 880].forEach((hz, index) => {
    const start = context.currentTime + index * 0.18;
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.frequency.value = hz;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.15, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.35);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(start);
    oscillator.stop(start + 0.4);
  });
}
