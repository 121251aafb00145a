import { describe, expect, it } from 'vitest';
import { kvBytesPerToken } from './kvBytesPerToken';

describe('kvBytesPerToken', () => {
  it('is layers x (key + value length) x KV heads x 2 bytes, lengths from embedding / heads', () => {
    // stories260K's shape: 5 layers, 64 wide, 8 heads, 4 KV heads -> 5 x 16 x 4 x 2
    expect(kvBytesPerToken({ block_count: 5, embedding_length: 64, attention: { head_count: 8, head_count_kv: 4 } })).toBe(640);
  });

  it('uses explicit key/value lengths, the head count when there is no KV head count, the largest of per-layer counts', () => {
    expect(kvBytesPerToken({ block_count: 2, embedding_length: 64, attention: { head_count: 4, key_length: 32, value_length: 16 } })).toBe(2 * 48 * 4 * 2);
    expect(kvBytesPerToken({ block_count: 1, embedding_length: 8, attention: { head_count: [2, 4], head_count_kv: [0, 2] } })).toBe(1 * 4 * 2 * 2);
  });

  it('is null when a dimension is missing', () => {
    expect(kvBytesPerToken(undefined)).toBeNull();
    expect(kvBytesPerToken({ block_count: 5, embedding_length: 64 })).toBeNull();
    expect(kvBytesPerToken({ embedding_length: 64, attention: { head_count: 8 } })).toBeNull();
  });
});
