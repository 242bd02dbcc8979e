import type { ChatMessage, MessageAudience } from '../../protocol/events.js';
import { isModerator } from '../../protocol/roles.js';
import type { CircleClient } from '../sdk.js';

/**
 * The message panel: what was written to this participant (to everyone, to the staff, or privately), a form to write
 * to everyone, to the staff or (staff only) to one person, the unread count, and for staff the switch that lets
 * clients write to everyone. Texts are set as text, never as HTML. Nothing is kept beyond this page.
 */
export function mountMessagesPanel(client: CircleClient): { render(): void } {
  const $ = <T extends HTMLElement>(selector: string) => document.querySelector(selector) as T;
  const panel = $<HTMLElement>('#messages-panel');
  const list = $<HTMLOListElement>('#message-list');
  const form = $<HTMLFormElement>('#message-form');
  const to = $<HTMLSelectElement>('#message-to');
  const text = $<HTMLTextAreaElement>('#message-text');
  const unread = $<HTMLElement>('#unread-count');
  const groupSwitch = $<HTMLInputElement>('#group-messages');
  const problem = $<HTMLElement>('#message-problem');
  let unreadCount = 0;

  const audienceLabel = (message: ChatMessage) =>
    message.to === 'everyone' ? 'to everyone' : message.to === 'staff' ? 'to the facilitators' : 'privately to you';

  function add(message: ChatMessage, mine = false): void {
    const item = document.createElement('li');
    item.dataset.messageId = message.messageId;
    item.className = message.to === 'everyone' ? 'everyone' : 'private';
    const who = document.createElement('span');
    who.className = 'who';
    who.textContent = `${mine ? 'You' : message.fromName} ${mine ? '' : audienceLabel(message)}`.trim();
    const body = document.createElement('p');
    body.textContent = message.text;
    item.append(who, body);
    if (isModerator(client.self?.role ?? 'client') && !mine) {
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'secondary';
      remove.textContent = 'Remove for everyone';
      remove.addEventListener('click', () => void client.removeMessage(message.messageId).catch((error: Error) => (problem.textContent = error.message)));
      item.append(remove);
    }
    list.append(item);
    if (!mine && !panel.contains(document.activeElement)) setUnread(unreadCount + 1);
  }

  function setUnread(count: number): void {
    unreadCount = count;
    unread.textContent = String(count);
    unread.hidden = count === 0;
  }

  /** Who this participant may write to now: the staff always; everyone unless off for clients; one person, for staff. */
  function renderAudiences(): void {
    const staff = isModerator(client.self?.role ?? 'client');
    const chosen = to.value;
    const options: [string, string, boolean][] = [
      ['staff', 'The facilitators', true],
      ['everyone', 'Everyone', staff || (client.room?.groupMessages ?? true)],
    ];
    if (staff) {
      for (const peer of client.peers.values()) options.push([`one:${peer.participantId}`, `Only ${peer.displayName}`, true]);
      for (const entry of client.lobby) options.push([`one:${entry.participantId}`, `Only ${entry.displayName} (waiting)`, true]);
    }
    if (client.self?.role === 'observer') options.splice(1, 1);
    to.replaceChildren(
      ...options.map(([value, label, enabled]) => {
        const option = new Option(enabled ? label : `${label} (turned off by the facilitator)`, value);
        option.disabled = !enabled;
        return option;
      }),
    );
    if (options.some(([value, , enabled]) => value === chosen && enabled)) to.value = chosen;
  }

  client.on('message', (message) => add(message));
  client.on('messageRemoved', ({ messageId }) => {
    const item = list.querySelector(`li[data-message-id="${CSS.escape(messageId)}"]`);
    if (item) item.replaceChildren(Object.assign(document.createElement('em'), { textContent: 'A facilitator removed this message.' }));
  });
  panel.addEventListener('focusin', () => setUnread(0));
  groupSwitch.addEventListener('change', () => {
    client.setGroupMessages(groupSwitch.checked).catch((error: Error) => (problem.textContent = error.message));
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const audience: MessageAudience = to.value.startsWith('one:') ? { participantId: to.value.slice(4) } : (to.value as 'staff' | 'everyone');
    const written = text.value;
    problem.textContent = '';
    client.sendMessage(audience, written).then(
      ({ messageId, sentAt }) => {
        text.value = '';
        const toLabel = typeof audience === 'string' ? audience : audience.participantId;
        add({ messageId, from: client.self?.participantId ?? '', fromName: 'You', to: toLabel, text: written, sentAt }, true);
      },
      (error: Error) => (problem.textContent = error.message),
    );
  });

  return {
    render() {
      panel.hidden = client.state !== 'joined';
      const staff = isModerator(client.self?.role ?? 'client');
      $<HTMLElement>('#group-messages-switch').hidden = !staff;
      groupSwitch.checked = client.room?.groupMessages ?? true;
      renderAudiences();
    },
  };
}
