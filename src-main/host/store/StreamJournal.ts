/**
 * The stream journal of one turn: an append-only file beside the conversation
 * (`conversations/<conversationId>.<messageId>.journal`) that holds the text a message streamed since the turn
 * began, so that a host crash at any moment loses at most `everyMs` of it and never a line that was completed.
 *
 * Why not the conversation file: replacing it whole (temp file, fsync, rename) takes over 150 ms on a busy machine,
 * too slow to run often. Appending a record is one write() to an open file descriptor (tens of microseconds): a
 * completed write() is in the OS page cache and survives the process being killed (SIGKILL, a crash); only a power
 * cut can lose it, which is what the asynchronous fdatasync at the thinking's end and the rare whole-message saves
 * are for (docs/reliability.md "Streamed text on disk").
 *
 * Format (UTF-8): one JSON object per line. The first line is the header `{"v":1,"c":conversationId,"m":messageId}`,
 * every other line a record `{"m":messageId,"p":"t"|"a","o":offset,"x":text}`: `x` goes into the thinking ("t") or
 * the answer ("a") at UTF-16 offset `o`. A line ends with "\n" (JSON escapes newlines inside strings), so records
 * delimit themselves: a last line without its "\n" or that does not parse is a torn write and is ignored. Records
 * carry their offset, so replaying one already in the message changes nothing (idempotent), whatever state the
 * conversation file was saved in.
 */
import { closeSync, fdatasync, openSync, writeSync } from 'node:fs';
import type { Message } from '../../common/types';

/** Longest a streamed delta waits in memory before it is appended, in ms, unless it completes a line. Default 50. */
export const journalEveryMs = 50;

export type JournalPart = 'thinking' | 'answer';

export interface StreamJournalOptions {
  /**
   * Longest a delta waits in memory before it is appended, in ms (default journalEveryMs, 50); a delta holding
   * "\n" is appended at once, with everything before it. 0 appends every delta at once.
   */
  everyMs?: number;
  /** An append or sync failed (the stream goes on; the whole-message saves still run). Defaults to none. */
  onError?: (err: unknown) => void;
}

interface Pending { part: JournalPart; offset: number; text: string }

export class StreamJournal {
  #fd: number | null;
  #pending: Pending[] = [];
  #pendingSince = 0;
  #timer: NodeJS.Timeout | null = null;
  /** The descriptor an fdatasync is running on, if one is. */
  #syncing: number | null = null;
  /** Length of each part so far (what the next record's offset is). */
  #length: Record<JournalPart, number>;

  /**
   * Creates (or truncates) the journal at `path` and writes its header. `start`: the lengths of the message's
   * thinking and answer when the journal begins (0 and 0 for a new message).
   */
  constructor(
    readonly path: string,
    readonly conversationId: string,
    readonly messageId: string,
    start: { thinking: number; answer: number },
    private readonly o: StreamJournalOptions = {},
  ) {
    this.#length = { ...start };
    this.#fd = openSync(path, 'w', 0o600);
    this.#write(`${JSON.stringify({ v: 1, c: conversationId, m: messageId })}\n`);
  }

  /** A delta of the message's thinking or answer, in stream order. Appended now when it completes a line or when the oldest waiting delta is `everyMs` old. */
  append(part: JournalPart, text: string): void {
    if (this.#fd === null || text === '') return;
    const last = this.#pending.at(-1);
    if (last?.part === part) last.text += text;
    else this.#pending.push({ part, offset: this.#length[part], text });
    this.#length[part] += text.length;
    const every = this.o.everyMs ?? journalEveryMs;
    if (this.#pending.length === 1 && last === undefined) this.#pendingSince = Date.now();
    if (every <= 0 || text.includes('\n') || Date.now() - this.#pendingSince >= every) {
      this.flush();
      return;
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = null;
      this.flush();
    }, every);
  }

  /** Appends every waiting delta now, in one write. */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#fd === null || this.#pending.length === 0) return;
    const lines = this.#pending.map((r) => `${JSON.stringify({ m: this.messageId, p: r.part === 'thinking' ? 't' : 'a', o: r.offset, x: r.text })}\n`).join('');
    this.#pending = [];
    this.#write(lines);
  }

  /** Flushes, then asks the OS to put the journal on the disk (fdatasync) without waiting for it: for power loss, off the streaming path. */
  sync(): void {
    this.flush();
    if (this.#fd === null || this.#syncing !== null) return;
    const fd = this.#fd;
    this.#syncing = fd;
    fdatasync(fd, (err) => {
      if (err) this.o.onError?.(err);
      this.#syncing = null;
      // close() came while the sync ran: the descriptor is closed only now, so the sync never meets a reused one
      if (this.#fd === null) this.#closeFd(fd);
    });
  }

  /** Flushes and closes the file (it stays on disk until Store.removeStreamJournal). */
  close(): void {
    this.flush();
    if (this.#fd === null) return;
    const fd = this.#fd;
    this.#fd = null;
    if (this.#syncing !== fd) this.#closeFd(fd);
  }

  #closeFd(fd: number): void {
    try {
      closeSync(fd);
    } catch (err) {
      this.o.onError?.(err);
    }
  }

  #write(text: string): void {
    if (this.#fd === null) return;
    const buf = Buffer.from(text, 'utf8');
    try {
      // A short write (a full disk) would leave half a record: write until all is out or it fails.
      for (let at = 0; at < buf.length;) at += writeSync(this.#fd, buf, at, buf.length - at);
    } catch (err) {
      // Appends stop here: a record cut short by the failure stays the file's last line, which replay ignores as
      // torn, instead of becoming damage in the middle. The whole-message saves carry on.
      const fd = this.#fd;
      this.#fd = null;
      if (this.#syncing !== fd) this.#closeFd(fd);
      this.o.onError?.(err);
    }
  }
}

export interface JournalRecord { part: JournalPart; offset: number; text: string }

export interface ParsedJournal {
  conversationId: string;
  messageId: string;
  records: JournalRecord[];
  /** A last line cut short (no "\n", or it does not parse): ignored, as a crash mid-append leaves it. */
  torn: boolean;
  /** Why the journal is damaged beyond a torn last record (records before the damage are kept); null when it is not. */
  problem: string | null;
}

/** Reads a journal's text: its header and records, a torn last line ignored, damage elsewhere reported. */
export function parseStreamJournal(text: string): ParsedJournal {
  const lines = text.split('\n');
  // After the last "\n" comes either nothing or a torn record.
  const tail = lines.pop() ?? '';
  const out: ParsedJournal = { conversationId: '', messageId: '', records: [], torn: tail !== '', problem: null };
  const header = lines.length > 0 ? parseLine(lines[0]!) : null;
  if (header === null || header['v'] !== 1 || typeof header['c'] !== 'string' || typeof header['m'] !== 'string') {
    if (lines.length > 0) out.problem = 'its first line is not a journal header';
    else out.torn = text !== '';
    return out;
  }
  out.conversationId = header['c'];
  out.messageId = header['m'];
  for (let i = 1; i < lines.length; i++) {
    const r = parseLine(lines[i]!);
    const p = r?.['p'];
    const o = r?.['o'];
    const x = r?.['x'];
    if (r === null || r['m'] !== out.messageId || (p !== 't' && p !== 'a') || typeof o !== 'number' || !Number.isInteger(o) || o < 0 || typeof x !== 'string') {
      // A line that ended with "\n" was written whole: one that does not read is damage, not a torn append.
      out.problem = `line ${i + 1} is not a record of message ${out.messageId}`;
      return out;
    }
    out.records.push({ part: p === 't' ? 'thinking' : 'answer', offset: o, text: x });
  }
  return out;
}

function parseLine(line: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Replays records onto a message: each record's text lands at its offset, what the message already holds is
 * kept (replaying twice, or a record the last whole-message save already had, changes nothing). A record that
 * starts past the end of its part (a gap: a record is missing) stops the replay of that part and is reported.
 */
export function replayStreamJournal(m: Message, records: JournalRecord[]): { message: Message; added: number; problem: string | null } {
  const parts: Record<JournalPart, string> = { thinking: m.thinking ?? '', answer: m.text };
  const stopped = new Set<JournalPart>();
  let added = 0;
  let problem: string | null = null;
  for (const r of records) {
    if (stopped.has(r.part)) continue;
    const have = parts[r.part];
    if (r.offset > have.length) {
      stopped.add(r.part);
      problem = `a record of the ${r.part} starts at ${r.offset}, past the ${have.length} characters before it`;
      continue;
    }
    const end = r.offset + r.text.length;
    if (end <= have.length) continue;
    parts[r.part] = have + r.text.slice(have.length - r.offset);
    added += end - have.length;
  }
  if (added === 0) return { message: m, added, problem };
  return { message: { ...m, thinking: parts.thinking, text: parts.answer }, added, problem };
}
