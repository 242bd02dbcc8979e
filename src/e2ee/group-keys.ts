import {
  createCommit,
  createGroup,
  decodeMlsMessage,
  defaultCapabilities,
  defaultLifetime,
  emptyPskIndex,
  encodeMlsMessage,
  generateKeyPackage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  joinGroup,
  mlsExporter,
  processPrivateMessage,
  type CiphersuiteImpl,
  type ClientState,
  type KeyPackage,
  type MLSMessage,
  type PrivateKeyPackage,
  type Proposal,
} from 'ts-mls';
import type { Bytes } from './sframe.js';

/**
 * One member's side of a circle's key agreement: MLS (RFC 9420) with ts-mls. The member's key package is offered to
 * the server, which hands it to whoever adds them; commits and welcomes pass through the server, which can read
 * neither. From each epoch the member exports SFrame's base key (RFC 9605 §5.2) and reads who holds it from the
 * group's own tree: the server cannot add anyone without every page seeing them in `members()`.
 */
export const MLS_SUITE = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519';
const SFRAME_BASE_KEY_LABEL = 'SFrame 1.0 Base Key';

/** Who a member is, as their credential says: checked by the server against their seat before anyone sees it. */
export interface MemberIdentity {
  participantId: string;
  role: string;
  displayName: string;
  /**
   * The member is the phone bridge for this person's call (its id the seat's phone member id): it decrypts and seals
   * their call's audio on the server, and every page says so.
   */
  phone?: true;
}

export interface GroupMember extends MemberIdentity {
  /** The member's index in the group: SFrame key ids carry it, so each sender has keys of its own. */
  leaf: number;
}

/** What a change to the group (admissions, departures) gives the server to relay. */
export interface CommitOut {
  commit: Bytes;
  /** For those added; it carries the group's tree, so they need nothing else. */
  welcome?: Bytes;
}

export class KeyAgreementError extends Error {
  constructor(
    readonly reason: 'malformed' | 'not-a-member' | 'wrong-epoch' | 'foreign-credential',
    message: string,
  ) {
    super(message);
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
let suite: Promise<CiphersuiteImpl> | undefined;
const cipherSuite = () => (suite ??= getCiphersuiteImpl(getCiphersuiteFromName(MLS_SUITE)));

function decode(bytes: Uint8Array): MLSMessage {
  const decoded = decodeMlsMessage(bytes, 0);
  if (!decoded || decoded[1] !== bytes.length) throw new KeyAgreementError('malformed', 'not one MLS message');
  return decoded[0];
}

/** The identity a key package claims, or a `malformed` error; the server checks it against the seat offering it. */
export function identityOfKeyPackage(bytes: Uint8Array): MemberIdentity {
  const message = decode(bytes);
  if (message.wireformat !== 'mls_key_package') throw new KeyAgreementError('malformed', 'not a key package');
  return identityOf(message.keyPackage.leafNode.credential);
}

function identityOf(credential: KeyPackage['leafNode']['credential']): MemberIdentity {
  if (credential.credentialType !== 'basic') throw new KeyAgreementError('foreign-credential', 'not a basic credential');
  try {
    const { participantId, role, displayName, phone } = JSON.parse(decoder.decode(credential.identity)) as MemberIdentity;
    if ([participantId, role, displayName].every((field) => typeof field === 'string')) {
      return phone === true ? { participantId, role, displayName, phone } : { participantId, role, displayName };
    }
  } catch {
    // Falls through to the refusal below.
  }
  throw new KeyAgreementError('foreign-credential', 'a credential that names no member');
}

export class GroupKeys {
  private state: ClientState | undefined;
  /** The state a commit of ours leads to, until the server says it was the next one. */
  private pending: ClientState | undefined;

  private constructor(
    private readonly impl: CiphersuiteImpl,
    readonly identity: MemberIdentity,
    private readonly keyPackage: { publicPackage: KeyPackage; privatePackage: PrivateKeyPackage },
  ) {}

  /** A member-to-be, with a fresh signature key and key package (single-use: one per group it may join). */
  static async create(identity: MemberIdentity): Promise<GroupKeys> {
    const impl = await cipherSuite();
    const credential = { credentialType: 'basic' as const, identity: encoder.encode(JSON.stringify(identity)) };
    const keyPackage = await generateKeyPackage(credential, defaultCapabilities(), defaultLifetime, [], impl);
    return new GroupKeys(impl, identity, keyPackage);
  }

  /** The key package, encoded, for the server to hand to whoever adds this member. */
  offer(): Bytes {
    return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: this.keyPackage.publicPackage }) as Bytes;
  }

  get joined(): boolean {
    return this.state !== undefined;
  }

  get epoch(): bigint {
    return this.active().groupContext.epoch;
  }

  /** This member, first in the circle: a group of one at epoch 0. */
  async start(groupId: string): Promise<void> {
    this.state = await createGroup(encoder.encode(groupId), this.keyPackage.publicPackage, this.keyPackage.privatePackage, [], this.impl);
  }

  /**
   * A commit that adds the members whose key packages are given and removes those named, to send to the server; it
   * takes effect when `confirm` is called (the server ordered it next), or is dropped by `discard` (another came first).
   */
  async commitChanges(add: { participantId: string; keyPackage: Uint8Array }[], remove: string[]): Promise<CommitOut> {
    const state = this.active();
    const leaves = new Map(this.members().map((member) => [member.participantId, member.leaf]));
    const proposals: Proposal[] = [];
    for (const participantId of remove) {
      const leaf = leaves.get(participantId);
      if (leaf !== undefined) proposals.push({ proposalType: 'remove', remove: { removed: leaf } });
    }
    for (const { participantId, keyPackage } of add) {
      const message = decode(keyPackage);
      if (message.wireformat !== 'mls_key_package') throw new KeyAgreementError('malformed', 'not a key package');
      // The server said whose package this is; the credential inside must say the same.
      if (identityOf(message.keyPackage.leafNode.credential).participantId !== participantId) {
        throw new KeyAgreementError('foreign-credential', 'a key package for someone else');
      }
      proposals.push({ proposalType: 'add', add: { keyPackage: message.keyPackage } });
    }
    const result = await createCommit({ state, cipherSuite: this.impl }, { extraProposals: proposals, ratchetTreeExtension: true });
    this.pending = result.newState;
    return {
      commit: encodeMlsMessage(result.commit) as Bytes,
      ...(result.welcome ? { welcome: encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome: result.welcome }) as Bytes } : {}),
    };
  }

  /** The server ordered our commit next: the group is in its new epoch. */
  confirm(): void {
    if (!this.pending) throw new KeyAgreementError('wrong-epoch', 'no commit of ours is waiting');
    this.state = this.pending;
    this.pending = undefined;
  }

  discard(): void {
    this.pending = undefined;
  }

  /** Someone else's commit, as the server ordered it. */
  async apply(commit: Uint8Array): Promise<void> {
    const message = decode(commit);
    if (message.wireformat !== 'mls_private_message') throw new KeyAgreementError('malformed', 'not a commit');
    const processed = await processPrivateMessage(this.active(), message.privateMessage, emptyPskIndex, this.impl);
    if (processed.kind !== 'newState') throw new KeyAgreementError('malformed', 'not a commit');
    this.state = processed.newState;
    this.pending = undefined;
  }

  /** Added by someone: the welcome carries the group's secrets for us and its tree. */
  async join(welcome: Uint8Array): Promise<void> {
    const message = decode(welcome);
    if (message.wireformat !== 'mls_welcome') throw new KeyAgreementError('malformed', 'not a welcome');
    this.state = await joinGroup(message.welcome, this.keyPackage.publicPackage, this.keyPackage.privatePackage, emptyPskIndex, this.impl);
  }

  /** Who holds this epoch's keys, as the group's own tree says. */
  members(): GroupMember[] {
    return this.active().ratchetTree.flatMap((node, index) =>
      node?.nodeType === 'leaf' ? [{ ...identityOf(node.leaf.credential), leaf: index / 2 }] : [],
    );
  }

  /** This member's index in the group. */
  get leaf(): number {
    return Number(this.active().privatePath.leafIndex);
  }

  /** SFrame's base key for this epoch (RFC 9605 §5.2): every member derives the same, the server none. */
  async frameBaseKey(): Promise<Bytes> {
    const state = this.active();
    return (await mlsExporter(state.keySchedule.exporterSecret, SFRAME_BASE_KEY_LABEL, new Uint8Array(0), 16, this.impl)) as Bytes;
  }

  /**
   * A code every member computes alike from the epoch's authenticator (RFC 9420 §8.7): read aloud by staff and
   * compared by clients, it shows they are all in one group with one membership, not each in a copy the server made.
   */
  async verificationCode(): Promise<string> {
    const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', this.active().keySchedule.epochAuthenticator as Bytes));
    const number = ((digest[0]! << 24) | (digest[1]! << 16) | (digest[2]! << 8) | digest[3]!) >>> 0;
    return String(number % 1_000_000_000).padStart(9, '0').replace(/(\d{3})(?=\d)/g, '$1 ');
  }

  private active(): ClientState {
    if (!this.state) throw new KeyAgreementError('not-a-member', 'not in the group yet');
    return this.state;
  }
}
