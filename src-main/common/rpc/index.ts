export type { RpcArgs, RpcCallFrame, RpcEvent, RpcEventFrame, RpcMethod, RpcMethods, RpcParams, RpcPort, RpcReplyFrame, RpcResult, RpcServerFrame } from './types';
export { isCallFrame, isServerFrame } from './frames';
export { RpcClient, type RpcClientOptions } from './RpcClient';
export { RpcServer, type RpcDispatch } from './RpcServer';
export { createPortPair } from './createPortPair';
