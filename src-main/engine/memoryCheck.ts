import { freemem } from 'node:os';
import { basename } from 'node:path';
import { MEMORY_MARGIN_BYTES as MARGIN_BYTES } from '../common/contextWindow';
import { ReckonError } from '../common/errors';

/**
 * Refuses a model whose weights cannot fit in the memory this machine has free, before llama.cpp
 * tries (an allocation failure there can take the whole process down).
 * @param releasableBytes memory that loading will free first (the model currently loaded). Defaults to 0.
 * @param vramFreeBytes free GPU memory that can hold offloaded layers. Defaults to 0.
 */
export function checkFitsInMemory(path: string, sizeBytes: number, releasableBytes = 0, vramFreeBytes = 0): void {
  const available = freemem() + releasableBytes + vramFreeBytes;
  if (sizeBytes + MARGIN_BYTES > available) {
    const gib = (n: number): string => (n / 1024 ** 3).toFixed(1);
    throw new ReckonError('MODEL_TOO_BIG',
      `${basename(path)} needs about ${gib(sizeBytes + MARGIN_BYTES)} GiB of memory, but only ${gib(available)} GiB is free on this machine.`,
      { path, sizeBytes, availableBytes: available, marginBytes: MARGIN_BYTES });
  }
}
