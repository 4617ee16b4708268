import type { RecordedEvent } from '@berth/shared';

/**
 * The replay clock of a recording: which output events are due at a given position. Only output
 * is written to the terminal (it already echoes what was typed); input lines are listed beside it.
 * Long pauses are cut to `maxGapMs`, so a session left idle for an hour replays in seconds.
 */
export interface ReplayTimeline {
  /** Output events with their replay time (ms from the start, gaps cut). */
  frames: Array<{ at: number; text: string }>;
  /** Input lines with their replay time. */
  inputs: Array<{ at: number; text: string }>;
  durationMs: number;
}

export const maxGapMs = 2000;

export function timeline(events: RecordedEvent[], gapMs = maxGapMs): ReplayTimeline {
  const frames: ReplayTimeline['frames'] = [];
  const inputs: ReplayTimeline['inputs'] = [];
  let at = 0;
  let last = 0;
  for (const e of events) {
    const t = Math.max(last, e.t);
    at += Math.min(t - last, gapMs);
    last = t;
    if (e.d === 'o') frames.push({ at, text: e.s });
    else inputs.push({ at, text: e.s });
  }
  return { frames, inputs, durationMs: at };
}

/** Index of the first frame after `positionMs` (so frames [from, result) are due). */
export function dueUntil(frames: ReplayTimeline['frames'], from: number, positionMs: number): number {
  let i = from;
  while (i < frames.length && frames[i]!.at <= positionMs) i++;
  return i;
}
