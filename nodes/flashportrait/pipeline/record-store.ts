// Where the sampler keeps state that grows with the clip: numbered Float32 records of one length
// (one per window), written once and read back as often as needed. The node passes a store that
// spills to the host's temp folder (server/media/record-store.ts); without one they stay in memory.

export interface RecordStore {
  /** Copies `values` into record `index` from value `offset` on (default: a whole record at 0). */
  write(index: number, values: Float32Array, offset?: number): Promise<void>;
  /** Copies record `index`'s values from `offset` on into `into` (default: the whole record). */
  read(index: number, into: Float32Array, offset?: number): Promise<void>;
  /** Drops every record (and any file behind them). */
  close(): Promise<void>;
}

/** Makes a store for records of `recordLength` values; `name` says what they are (for messages). */
export type RecordStoreFactory = (name: string, recordLength: number) => Promise<RecordStore>;

/** Records held in memory (a copy each). */
export const memoryRecords: RecordStoreFactory = async (name, recordLength) => {
  const records = new Map<number, Float32Array>();
  return {
    async write(index, values, offset = 0) {
      checkSpan(name, recordLength, values.length, offset);
      let record = records.get(index);
      if (!record) records.set(index, (record = new Float32Array(recordLength)));
      record.set(values, offset);
    },
    async read(index, into, offset = 0) {
      checkSpan(name, recordLength, into.length, offset);
      const record = records.get(index);
      if (!record) throw new RangeError(`${name}: no record ${index}`);
      into.set(record.subarray(offset, offset + into.length));
    },
    async close() {
      records.clear();
    },
  };
};

/** Refuses a span that does not fit a record (a whole record when offset is 0 and nothing else is said). */
export function checkSpan(name: string, recordLength: number, length: number, offset: number): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + length > recordLength || (offset === 0 && length === 0)) {
    throw new RangeError(`${name}: records have ${recordLength} values; ${length} at offset ${offset} do not fit`);
  }
}
