import { isModerator } from '../../protocol/roles.js';
import type { CircleClient } from '../sdk.js';
import { clockText } from './texts.js';
import { $, chime, perform } from './ui.js';

const LENGTHS = [5, 10, 15] as const;

/**
 * The group's break on every page: a countdown and a suggestion to step away from the screen, and a chime when it
 * ends. Staff start one of 5, 10 or 15 minutes, or end it early; clients' microphones and cameras are paused at the
 * SFU meanwhile and come back as they were.
 */
export function mountBreak(client: CircleClient) {
  const banner = $<HTMLElement>('#break-banner');
  let wasOnBreak = false;
  for (const minutes of LENGTHS) $(`#break-${minutes}`).addEventListener('click', () => perform(() => client.startBreak(minutes)));
  $('#end-break').addEventListener('click', () => perform(() => client.endBreak()));

  function render(): void {
    const endsAt = client.state === 'joined' ? (client.room?.breakEndsAt ?? null) : null;
    const onBreak = endsAt !== null;
    if (wasOnBreak && !onBreak && client.state === 'joined') chime();
    wasOnBreak = onBreak;
    for (const minutes of LENGTHS) $(`#break-${minutes}`).hidden = onBreak;
    $('#end-break').hidden = !onBreak;
    banner.hidden = !onBreak;
    if (!onBreak) return;
    const left = Math.max(0, Math.ceil((Date.parse(endsAt) - Date.now()) / 1000));
    const staff = client.self && isModerator(client.self.role);
    banner.textContent = `Break: ${clockText(left)} left. ${
      staff
        ? "Clients' microphones and cameras are paused until it ends; yours are as you left them."
        : 'A good moment to step away from the screen: stand up, stretch, have some water. Your microphone and camera come back as they were.'
    }`;
  }
  setInterval(render, 1000);
  return { render };
}
