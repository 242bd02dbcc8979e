import type { CircleClient } from '../sdk.js';
import { $, perform } from './ui.js';

const answerOf = (value: FormDataEntryValue | null) => (value === 'yes' ? true : value === 'no' ? false : null);

/**
 * The safety check-in a client answers in the waiting room, in plain words: where they are right now, whether they
 * are somewhere private, whether they use headphones. Only the staff see the answers, and nothing is kept after the
 * session (the page says so). Once sent, "I moved" in the control bar opens it again during the session.
 */
export function mountCheckIn(client: CircleClient) {
  const form = $<HTMLFormElement>('#check-in-form');
  const update = $<HTMLButtonElement>('#update-check-in');
  let asked = false;
  let answered = false;
  let editing = false;

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const answers = { location: String(data.get('location') ?? ''), private: answerOf(data.get('private')), headphones: answerOf(data.get('headphones')) };
    perform(() =>
      client.checkIn(answers).then(() => {
        answered = true;
        editing = false;
        $('#check-in-sent').hidden = false;
        render();
      }),
    );
  });
  update.addEventListener('click', () => {
    editing = true;
    render();
    form.querySelector<HTMLInputElement>('input[name="location"]')?.focus();
  });

  function render(): void {
    const inSession = client.state === 'waiting' || client.state === 'joined';
    form.hidden = !(asked && inSession && (!answered || editing));
    update.hidden = !(asked && inSession && answered && !editing);
  }

  return {
    render,
    /** A new join: asked or not (the room's setting, a client's seat), nothing answered yet. */
    joined(askCheckIn: boolean): void {
      asked = askCheckIn;
      answered = false;
      editing = false;
      $('#check-in-sent').hidden = true;
      render();
    },
  };
}
