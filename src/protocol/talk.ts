/**
 * How much one person has spoken this session, from the audio levels the SFU reads in each packet's header (never
 * the audio itself): for the staff, to see who has not spoken yet. Counted wherever they spoke (the group or a side
 * room), by page or by phone; a voice the SFU does not forward (muted, waiting for the floor) is not counted.
 */
export interface TalkEntry {
  participantId: string;
  /** Seconds heard above the speech threshold. */
  spokenSeconds: number;
  /** Stretches of speech, each after at least 2 s without. */
  turns: number;
}
