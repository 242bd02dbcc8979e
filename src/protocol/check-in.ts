/**
 * A client's safety check-in, in their own words: where they are right now, whether they are somewhere private and
 * whether they use headphones (null: not said). Facilitators and co-facilitators see it; no one else ever does, and
 * it is never stored, logged or counted.
 */
export interface CheckInAnswers {
  /** Normalised like a message, 1 to 200 characters: "home, Tacoma WA". */
  location: string;
  private: boolean | null;
  headphones: boolean | null;
}

export interface CheckIn extends CheckInAnswers {
  /** When the client last answered (ISO 8601): "I moved" replaces the earlier answers. */
  answeredAt: string;
}
