import { describe, expect, it } from 'vitest';
import { formFrom, settingsFrom } from './modelSettingsForm';

describe('model settings form', () => {
  it('round-trips settings; empty fields are not set', () => {
    const s = { contextSize: 4096, temperature: 0.7, topK: 20, stop: ['</s>', 'END'], systemPrompt: 'Be brief.' };
    const f = formFrom(s);
    expect(f).toMatchObject({ contextSize: '4096', temperature: '0.7', topP: '', stop: '</s>\nEND', systemPrompt: 'Be brief.' });
    expect(settingsFrom(f)).toEqual({ settings: s, problems: {} });
    expect(settingsFrom(formFrom({}))).toEqual({ settings: {}, problems: {} });
  });

  it('words every problem as a sentence, one per field', () => {
    const f = formFrom({});
    f.topP = '2';
    f.temperature = 'warm';
    f.topK = '2.5';
    f.stop = 'x'.repeat(201);
    expect(settingsFrom(f).problems).toEqual({
      topP: 'Top-p must be a number from 0 to 1.',
      temperature: 'Temperature must be a number.',
      topK: 'Top-k must be a whole number from 0 to 1,000.',
      stop: 'Each stop string must be 1 to 200 characters long.',
    });
  });
});
