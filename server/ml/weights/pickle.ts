// A pickle reader that never executes anything. It interprets the protocol 2-5 opcodes a state dict
// uses; GLOBAL names are checked against the caller's allow-list the moment they are read, and
// calling them (REDUCE/NEWOBJ) dispatches to the caller's plain-data handlers. Protocol 0/1 text
// opcodes and the instance-building ones (INST, OBJ, EXT*) are refused.

export class UnsafePickleError extends Error {
  override name = 'UnsafePickleError';
}

export class PickleTuple {
  constructor(readonly items: PickleValue[]) {}
}

/** A dict or OrderedDict: insertion order kept; `state` holds what BUILD set on it (e.g. _metadata). */
export class PickleDict {
  readonly map = new Map<PickleValue, PickleValue>();
  state: PickleValue = undefined;
  constructor(readonly className: string) {}
}

/** A global that passed the allow-list: a reference by name, not a function. */
export class PickleGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

export type PickleValue =
  | undefined | null | boolean | number | bigint | string | Uint8Array
  | PickleValue[] | PickleTuple | PickleDict | PickleGlobal | { readonly kind: string };

export interface UnpickleOptions {
  /** Allowed globals, `module.name` -> what calling it produces (absent: allowed as a value only). */
  readonly globals: ReadonlyMap<string, ((args: PickleValue[]) => PickleValue) | undefined>;
  readonly persistentLoad?: (pid: PickleValue) => PickleValue;
}

const MARK = Symbol('mark');
type StackItem = PickleValue | typeof MARK;

export function unpickle(bytes: Uint8Array, options: UnpickleOptions): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const stack: StackItem[] = [];
  const memo = new Map<number, PickleValue>();
  let pos = 0;

  const need = (n: number): number => {
    if (pos + n > bytes.length) throw new UnsafePickleError(`pickle truncated at byte ${pos}`);
    const at = pos;
    pos += n;
    return at;
  };
  const pop = (): PickleValue => {
    if (stack.length === 0) throw new UnsafePickleError('pickle stack underflow');
    const v = stack.pop();
    if (v === MARK) throw new UnsafePickleError('pickle: unexpected MARK');
    return v as PickleValue;
  };
  const popToMark = (): PickleValue[] => {
    for (let i = stack.length - 1; i >= 0; i--) {
      if (stack[i] === MARK) {
        const items = stack.splice(i) as PickleValue[];
        items.shift();
        return items;
      }
    }
    throw new UnsafePickleError('pickle: no MARK on the stack');
  };
  const top = (): PickleValue => {
    if (stack.length === 0) throw new UnsafePickleError('pickle stack underflow');
    const v = stack[stack.length - 1]!;
    if (v === MARK) throw new UnsafePickleError('pickle: unexpected MARK');
    return v;
  };
  const readLine = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw new UnsafePickleError('pickle: unterminated line');
    const s = decoder.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const readU64 = (): number => {
    const v = view.getBigUint64(need(8), true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new UnsafePickleError('pickle length beyond 2^53');
    return Number(v);
  };
  const text = (len: number): string => decoder.decode(bytes.subarray(need(len), pos));
  const raw = (len: number): Uint8Array => bytes.slice(need(len), pos);
  const long = (len: number): number | bigint => {
    if (len === 0) return 0;
    const at = need(len);
    let v = 0n;
    for (let i = len - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]!);
    if (bytes[at + len - 1]! & 0x80) v -= 1n << BigInt(8 * len);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const resolveGlobal = (module: string, name: string): PickleGlobal => {
    const qualified = `${module}.${name}`;
    if (!options.globals.has(qualified)) {
      throw new UnsafePickleError(`pickle refers to global ${qualified}, which is not on the allow-list of a tensor state dict; refusing to load it`);
    }
    return new PickleGlobal(module, name);
  };
  const call = (fn: PickleValue, args: PickleValue[]): PickleValue => {
    if (!(fn instanceof PickleGlobal)) throw new UnsafePickleError('pickle: REDUCE on something that is not an allowed global');
    const handler = options.globals.get(fn.qualifiedName);
    if (!handler) throw new UnsafePickleError(`pickle: ${fn.qualifiedName} may appear but may not be called`);
    return handler(args);
  };
  const setItems = (target: PickleValue, items: PickleValue[]): void => {
    if (!(target instanceof PickleDict)) throw new UnsafePickleError('pickle: SETITEM(S) on a non-dict');
    if (items.length % 2) throw new UnsafePickleError('pickle: odd number of SETITEMS values');
    for (let i = 0; i < items.length; i += 2) target.map.set(items[i], items[i + 1]);
  };

  for (;;) {
    const op = bytes[need(1)]!;
    switch (op) {
      case 0x80: need(1); break; // PROTO
      case 0x95: need(8); break; // FRAME: framing is only a read-ahead hint
      case 0x2e: { // STOP
        const result = pop();
        return result;
      }
      case 0x28: stack.push(MARK); break;
      case 0x30: pop(); break; // POP
      case 0x31: popToMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x7d: stack.push(new PickleDict('dict')); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push(new PickleTuple([])); break; // EMPTY_TUPLE
      case 0x8f: stack.push([]); break; // EMPTY_SET (held as a list)
      case 0x74: stack.push(new PickleTuple(popToMark())); break; // TUPLE
      case 0x85: stack.push(new PickleTuple([pop()])); break;
      case 0x86: { const b = pop(); const a = pop(); stack.push(new PickleTuple([a, b])); break; }
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(new PickleTuple([a, b, c])); break; }
      case 0x91: stack.push(new PickleTuple(popToMark())); break; // FROZENSET
      case 0x6c: stack.push(popToMark()); break; // LIST
      case 0x64: { const d = new PickleDict('dict'); setItems(d, popToMark()); stack.push(d); break; } // DICT
      case 0x61: { const v = pop(); const l = top(); if (!Array.isArray(l)) throw new UnsafePickleError('pickle: APPEND on a non-list'); l.push(v); break; }
      case 0x65: case 0x90: { // APPENDS, ADDITEMS
        const items = popToMark(); const l = top();
        if (!Array.isArray(l)) throw new UnsafePickleError('pickle: APPENDS on a non-list');
        l.push(...items); break;
      }
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popToMark(); setItems(top(), items); break; } // SETITEMS
      case 0x4a: stack.push(view.getInt32(need(4), true)); break; // BININT
      case 0x4b: stack.push(bytes[need(1)]!); break; // BININT1
      case 0x4d: stack.push(view.getUint16(need(2), true)); break; // BININT2
      case 0x8a: stack.push(long(bytes[need(1)]!)); break; // LONG1
      case 0x8b: { const n = view.getInt32(need(4), true); if (n < 0) throw new UnsafePickleError('pickle: negative LONG4 length'); stack.push(long(n)); break; }
      case 0x47: stack.push(view.getFloat64(need(8), false)); break; // BINFLOAT (big-endian)
      case 0x4e: stack.push(null); break;
      case 0x88: stack.push(true); break;
      case 0x89: stack.push(false); break;
      case 0x58: stack.push(text(view.getUint32(need(4), true))); break; // BINUNICODE
      case 0x8c: stack.push(text(bytes[need(1)]!)); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(text(readU64())); break; // BINUNICODE8
      case 0x54: { const n = view.getInt32(need(4), true); if (n < 0) throw new UnsafePickleError('pickle: negative BINSTRING length'); stack.push(raw(n)); break; }
      case 0x55: stack.push(raw(bytes[need(1)]!)); break; // SHORT_BINSTRING
      case 0x42: stack.push(raw(view.getUint32(need(4), true))); break; // BINBYTES
      case 0x43: stack.push(raw(bytes[need(1)]!)); break; // SHORT_BINBYTES
      case 0x8e: stack.push(raw(readU64())); break; // BINBYTES8
      case 0x71: memo.set(bytes[need(1)]!, top()); break; // BINPUT
      case 0x72: memo.set(view.getUint32(need(4), true), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: case 0x6a: { // BINGET, LONG_BINGET
        const idx = op === 0x68 ? bytes[need(1)]! : view.getUint32(need(4), true);
        if (!memo.has(idx)) throw new UnsafePickleError(`pickle: memo ${idx} is empty`);
        stack.push(memo.get(idx)); break;
      }
      case 0x63: { const module = readLine(); const name = readLine(); stack.push(resolveGlobal(module, name)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop(); const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw new UnsafePickleError('pickle: STACK_GLOBAL needs two strings');
        stack.push(resolveGlobal(module, name)); break;
      }
      case 0x52: { // REDUCE
        const args = pop(); const fn = pop();
        if (!(args instanceof PickleTuple)) throw new UnsafePickleError('pickle: REDUCE arguments are not a tuple');
        stack.push(call(fn, args.items)); break;
      }
      case 0x81: { // NEWOBJ: cls.__new__(cls, *args), treated as a call of the allowed class
        const args = pop(); const cls = pop();
        if (!(args instanceof PickleTuple)) throw new UnsafePickleError('pickle: NEWOBJ arguments are not a tuple');
        stack.push(call(cls, args.items)); break;
      }
      case 0x62: { // BUILD: only dicts may take state (OrderedDict._metadata of state dicts)
        const state = pop(); const target = top();
        if (!(target instanceof PickleDict)) throw new UnsafePickleError('pickle: BUILD on an object that is not a dict');
        target.state = state; break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!options.persistentLoad) throw new UnsafePickleError('pickle: persistent id without a loader');
        stack.push(options.persistentLoad(pid)); break;
      }
      default:
        throw new UnsafePickleError(`pickle opcode 0x${op.toString(16).padStart(2, '0')} ('${String.fromCharCode(op)}') at byte ${pos - 1} is not supported by the safe reader (only protocol 2+ data opcodes are)`);
    }
  }
}
