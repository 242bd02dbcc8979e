import type { CircleClient } from '../sdk.js';
import type { EncryptionState } from '../encryption.js';
import { GROUP_CIRCLE } from '../../protocol/e2ee.js';
import { $ } from './ui.js';

/**
 * Every page says whether the session is end-to-end encrypted and who holds its keys: the list is the group's own
 * membership (read from MLS's tree, not the server's roster), so anyone the server slipped in would be listed, and
 * the verification code is the same on every page only if everyone is in one group. Staff read it aloud; clients
 * compare; in a side room, the list and code are the side room's circle's. Observers (supervisors) hold the keys too:
 * staff see them by name, clients as a count. A caller's phone is listed as such: its audio passes through the
 * server (the session allows calls). A `preferred` session with someone in whose browser cannot encrypt goes in clear
 * for everyone, and every page says so and why.
 */
export function mountEncryption(client: CircleClient) {
  const section = $<HTMLDetailsElement>('#encryption');
  const render = (state: EncryptionState | null) => {
    section.hidden = client.encryption.mode === 'off';
    section.replaceChildren();
    if (section.hidden) return;
    const summary = document.createElement('summary');
    section.append(summary);
    if (client.encryption.inClear && client.encryption.active) {
      const browsers = client.encryption.unencrypted.map((id) => `${client.peers.get(id)?.displayName ?? 'a supervisor'}’s`);
      summary.textContent = `Not end-to-end encrypted: ${browsers.join(' and ')} browser${browsers.length === 1 ? '' : 's'} cannot encrypt`;
      return;
    }
    if (!state) {
      summary.textContent = client.encryption.active ? 'Agreeing keys…' : 'This browser cannot encrypt: the session is not end-to-end encrypted';
      return;
    }
    // In a side room the page shows that room's own circle: the group outside holds none of its keys.
    summary.textContent = `End-to-end encrypted${state.circle === GROUP_CIRCLE ? '' : ' · side room'} · code ${state.verificationCode}`;
    // A client whose room hides observers is told how many supervisors hear, not who: no one hears in secret.
    const counted = client.self?.role === 'client' ? state.members.filter((m) => m.role === 'observer') : [];
    // A caller's phone is a member the bridge holds on the server: what they say and hear is in clear there.
    const lines = state.members
      .filter((m) => !counted.includes(m))
      .map((m) => (m.phone ? `${m.displayName}’s phone: their audio passes through the server` : `${m.displayName} (${m.role})`));
    if (counted.length) lines.push(`${counted.length} supervisor${counted.length === 1 ? '' : 's'} can hear`);
    const list = document.createElement('ul');
    list.setAttribute('aria-label', 'Who holds the keys');
    for (const line of lines) list.append(Object.assign(document.createElement('li'), { textContent: line }));
    section.append(list);
  };
  client.encryption.on('changed', render);
  client.on('state', () => render(client.encryption.state));
}
