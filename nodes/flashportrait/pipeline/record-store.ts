// Where the sampler keeps state that grows with the clip: numbered Float32 records of one length
// (one per window), written once and read back as often as needed. The node passes a store that
// spills to the host's temp folder (server/media/record-store.ts); without one they stay in memory.

export interface RecordStore {
  /** Copies `record` (recordLength values) in as record `index`. */
  write(index: number, record: Float32Array): Promise<void>;
  /** Copies record `index` into `into` (recordLength values). */
  read(index: number, into: Float32Array): Promise<void>;
  /** Drops every record (and any file behind them). */
  close(): Promise<void>;
}

/** Makes a store for records of `recordLength` values; `name` says what they are (for messages). */
export type RecordStoreFactory = (name: string, recordLength: number) => Promise<RecordStore>;

/** Records held in memory (a copy each). */
export const memoryRecords: RecordStoreFactory = async (name, recordLength) => {
  const records = new Map<number, Float32Array>();
  const check = (data: Float32Array): void => {
    if (data.length !== recordLength) throw new RangeError(`${name}: records have ${recordLength} values, got ${data.length}`);
  };
  return {
    async write(index, record) {
      check(record);
      records.set(index, Float32Array.from(record));
    },
    async read(index, into) {
      check(into);
      const record = records.get(index);
      if (!record) throw new RangeError(`${name}: no record ${index}`);
      into.set(record);
    },
    async close() {
      records.clear();
    },
  };
};
