/**
 * What llama.cpp's loader expects of the transformer architectures Reckon checks in detail. An architecture
 * not listed here gets only the generic checks (ranges of the keys every architecture shares).
 */
export interface ArchitectureSpec {
  /** attention.layer_norm_rms_epsilon is required (llama.cpp reads it unconditionally). */
  rmsEpsilon: boolean;
  /** rope.dimension_count must equal the head size (llama.cpp refuses anything else for llama). */
  ropeIsHeadSize: boolean;
  /** attn_q_norm / attn_k_norm of head size per layer. */
  qkNorm: boolean;
  /** attn_post_norm / ffn_post_norm per layer (gemma 2 and 3). */
  postNorms: boolean;
  /** ffn_up holds gate and up together (2 x feed_forward_length) and there is no ffn_gate (phi3). */
  fusedGateUp: boolean;
  /** The output projection is always the token embedding (gemma 1 and 2). */
  tiedOutput: boolean;
}

const base: ArchitectureSpec = {
  rmsEpsilon: true, ropeIsHeadSize: false, qkNorm: false, postNorms: false, fusedGateUp: false, tiedOutput: false,
};

export const architectures: ReadonlyMap<string, ArchitectureSpec> = new Map([
  ['llama', { ...base, ropeIsHeadSize: true }],
  ['qwen2', base],
  ['qwen3', { ...base, qkNorm: true }],
  ['gemma', { ...base, tiedOutput: true }],
  ['gemma2', { ...base, postNorms: true, tiedOutput: true }],
  ['gemma3', { ...base, qkNorm: true, postNorms: true }],
  ['phi3', { ...base, fusedGateUp: true }],
]);
