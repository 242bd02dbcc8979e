import { isModerator } from '../../protocol/roles.js';
import type { CircleClient } from '../sdk.js';
import { clockText, ordinal } from './texts.js';
import { $, button, perform } from './ui.js';

/**
 * Turn-taking: who has the floor and for how long, the raised hands in order (staff reorder, grant and clear them),
 * the room's mode, and this participant's own hand button with their place in line.
 */
export function mountFloorPanel(client: CircleClient, nameOf: (participantId: string) => string) {
  const hand = $<HTMLButtonElement>('#toggle-hand');

  hand.addEventListener('click', () => perform(() => (client.handPosition ? client.lowerHand() : client.raiseHand())));
  $('#grant-next').addEventListener('click', () => perform(() => client.grantFloor(null)));
  $('#take-back').addEventListener('click', () => perform(() => client.takeBackFloor()));
  $('#toggle-mode').addEventListener('click', () => perform(() => client.setFloorMode(client.floor?.mode === 'queue' ? 'open' : 'queue')));
  $('#turn-limit').addEventListener('change', (event) => {
    const value = (event.target as HTMLSelectElement).value;
    perform(() => client.setTurnLimit(value ? Number(value) : null));
  });
  $('#extend-turn').addEventListener('click', () => perform(() => client.extendTurn(60)));
  $('#clear-queue').addEventListener('click', () => perform(() => client.clearQueue()));

  function render(): void {
    const floor = client.floor;
    const self = client.self;
    const inRoom = client.state === 'joined' && floor && self;
    $('#floor-panel').hidden = !inRoom;
    hand.hidden = !inRoom || !['client', 'cofacilitator'].includes(self.role);
    if (!inRoom) return;
    const position = client.handPosition;
    hand.textContent = position ? `Lower hand (${position} in line)` : 'Raise hand';
    hand.setAttribute('aria-pressed', String(position > 0));
    hand.title = position ? `You are ${ordinal(position)} in line` : 'Ask to speak';

    const holder = floor.holder ? `${nameOf(floor.holder)} ${floor.holder === self.participantId ? 'have' : 'has'} the floor` : 'No one has the floor';
    const left = floor.turnEndsAt ? Math.max(0, Math.round((Date.parse(floor.turnEndsAt) - Date.now()) / 1000)) : undefined;
    const timer = left === undefined ? '' : ` · ${clockText(left)} left`;
    const mode = floor.mode === 'queue' ? 'One speaker at a time' : 'Open conversation';
    const heard = client.mayBeHeard ? '' : ' · you will be heard when you have the floor';
    $('#floor-status').textContent = `${mode} · ${holder}${timer}${heard}`;

    const moderating = isModerator(self.role);
    $('#queue-list').replaceChildren(
      ...floor.queue.map((id, index) => {
        const item = document.createElement('li');
        item.textContent = nameOf(id);
        item.classList.toggle('me', id === self.participantId);
        if (moderating) {
          const name = nameOf(id);
          const controls = [
            button('Give floor', () => client.grantFloor(id)),
            button('↑', () => client.moveInQueue(id, index)),
            button('↓', () => client.moveInQueue(id, index + 2)),
            button('✕', () => client.removeFromQueue(id), 'secondary'),
          ];
          const spoken = [`Give floor to ${name}`, `Move ${name} up`, `Move ${name} down`, `Lower ${name}'s hand`];
          controls.forEach((control, at) => control.setAttribute('aria-label', spoken[at]!));
          item.append(...controls);
        }
        return item;
      }),
    );
    $('#floor-controls').hidden = !moderating;
    $('#toggle-mode').textContent = floor.mode === 'queue' ? 'Open conversation' : 'One speaker at a time';
    $<HTMLSelectElement>('#turn-limit').value = floor.turnLimitSeconds ? String(floor.turnLimitSeconds) : '';
  }

  // The turn's countdown.
  setInterval(() => client.floor?.turnEndsAt && render(), 1000);
  return { render };
}
