/**
 * Type-level tests: the typed RPC rejects a wrong method, wrong or missing params and a wrong use of a result at
 * compile time (`tsc --noEmit` fails on any line below that compiles when it should not). The runtime part only
 * checks that the calls it makes are well formed.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { ApiResult, ReckonClient } from '../api';
import type { EngineMethods } from '../engineProtocol';
import type { Conversation, ModelInfo } from '../types';
import { RpcClient } from './RpcClient';
import type { RpcParams, RpcResult } from './types';

describe('typed RPC (compile time)', () => {
  it('derives params and results from the method table', () => {
    expectTypeOf<ApiResult<'conversations.get'>>().toEqualTypeOf<Conversation>();
    expectTypeOf<ApiResult<'models.list'>>().toEqualTypeOf<ModelInfo[]>();
    expectTypeOf<RpcParams<EngineMethods, 'info'>>().toEqualTypeOf<void>();
    expectTypeOf<RpcParams<EngineMethods, 'load'>>().toEqualTypeOf<{ modelPath: string }>();
    expectTypeOf<RpcResult<EngineMethods, 'embeddingRows'>['dims']>().toEqualTypeOf<number>();
  });

  it('checks every call at the in-process door and over a transport', async () => {
    const client = new RpcClient<EngineMethods, { type: string }>();
    const reckon: ReckonClient = {
      call: async () => { throw new Error('not called'); },
      onTurnEvent: () => () => undefined,
    };
    const never = async (): Promise<void> => {
      const conv = await reckon.call('conversations.get', { id: 'c1' });
      expectTypeOf(conv.messages).toEqualTypeOf<Conversation['messages']>();
      // @ts-expect-error: wrong param type
      await reckon.call('conversations.get', { id: 5 });
      // @ts-expect-error: missing required params
      await reckon.call('chat.send');
      // @ts-expect-error: unknown key in params
      await reckon.call('models.import', { path: '/m.gguf', extra: 1 });
      // @ts-expect-error: a method without params takes none
      await reckon.call('models.list', undefined);
      // @ts-expect-error: no such method
      await reckon.call('models.nope');
      const models = await reckon.call('models.list');
      // @ts-expect-error: a ModelInfo[] has no `messages`
      void models.messages;
      // @ts-expect-error: the engine's load takes a modelPath, not a path
      await client.call('load', { path: '/m.gguf' });
      const info = await client.call('load', { modelPath: '/m.gguf' });
      // @ts-expect-error: BackendInfo.threads is a number
      const threads: string = info.threads;
      void threads;
    };
    expect(typeof never).toBe('function');
  });
});
