/**
 * One parse function per kind of user-data file, for whoever reads them (the Store, the receipt and probe
 * services): the stored-file JSON limits, then the shape's schema. Type-level checks keep each schema equal to the
 * domain type it stands for.
 */
import type { z } from 'zod';
import type { ControllerSettingsPatch } from '../controller/defaults';
import type { ProbeFile } from '../probe/types';
import type { ReceiptExport } from '../receiptApi';
import type { ReceiptStore } from '../receipts/receipt';
import type { Receipt } from '../receipts/types';
import type { Conversation, Message, ModelInfo, Notice, Settings } from '../types';
import type { ModelSettings } from '../modelSettings';
import { storedJsonLimits } from './limits';
import { safeParseJson, type ParseResult } from './parse';
import { settingsSchema } from './settings';
import { modelSettingsSchema, modelSettingsFileSchema } from './modelSettings';
import { receiptExportSchema, receiptSchema, receiptStoreSchema, storedReceiptSchema } from './receipts';
import {
  conversationSchema, messageSchema, modelsFileSchema, noticesFileSchema, noticeSchema, pageTokenFileSchema, probeFileSchema, receiptKeyFileSchema,
  threadCacheFileSchema, type ModelRecord,
} from './stored';

export const storedSchemas = {
  conversation: conversationSchema,
  models: modelsFileSchema,
  notices: noticesFileSchema,
  receipt: storedReceiptSchema,
  probe: probeFileSchema,
  threadCache: threadCacheFileSchema,
  receiptKey: receiptKeyFileSchema,
  pageToken: pageTokenFileSchema,
  modelSettings: modelSettingsFileSchema,
} as const;

export type StoredKind = keyof typeof storedSchemas;
export type StoredValue<K extends StoredKind> = z.output<(typeof storedSchemas)[K]>;

/** Parses the content of one stored file; `ok: false` means set it aside (message says why). */
export function parseStored<K extends StoredKind>(kind: K, value: unknown): ParseResult<StoredValue<K>> {
  return safeParseJson(storedSchemas[kind] as z.ZodType, value, { limits: storedJsonLimits }) as ParseResult<StoredValue<K>>;
}

// ---- the schemas agree with the domain types (compile-time only) ----

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
type Check<T extends true> = T;
type StoredSettings = Omit<Settings, 'controller'> & { controller?: ControllerSettingsPatch };
type Flat<T> = { [K in keyof T]: T[K] };

export type StoredShapesMatch = [
  Check<Equals<z.output<typeof messageSchema>, Message>>,
  Check<Equals<z.output<typeof conversationSchema>, Flat<Conversation>>>,
  Check<Equals<ModelRecord, Flat<ModelInfo & { hidden?: boolean; mtimeMs?: number }>>>,
  Check<Equals<z.output<typeof noticeSchema>, Notice>>,
  Check<Equals<z.output<typeof receiptSchema>, Flat<Receipt>>>,
  Check<Equals<z.output<typeof receiptStoreSchema>, ReceiptStore>>,
  Check<Equals<z.output<typeof receiptExportSchema>, ReceiptExport>>,
  Check<Equals<z.output<typeof probeFileSchema>, ProbeFile>>,
  Check<Equals<z.output<typeof settingsSchema>, Flat<StoredSettings>>>,
  Check<Equals<z.output<typeof modelSettingsSchema>, ModelSettings>>,
];
