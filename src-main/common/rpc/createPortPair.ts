import { ReckonError } from '../errors';
import type { RpcPort } from './types';

/**
 * Two linked in-memory ports: what one sends, the other's frame listeners get at once (same tick, same object -
 * nothing is copied). The in-process door uses one, so it runs the same client and server as the remote doors.
 * `close()` closes both ends.
 */
export function createPortPair<A, B>(): { a: RpcPort<A>; b: RpcPort<B>; close(): void } {
  const frames = { a: [] as ((f: unknown) => void)[], b: [] as ((f: unknown) => void)[] };
  const closes: (() => void)[] = [];
  let open = true;
  const end = <Out>(self: 'a' | 'b', peer: 'a' | 'b'): RpcPort<Out> => ({
    send: (frame) => {
      if (!open) throw new ReckonError('IO_ERROR', 'The in-memory port is closed.');
      for (const cb of [...frames[peer]]) cb(frame);
    },
    onFrame: (cb) => {
      frames[self].push(cb);
    },
    onClose: (cb) => {
      closes.push(() => cb());
    },
  });
  return {
    a: end<A>('a', 'b'),
    b: end<B>('b', 'a'),
    close: () => {
      if (!open) return;
      open = false;
      for (const cb of closes.splice(0)) cb();
    },
  };
}
