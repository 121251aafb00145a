const MAX_SHOWN = 80;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A name from a file, safe to put in a message: printable characters kept, every other byte written as
 * \xNN (a damaged file's names may hold control bytes or broken UTF-8), cut to `maxChars` (default 80).
 */
export function printable(raw: Uint8Array | string, maxChars = MAX_SHOWN): string {
  const bytes = typeof raw === 'string' ? new TextEncoder().encode(raw) : raw;
  let out = '';
  let i = 0;
  while (i < bytes.length && out.length < maxChars) {
    const b = bytes[i] as number;
    if (b >= 0x20 && b < 0x7f) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    const len = b >= 0xf0 && b < 0xf8 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 && b < 0xe0 ? 2 : 0;
    if (len > 0 && i + len <= bytes.length) {
      let ch: string | null = null;
      try {
        ch = utf8.decode(bytes.subarray(i, i + len));
      } catch {
        ch = null;
      }
      // Control, format, separator and unassigned characters would make the message lie about the name.
      if (ch !== null && !/[\p{C}\p{Zl}\p{Zp}]/u.test(ch)) {
        out += ch;
        i += len;
        continue;
      }
    }
    out += `\\x${b.toString(16).padStart(2, '0')}`;
    i++;
  }
  return i < bytes.length ? `${out}...` : out;
}
