// Daily rhythms: how busy an endpoint is at a moment of its local week, as a multiplier of its activity rate (1 at
// the busiest time). People-driven roles follow the office day (arrival, lunch dip, departure, quiet nights and
// weekends); machines run 24/7; internet-facing servers follow their users' day; badge readers peak at arrival,
// lunch and departure. Intensities are piecewise constant over SEGMENT_MS, which lets the event engine draw exact
// Poisson arrivals segment by segment.

export enum Rhythm {
  /** Office workers: Monday-Friday 08:30-17:00 with a lunch dip; almost nothing at night and on weekends. */
  OFFICE = 'office',
  /** Engineers: later and longer days, evenings and some weekend work. */
  ENGINEERING = 'engineering',
  /** Machines: the same at every hour. */
  ALWAYS = 'always',
  /** Load of an internet-facing service: never zero, highest in the afternoon and evening, every day. */
  PUBLIC = 'public',
  /** Door access: peaks at arrival, lunch and departure on weekdays. */
  BADGE = 'badge',
  /** Visitors' devices: weekday office hours only (presence per device and day is decided elsewhere). */
  GUEST = 'guest',
  /** The office day shifted by twelve hours (an irregular pattern). */
  NIGHT = 'night',
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** Granularity of the intensity functions. */
export const SEGMENT_MS = 15 * MINUTE_MS;

/** Local time of an instant: day of week (0 = Monday) and hour of day as a fraction. */
export interface LocalTime {
  dayOfWeek: number;
  hour: number;
  /** Days since the epoch in local time (to key per-day decisions). */
  dayIndex: number;
}

export function localTime(epochMs: number, utcOffsetMinutes: number): LocalTime {
  const local = epochMs + utcOffsetMinutes * MINUTE_MS;
  const dayIndex = Math.floor(local / DAY_MS);
  // 1970-01-01 was a Thursday: day 0 is dayOfWeek 3 when Monday is 0.
  const dayOfWeek = (((dayIndex + 3) % 7) + 7) % 7;
  return { dayOfWeek, hour: (local - dayIndex * DAY_MS) / HOUR_MS, dayIndex };
}

export const isWeekday = (dayOfWeek: number): boolean => dayOfWeek < 5;

/** Activity multiplier in [0, 1] of a rhythm at a local day of week and hour. */
export function rhythmIntensity(rhythm: Rhythm, dayOfWeek: number, hour: number): number {
  const weekday = isWeekday(dayOfWeek);
  switch (rhythm) {
    case Rhythm.ALWAYS:
      return 1;
    case Rhythm.OFFICE:
      if (!weekday) return hour >= 9 && hour < 18 ? 0.03 : 0.01;
      if (hour < 6.5) return 0.01;
      if (hour < 7.5) return 0.1;
      if (hour < 8.5) return 0.6;
      if (hour < 12) return 1;
      if (hour < 13) return 0.55;
      if (hour < 17) return 1;
      if (hour < 18) return 0.5;
      if (hour < 19) return 0.12;
      if (hour < 22) return 0.04;
      return 0.01;
    case Rhythm.ENGINEERING:
      if (!weekday) return hour >= 10 && hour < 22 ? 0.12 : 0.03;
      if (hour < 7) return 0.03;
      if (hour < 9) return 0.35;
      if (hour < 12) return 1;
      if (hour < 13) return 0.7;
      if (hour < 18.5) return 1;
      if (hour < 21) return 0.3;
      if (hour < 23) return 0.15;
      return 0.05;
    case Rhythm.PUBLIC: {
      // Lowest around 04:00, highest around 16:00.
      const wave = 0.5 - 0.5 * Math.cos(((hour - 4) / 24) * 2 * Math.PI);
      return (0.3 + 0.7 * wave) * (weekday ? 1 : 0.8);
    }
    case Rhythm.BADGE:
      if (!weekday) return 0.03;
      if (hour < 6.5) return 0.02;
      if (hour < 9.5) return hour >= 7.5 ? 1 : 0.4;
      if (hour < 12) return 0.25;
      if (hour < 13.5) return 0.6;
      if (hour < 16.5) return 0.25;
      if (hour < 18.5) return 0.8;
      if (hour < 22) return 0.08;
      return 0.02;
    case Rhythm.GUEST:
      if (!weekday) return 0;
      if (hour >= 9 && hour < 17) return 1;
      if ((hour >= 8 && hour < 9) || (hour >= 17 && hour < 18.5)) return 0.4;
      return 0;
    case Rhythm.NIGHT:
      return rhythmIntensity(Rhythm.OFFICE, dayOfWeek, (hour + 12) % 24);
  }
}

/** True for rhythms driven by people, whose endpoints get a personal shift of their working hours. */
export function isPeopleRhythm(rhythm: Rhythm): boolean {
  return rhythm === Rhythm.OFFICE || rhythm === Rhythm.ENGINEERING || rhythm === Rhythm.GUEST || rhythm === Rhythm.BADGE;
}
