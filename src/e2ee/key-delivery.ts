import { CircleError } from '../protocol/errors.js';
import type { KeyDeliveryMessage } from '../protocol/e2ee.js';
import { identityOfKeyPackage, KeyAgreementError, type MemberIdentity } from './group-keys.js';

/** How the delivery service reaches a member: their connection, whatever it is. */
export interface KeyDeliveryPort {
  tell(participantId: string, message: KeyDeliveryMessage): void;
}

/**
 * How long a committer has to answer a change before the next member is asked instead. A page commits in tens of
 * milliseconds (a group of 15: 50–170 ms); a member that does not answer (gone quiet, or stalling the circle on
 * purpose) would otherwise hold every admission and removal until it leaves.
 */
export const COMMITTER_ANSWERS_WITHIN_MS = 5000;

/** A change the circle's committer was asked for, outstanding until its commit arrives. */
interface Change {
  committer: string;
  epoch: number;
  add: string[];
  remove: string[];
}

/**
 * One circle's delivery service (MLS's "DS", RFC 9420 §16.5 and RFC 9750): the server's whole part in the circle's
 * keys, and it holds none. It knows who should be in (admitted and not gone), who is in by the commits it has
 * ordered, and the key packages offered for the circle. One member at a time, the committer, is asked to commit
 * what differs; its commit is the next epoch's only when it answers the change it was asked for at the epoch the
 * circle is at, so two commits can never both be taken. The committer is the earliest of the staff still wanted, else
 * the earliest member: a departing committer hands the task on, and one that does not answer in time is passed over
 * for that epoch, so no member can stall the circle's keys.
 */
export class CircleDelivery {
  private epoch: number | null = null;
  /** Members by the commits ordered, in the order they came in. */
  private members: string[] = [];
  /** Who should be in, in the order they were wanted. */
  private readonly wanted = new Set<string>();
  /** Key packages offered and not yet used (single-use), by participant. */
  private readonly offers = new Map<string, string>();
  /** Asked for a key package that has not come yet: not asked again (a second package would orphan the first). */
  private readonly asked = new Set<string>();
  /** Members who lost their state (a reloaded page): their old leaf goes and their new package comes in. */
  private readonly rejoining = new Set<string>();
  /** Members the staff: asked to commit before anyone else. */
  private readonly staff = new Set<string>();
  /** Committers that let a change at this epoch go unanswered: the next change goes to someone else. */
  private readonly passedOver = new Set<string>();
  private change: Change | null = null;
  private answerTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly circle: string,
    private readonly port: KeyDeliveryPort,
    private readonly answerWithinMs = COMMITTER_ANSWERS_WITHIN_MS,
  ) {}

  /** `participantId` is to be in the circle: asked for a key package. `staff`: asked to commit before the others. */
  want(participantId: string, { staff = false } = {}): void {
    if (this.wanted.has(participantId)) return;
    this.wanted.add(participantId);
    if (staff) this.staff.add(participantId);
    this.askForOffer(participantId);
  }

  /** The room closed: nothing more is asked. */
  close(): void {
    clearTimeout(this.answerTimer);
  }

  /** `participantId` is no longer to be in the circle: removed at the next commit, told to forget its keys. */
  unwant(participantId: string): void {
    if (!this.wanted.delete(participantId)) return;
    this.staff.delete(participantId);
    this.passedOver.delete(participantId);
    this.offers.delete(participantId);
    this.asked.delete(participantId);
    this.rejoining.delete(participantId);
    this.port.tell(participantId, { kind: 'out', circle: this.circle });
    this.advance();
  }

  /** A key package from someone wanted in the circle, checked to be theirs: used for their next addition. */
  offer(identity: MemberIdentity, keyPackage: string): void {
    if (!this.wanted.has(identity.participantId)) throw new CircleError('NOT_ADMITTED', 'not in this circle');
    let claimed: MemberIdentity;
    try {
      claimed = identityOfKeyPackage(Buffer.from(keyPackage, 'base64'));
    } catch (error) {
      if (error instanceof KeyAgreementError) throw new CircleError('BAD_REQUEST', `key package refused: ${error.message}`);
      throw error;
    }
    // Everyone will read this credential as who holds the keys: it must say what the server knows of the seat.
    const same = claimed.participantId === identity.participantId && claimed.role === identity.role && claimed.displayName === identity.displayName;
    if (!same || claimed.phone !== identity.phone) {
      throw new CircleError('BAD_REQUEST', 'key package refused: its credential is not this seat');
    }
    this.offers.set(identity.participantId, keyPackage);
    this.asked.delete(identity.participantId);
    if (this.members.includes(identity.participantId)) this.rejoining.add(identity.participantId);
    this.advance();
  }

  /** The committer's answer to the change it was asked for, at `epoch`: ordered next and relayed. */
  commit(participantId: string, epoch: number, commit: string, welcome: string | undefined): { epoch: number } {
    const change = this.change;
    if (!change || change.committer !== participantId || change.epoch !== epoch || this.epoch !== epoch) {
      throw new CircleError('BAD_REQUEST', 'not the commit this circle is waiting for');
    }
    if (change.add.length > 0 && !welcome) throw new CircleError('BAD_REQUEST', 'a commit that adds needs its welcome');
    this.change = null;
    clearTimeout(this.answerTimer);
    this.passedOver.clear();
    const before = this.members;
    this.members = [...before.filter((id) => !change.remove.includes(id)), ...change.add.filter((id) => !before.includes(id) || change.remove.includes(id))];
    this.epoch = epoch + 1;
    for (const id of change.add) {
      this.offers.delete(id);
      this.rejoining.delete(id);
    }
    for (const member of before) {
      if (member !== participantId && this.members.includes(member) && !change.add.includes(member)) {
        this.port.tell(member, { kind: 'commit', circle: this.circle, epoch, commit });
      }
    }
    for (const id of change.add) this.port.tell(id, { kind: 'welcome', circle: this.circle, epoch: this.epoch, welcome: welcome! });
    this.advance();
    return { epoch: this.epoch };
  }

  /** Who is in by the commits ordered (for the staff's view and the tests: the group's own list is on every page). */
  get inCircle(): readonly string[] {
    return this.members;
  }

  get currentEpoch(): number | null {
    return this.epoch;
  }

  /** No one is to be in the circle any more (a side room's, once everyone has left it). */
  get isDeserted(): boolean {
    return this.wanted.size === 0;
  }

  /** Asks for the next change, if the circle differs from who should be in it and none is outstanding. */
  private advance(): void {
    if (this.change && this.isCommitter(this.change.committer) && !this.passedOver.has(this.change.committer)) return;
    this.change = null;
    clearTimeout(this.answerTimer);
    const committer = this.nextCommitter();
    if (!committer) return this.restart();
    const remove = this.members.filter((id) => !this.wanted.has(id) || this.rejoining.has(id));
    const add = [...this.wanted].filter((id) => this.offers.has(id) && (!this.members.includes(id) || this.rejoining.has(id)));
    if (remove.length === 0 && add.length === 0) return;
    this.change = { committer, epoch: this.epoch!, add, remove };
    this.answerTimer = setTimeout(() => {
      this.passedOver.add(committer);
      this.advance();
    }, this.answerWithinMs);
    this.answerTimer.unref();
    this.port.tell(committer, {
      kind: 'change',
      circle: this.circle,
      epoch: this.epoch!,
      add: add.map((participantId) => ({ participantId, keyPackage: this.offers.get(participantId)! })),
      remove,
    });
  }

  /**
   * Who is asked to commit: the earliest of the staff, else the earliest member, leaving out whoever let a change at
   * this epoch go unanswered; if everyone has, they are asked again in the same order.
   */
  private nextCommitter(): string | undefined {
    const able = this.members.filter((id) => this.isCommitter(id));
    if (able.length > 0 && able.every((id) => this.passedOver.has(id))) this.passedOver.clear();
    const candidates = able.filter((id) => !this.passedOver.has(id));
    return candidates.find((id) => this.staff.has(id)) ?? candidates[0];
  }

  /** A member who can commit: still wanted, and holding the group's state. */
  private isCommitter(participantId: string): boolean {
    return this.wanted.has(participantId) && this.members.includes(participantId) && !this.rejoining.has(participantId);
  }

  /** No member can commit (the circle is new, or everyone in it left or lost their state): its group starts anew. */
  private restart(): void {
    const first = [...this.wanted].find((id) => this.offers.has(id));
    if (!first) {
      this.members = [];
      this.epoch = null;
      return;
    }
    this.offers.delete(first);
    this.rejoining.clear();
    this.members = [first];
    this.epoch = 0;
    this.port.tell(first, { kind: 'start', circle: this.circle });
    // Those still wanted whose packages went into the old group are asked for new ones.
    for (const id of this.wanted) if (id !== first && !this.offers.has(id) && !this.asked.has(id)) this.askForOffer(id);
    this.advance();
  }

  private askForOffer(participantId: string): void {
    this.asked.add(participantId);
    this.port.tell(participantId, { kind: 'offer', circle: this.circle });
  }
}
