// Rewrites a plugin module before it is compiled, so limits the Extism SDK and Deno cannot enforce are baked
// into the module (docs/plugin-security.md "Limits"):
//
// - Guest code that Extism would run while it instantiates the module — the `start` section, `_initialize`
//   (WASI reactors), `hs_init` — is turned into exports the host calls itself, under the call's timeout
//   (`INIT_EXPORTS`, in Extism's order).
// - Interruption: terminating a Deno worker does not stop a thread that is busy in wasm or JS (measured with
//   Deno 2.9.6: the thread keeps its core after `terminate()`), so a plugin stops itself. Every function entry
//   and every loop iteration counts down a global; every `INTERRUPT_PERIOD` steps the module calls the host
//   import `extism:host/user` `__af_interrupt`, which answers non-zero once the host has abandoned the call
//   (its timeout fired), and the module then traps. The thread returns to its event loop and the worker ends.
// - Host-side allocations: every call of the kernel import `extism:host/env` `alloc` goes through an appended
//   function that counts the bytes a call allocates on the host side and, past `allocBudgetBytes`, asks the
//   kernel for an impossible size instead (a RangeError "Invalid array buffer length" in the worker, reported as
//   `memory_mb`). Each export is wrapped to reset the count when a call starts.
// - Refused WASI calls: `path_symlink` is answered by an appended stub returning EPERM (a link planted in a
//   granted directory could point anywhere).
//
// One import is added and refused ones are dropped (so defined functions' indices move), two globals, two types
// and a few functions are appended; every function index in the module is rewritten accordingly. The walker knows every
// instruction of the core spec and the SIMD, threads, bulk-memory, reference-types, tail-call, exception and
// GC proposals; a module using anything else is refused rather than run unbounded. The `name` section is
// dropped (its indices would be stale).
import { AetherflowError, EXIT } from "../../engine/errors.ts";
import { encodeU32 as _u32 } from "./wasm_bytes.ts";

/** Exports the host calls, in this order, before the first call of a fresh instance (when present). */
export const INIT_EXPORTS = {
  start: "__af_start",
  initialize: "__af_initialize",
  hsInit: "__af_hs_init",
} as const;

/** The host function a rewritten module calls to learn whether its call was abandoned: (i64) -> i64. */
export const INTERRUPT_IMPORT = "__af_interrupt";
/** Function entries and loop iterations between two interrupt checks. */
export const INTERRUPT_PERIOD = 1 << 24;

export interface RewriteOptions {
  /** Host-side bytes one call may allocate through `alloc` (the grant's memory_mb). */
  allocBudgetBytes: number;
}

export interface RewriteResult {
  bytes: Uint8Array;
  /** The init exports this module has, in call order. */
  initExports: string[];
}

const _RESERVED_PREFIX = "__af_";
// WASI calls a plugin may not make: the stub returns this errno instead. A symlink in a granted directory could
// point anywhere, and the host or a later step might follow it (docs/plugin-security.md "Files").
const _WASI_EPERM = 63;
const _REFUSED_IMPORTS: Readonly<Record<string, number>> = {
  "wasi_snapshot_preview1.path_symlink": _WASI_EPERM,
};
const _RENAMED: Readonly<Record<string, string>> = {
  _initialize: INIT_EXPORTS.initialize,
  hs_init: INIT_EXPORTS.hsInit,
};
const _SECTION_ORDER: Readonly<Record<number, number>> = {
  1: 1,
  2: 2,
  3: 3,
  4: 4,
  5: 5,
  13: 6,
  6: 7,
  7: 8,
  8: 9,
  9: 10,
  12: 11,
  10: 12,
  11: 13,
};

/** Rewrite `bytes` (see the module comment). */
export function rewriteModule(bytes: Uint8Array, options: RewriteOptions): RewriteResult {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw _invalid("not a WebAssembly binary (bad magic)");
  }
  const sections: { id: number; body: Uint8Array }[] = [];
  for (let pos = 8; pos < bytes.length;) {
    const id = bytes[pos++]!;
    const r = new _Reader(bytes, pos);
    const size = r.u32();
    const body = bytes.subarray(r.pos, r.pos + size);
    if (body.length !== size) throw _invalid("truncated section");
    sections.push({ id, body });
    pos = r.pos + size;
  }
  const find = (id: number) => sections.find((s) => s.id === id)?.body;

  const types = _types(find(1));
  const imports = _imports(find(2));
  const definedTypes = find(3) ? _u32Vector(find(3)!) : [];
  // Refused imports are dropped (a stub answers instead); one import is added at the end of the imports (the
  // interrupt check), so defined functions move by one minus the dropped ones; two types; two globals.
  const interruptType = types.count;
  const voidType = types.count + 1;
  const importIndex: number[] = [];
  for (let f = 0, kept = 0; f < imports.funcs; f++) importIndex.push(imports.refused.has(f) ? -1 : kept++);
  const keptImports = imports.funcs - imports.refused.size;
  const interruptFunc = keptImports;
  const moved = (f: number) => (f < imports.funcs ? importIndex[f]! : keptImports + 1 + (f - imports.funcs));
  const definedGlobals = find(6) ? new _Reader(find(6)!, 0).u32() : 0;
  const allocCounter = imports.globals + definedGlobals;
  const ticks = allocCounter + 1;

  let nextFunc = keptImports + 1 + definedTypes.length;
  const extraTypes: number[] = [];
  const extraBodies: number[][] = [];
  const slowPath = nextFunc++;
  extraTypes.push(voidType);
  extraBodies.push(_interruptBody(ticks, interruptFunc));
  const allocWrapper = imports.alloc ? nextFunc++ : null;
  if (imports.alloc) {
    extraTypes.push(imports.alloc.type);
    extraBodies.push(_allocBody(allocCounter, moved(imports.alloc.index), options.allocBudgetBytes));
  }
  const stubOf = new Map<number, number>();
  for (const [f, errno] of imports.refused) {
    stubOf.set(f, nextFunc++);
    extraTypes.push(imports.funcTypes[f]!);
    extraBodies.push(_errnoBody(errno));
  }
  // Every reference to a function: renumbered; `alloc` goes to its wrapper, a refused import to its stub.
  const refer = (f: number) => f === imports.alloc?.index ? allocWrapper! : (stubOf.get(f) ?? moved(f));
  const wrapperOf = new Map<number, number>();
  const wrap = (func: number): number => {
    let w = wrapperOf.get(func);
    if (w === undefined) {
      const type = func < imports.funcs ? imports.funcTypes[func]! : definedTypes[func - imports.funcs]!;
      const params = types.params.get(type);
      if (params === undefined) throw _invalid(`exported function ${func} has no function type`);
      w = nextFunc++;
      wrapperOf.set(func, w);
      extraTypes.push(type);
      extraBodies.push(_exportWrapperBody(allocCounter, refer(func), params));
    }
    return w;
  };

  const exports = find(7) ? _exports(find(7)!) : [];
  const initExports: string[] = [];
  for (const e of exports) {
    if (e.name.startsWith(_RESERVED_PREFIX)) {
      throw _invalid(`export name ${JSON.stringify(e.name)} is reserved`);
    }
  }
  const start = find(8) ? new _Reader(find(8)!, 0).u32() : null;
  if (start !== null) {
    exports.push({ name: INIT_EXPORTS.start, kind: 0, index: start });
    initExports.push(INIT_EXPORTS.start);
  }
  for (const e of exports) {
    const renamed = _RENAMED[e.name];
    if (renamed && e.kind === 0) {
      e.name = renamed;
      initExports.push(renamed);
    }
    if (e.kind === 0) e.index = wrap(e.index);
  }
  initExports.sort((a, b) => _initRank(a) - _initRank(b));

  // At function entry (recursion): the global countdown. In loops: a local one (a register, far cheaper than a
  // global in a tight loop), which falls back to the slow path when it runs out.
  const entryCheck = [
    ...[0x23, ..._u32(ticks), 0x45, 0x04, 0x40, 0x10, ..._u32(slowPath), 0x0b], // if ticks == 0: slow path
    ...[0x23, ..._u32(ticks), 0x41, 0x01, 0x6b, 0x24, ..._u32(ticks)], // ticks -= 1
  ];
  const loopCheck = (local: number) => [
    // if local == 0: slow path, local = period
    ...[0x20, ..._u32(local), 0x45, 0x04, 0x40, 0x10, ..._u32(slowPath)],
    ...[0x41, ..._s64(BigInt(INTERRUPT_PERIOD)), 0x21, ..._u32(local), 0x0b],
    ...[0x20, ..._u32(local), 0x41, 0x01, 0x6b, 0x21, ..._u32(local)], // local -= 1
  ];
  const paramsOf = (i: number) => types.params.get(definedTypes[i]!) ?? 0;
  const replaced = new Map<number, Uint8Array>();
  replaced.set(1, _appendTypes(find(1), [[0x60, 0x01, 0x7e, 0x01, 0x7e], [0x60, 0x00, 0x00]]));
  replaced.set(2, _rewriteImports(imports, interruptType));
  replaced.set(3, _encodeU32Vector([...definedTypes, ...extraTypes]));
  replaced.set(6, _appendGlobals(find(6), refer));
  replaced.set(7, _encodeExports(exports));
  replaced.set(10, _rewriteCode(find(10), { redirect: refer, entryCheck, loopCheck, paramsOf }, extraBodies));
  if (find(9)) replaced.set(9, _rewriteElements(find(9)!, refer));

  const out: number[] = [...bytes.subarray(0, 8)];
  const emit = (id: number, body: Uint8Array) => {
    out.push(id, ..._u32(body.length));
    for (const b of body) out.push(b);
  };
  const pending = new Set(replaced.keys());
  const flushBefore = (rank: number) => {
    for (const id of [...pending].sort((a, b) => _SECTION_ORDER[a]! - _SECTION_ORDER[b]!)) {
      if (_SECTION_ORDER[id]! < rank) {
        emit(id, replaced.get(id)!);
        pending.delete(id);
      }
    }
  };
  for (const s of sections) {
    if (s.id === 8) continue; // the start function is called by the host (INIT_EXPORTS.start)
    const rank = _SECTION_ORDER[s.id];
    if (rank === undefined) {
      if (s.id === 0 && _customName(s.body) === "name") continue; // stale indices
      emit(s.id, s.body); // other custom (and unknown) sections: WebAssembly.compile judges them
      continue;
    }
    flushBefore(rank);
    if (pending.has(s.id)) {
      emit(s.id, replaced.get(s.id)!);
      pending.delete(s.id);
    } else emit(s.id, s.body);
  }
  flushBefore(Infinity);
  return { bytes: new Uint8Array(out), initExports };
}

function _initRank(name: string): number {
  return name === INIT_EXPORTS.start ? 0 : name === INIT_EXPORTS.initialize ? 1 : 2;
}

// () -> (): reset the countdown, ask the host whether the call was abandoned, trap if it was.
function _interruptBody(ticks: number, interrupt: number): number[] {
  const code = [
    0x41,
    ..._s64(BigInt(INTERRUPT_PERIOD)),
    0x24,
    ..._u32(ticks), // ticks = period
    0x42,
    0x00,
    0x10,
    ..._u32(interrupt), // __af_interrupt(0)
    0x50,
    0x45, // i64.eqz; i32.eqz
    0x04,
    0x40,
    0x00,
    0x0b, // if: unreachable
    0x0b,
  ];
  return [..._u32(code.length + 1), 0x00, ...code];
}

// (param i64) (result i64): count, then ask the kernel for n bytes, or for -1 bytes once over budget.
function _allocBody(counter: number, alloc: number, budget: number): number[] {
  const code = [
    0x20,
    0x00, // local.get 0
    0x23,
    ..._u32(counter), // global.get counter
    0x7c, // i64.add
    0x24,
    ..._u32(counter), // global.set counter
    0x23,
    ..._u32(counter),
    0x42,
    ..._s64(BigInt(budget)), // i64.const budget
    0x56, // i64.gt_u
    0x04,
    0x7e, // if (result i64)
    0x42,
    0x7f, // i64.const -1
    0x05, // else
    0x20,
    0x00, // local.get 0
    0x0b, // end
    0x10,
    ..._u32(alloc), // call alloc
    0x0b,
  ];
  return [..._u32(code.length + 1), 0x00, ...code];
}

function _exportWrapperBody(counter: number, func: number, params: number): number[] {
  const code = [0x42, 0x00, 0x24, ..._u32(counter)]; // i64.const 0; global.set counter
  for (let i = 0; i < params; i++) code.push(0x20, ..._u32(i));
  code.push(0x10, ..._u32(func), 0x0b);
  return [..._u32(code.length + 1), 0x00, ...code];
}

// ---- sections -------------------------------------------------------------------------------------------

interface _Imports {
  funcs: number;
  globals: number;
  funcTypes: number[];
  alloc: { index: number; type: number } | null;
  /** Function imports replaced by a stub: index -> the WASI errno the stub returns. */
  refused: Map<number, number>;
  /** The bytes of each import entry that is kept. */
  kept: Uint8Array[];
}

function _imports(body: Uint8Array | undefined): _Imports {
  const out: _Imports = { funcs: 0, globals: 0, funcTypes: [], alloc: null, refused: new Map(), kept: [] };
  if (!body) return out;
  const r = new _Reader(body, 0);
  for (let n = r.u32(); n > 0; n--) {
    const start = r.pos;
    const module = r.name();
    const field = r.name();
    const kind = r.byte();
    if (kind === 0) {
      const type = r.u32();
      if (module === "extism:host/env" && field === "alloc") out.alloc = { index: out.funcs, type };
      const errno = _REFUSED_IMPORTS[`${module}.${field}`];
      if (errno !== undefined) out.refused.set(out.funcs, errno);
      else out.kept.push(body.subarray(start, r.pos));
      out.funcTypes.push(type);
      out.funcs++;
      continue;
    } else if (kind === 1) {
      r.valType();
      r.limits();
    } else if (kind === 2) r.limits();
    else if (kind === 3) {
      r.valType();
      r.byte();
      out.globals++;
    } else if (kind === 4) {
      r.byte();
      r.u32();
    } else throw _invalid(`unknown import kind ${kind}`);
    out.kept.push(body.subarray(start, r.pos));
  }
  return out;
}

// The kept imports, then the interrupt check (`extism:host/user` `__af_interrupt`).
function _rewriteImports(imports: _Imports, interruptType: number): Uint8Array {
  const module = new TextEncoder().encode("extism:host/user");
  const name = new TextEncoder().encode(INTERRUPT_IMPORT);
  return new Uint8Array([
    ..._u32(imports.kept.length + 1),
    ...imports.kept.flatMap((entry) => [...entry]),
    ..._u32(module.length),
    ...module,
    ..._u32(name.length),
    ...name,
    0x00,
    ..._u32(interruptType),
  ]);
}

// A stub for a refused import: whatever its parameters, it returns `errno` (an i32, as every WASI call does).
function _errnoBody(errno: number): number[] {
  const code = [0x41, ..._s64(BigInt(errno)), 0x0b];
  return [..._u32(code.length + 1), 0x00, ...code];
}

function _appendTypes(body: Uint8Array | undefined, added: readonly number[][]): Uint8Array {
  const r = new _Reader(body ?? new Uint8Array([0]), 0);
  const count = r.u32();
  return new Uint8Array([
    ..._u32(count + added.length),
    ...(body ?? new Uint8Array()).subarray(r.pos),
    ...added.flat(),
  ]);
}

function _customName(body: Uint8Array): string {
  try {
    return new _Reader(body, 0).name();
  } catch {
    return "";
  }
}

// Type index -> parameter count for function types, and the number of types (GC rec groups and sub types
// included).
function _types(body: Uint8Array | undefined): { params: Map<number, number>; count: number } {
  const out = new Map<number, number>();
  if (!body) return { params: out, count: 0 };
  const r = new _Reader(body, 0);
  let index = 0;
  const compType = () => {
    const form = r.byte();
    if (form === 0x60) {
      const params = r.u32();
      for (let i = 0; i < params; i++) r.valType();
      for (let i = r.u32(); i > 0; i--) r.valType();
      out.set(index, params);
    } else if (form === 0x5f) {
      for (let i = r.u32(); i > 0; i--) r.fieldType();
    } else if (form === 0x5e) r.fieldType();
    else throw _invalid(`unknown type form 0x${form.toString(16)}`);
    index++;
  };
  const subType = () => {
    const b = r.peek();
    if (b === 0x50 || b === 0x4f) {
      r.byte();
      for (let i = r.u32(); i > 0; i--) r.u32();
    }
    compType();
  };
  for (let n = r.u32(); n > 0; n--) {
    if (r.peek() === 0x4e) {
      r.byte();
      for (let i = r.u32(); i > 0; i--) subType();
    } else subType();
  }
  return { params: out, count: index };
}

function _exports(body: Uint8Array): { name: string; kind: number; index: number }[] {
  const r = new _Reader(body, 0);
  const out = [];
  for (let n = r.u32(); n > 0; n--) out.push({ name: r.name(), kind: r.byte(), index: r.u32() });
  return out;
}

function _encodeExports(exports: readonly { name: string; kind: number; index: number }[]): Uint8Array {
  const out: number[] = [..._u32(exports.length)];
  for (const e of exports) {
    const name = new TextEncoder().encode(e.name);
    out.push(..._u32(name.length), ...name, e.kind, ..._u32(e.index));
  }
  return new Uint8Array(out);
}

function _u32Vector(body: Uint8Array): number[] {
  const r = new _Reader(body, 0);
  const out = [];
  for (let n = r.u32(); n > 0; n--) out.push(r.u32());
  return out;
}

function _encodeU32Vector(values: readonly number[]): Uint8Array {
  return new Uint8Array([..._u32(values.length), ...values.flatMap(_u32)]);
}

// Globals: constant expressions rewritten (function indices), then the allocation counter
// (global (mut i64) (i64.const 0)) and the interrupt countdown (global (mut i32) (i32.const PERIOD)).
function _appendGlobals(body: Uint8Array | undefined, redirect: (f: number) => number): Uint8Array {
  const out: number[] = [];
  let count = 0;
  if (body) {
    const r = new _Reader(body, 0);
    count = r.u32();
    for (let i = 0; i < count; i++) {
      const start = r.pos;
      r.valType();
      r.byte();
      out.push(...body.subarray(start, r.pos));
      out.push(..._rewriteExpr(r, redirect));
    }
  }
  out.push(0x7e, 0x01, 0x42, 0x00, 0x0b);
  out.push(0x7f, 0x01, 0x41, ..._s64(BigInt(INTERRUPT_PERIOD)), 0x0b);
  return new Uint8Array([..._u32(count + 2), ...out]);
}

function _rewriteElements(body: Uint8Array, redirect: (f: number) => number): Uint8Array {
  const r = new _Reader(body, 0);
  const n = r.u32();
  const out: number[] = [..._u32(n)];
  for (let i = 0; i < n; i++) {
    const flags = r.u32();
    out.push(..._u32(flags));
    const copy = (fn: () => void) => {
      const start = r.pos;
      fn();
      out.push(...body.subarray(start, r.pos));
    };
    if (flags > 7) throw _invalid(`unknown element segment flags ${flags}`);
    if (flags === 2 || flags === 6) copy(() => r.u32()); // table index
    if ((flags & 1) === 0) out.push(..._rewriteExpr(r, redirect)); // active: offset expression
    if ((flags & 4) === 0) {
      if (flags & 3) copy(() => r.byte()); // elemkind
      const count = r.u32();
      out.push(..._u32(count));
      for (let j = 0; j < count; j++) out.push(..._u32(redirect(r.u32())));
    } else {
      if (flags & 3) copy(() => r.valType()); // reftype
      const count = r.u32();
      out.push(..._u32(count));
      for (let j = 0; j < count; j++) out.push(..._rewriteExpr(r, redirect));
    }
  }
  return new Uint8Array(out);
}

interface _CodeRewrite {
  redirect: (f: number) => number;
  entryCheck: readonly number[];
  loopCheck: (local: number) => number[];
  /** Parameter count of the i-th defined function. */
  paramsOf: (i: number) => number;
}

// Function bodies: indices rewritten; one i32 local added (after the existing ones, so no index moves) for the
// loop countdown; the interrupt checks at entry and at the top of every loop.
function _rewriteCode(body: Uint8Array | undefined, c: _CodeRewrite, extra: readonly number[][]): Uint8Array {
  const out: number[] = [];
  let count = 0;
  if (body) {
    const r = new _Reader(body, 0);
    count = r.u32();
    for (let i = 0; i < count; i++) {
      const size = r.u32();
      const end = r.pos + size;
      const fr = new _Reader(body.subarray(0, end), r.pos);
      const groups = fr.u32();
      const head = fr.pos;
      let locals = c.paramsOf(i);
      for (let n = groups; n > 0; n--) {
        locals += fr.u32();
        fr.valType();
      }
      const loopCheck = c.loopCheck(locals);
      const fn: number[] = [
        ..._u32(groups + 1),
        ...body.subarray(head, fr.pos),
        0x01,
        0x7f, // (local i32)
        ...c.entryCheck,
        0x41,
        ..._s64(BigInt(INTERRUPT_PERIOD)),
        0x21,
        ..._u32(locals), // local = period
      ];
      while (fr.pos < end) {
        const isLoop = fr.peek() === 0x03;
        fn.push(..._instruction(fr, c.redirect));
        if (isLoop) fn.push(...loopCheck);
      }
      out.push(..._u32(fn.length), ...fn);
      r.pos = end;
    }
  }
  for (const b of extra) out.push(...b);
  return new Uint8Array([..._u32(count + extra.length), ...out]);
}

// A constant expression, up to and including its `end`.
function _rewriteExpr(r: _Reader, redirect: (f: number) => number): number[] {
  const out: number[] = [];
  for (;;) {
    const atEnd = r.peek() === 0x0b;
    out.push(..._instruction(r, redirect));
    if (atEnd) return out;
  }
}

// ---- instructions ---------------------------------------------------------------------------------------

// One instruction, re-encoded: the bytes as they are, except function indices that `redirect` changes.
function _instruction(r: _Reader, redirect: (f: number) => number): number[] {
  const start = r.pos;
  const op = r.byte();
  const copy = () => [...r.bytes.subarray(start, r.pos)];
  switch (op) {
    case 0x10: // call
    case 0x12: // return_call
    case 0xd2: { // ref.func
      const f = r.u32();
      const to = redirect(f);
      return to === f ? copy() : [op, ..._u32(to)];
    }
    case 0x02:
    case 0x03:
    case 0x04:
    case 0x06:
      r.blockType();
      return copy();
    case 0x07:
    case 0x08:
    case 0x09:
    case 0x0c:
    case 0x0d:
    case 0x14:
    case 0x15:
    case 0x18:
    case 0x20:
    case 0x21:
    case 0x22:
    case 0x23:
    case 0x24:
    case 0x25:
    case 0x26:
    case 0x3f:
    case 0x40:
    case 0xd5:
    case 0xd6:
      r.u32();
      return copy();
    case 0x0e:
      for (let n = r.u32(); n >= 0; n--) r.u32(); // labels and the default
      return copy();
    case 0x11:
    case 0x13:
      r.u32();
      r.u32();
      return copy();
    case 0x1c:
      for (let n = r.u32(); n > 0; n--) r.valType();
      return copy();
    case 0x1f:
      r.blockType();
      for (let n = r.u32(); n > 0; n--) {
        const kind = r.byte();
        if (kind <= 1) r.u32();
        else if (kind > 3) throw _invalid(`unknown try_table catch kind ${kind}`);
        r.u32();
      }
      return copy();
    case 0x41:
    case 0x42:
      r.sleb();
      return copy();
    case 0x43:
      r.skip(4);
      return copy();
    case 0x44:
      r.skip(8);
      return copy();
    case 0xd0:
      r.sleb();
      return copy();
    case 0xfb:
      _gc(r);
      return copy();
    case 0xfc:
      _misc(r);
      return copy();
    case 0xfd:
      _simd(r);
      return copy();
    case 0xfe:
      _atomic(r);
      return copy();
  }
  if (op >= 0x28 && op <= 0x3e) {
    r.memArg();
    return copy();
  }
  if (
    op <= 0x01 || op === 0x05 || op === 0x0a || op === 0x0b || op === 0x0f || op === 0x19 || op === 0x1a ||
    op === 0x1b || (op >= 0x45 && op <= 0xc4) || op === 0xd1 || op === 0xd3 || op === 0xd4
  ) return copy();
  throw _invalid(`unsupported instruction 0x${op.toString(16)}`);
}

function _gc(r: _Reader): void {
  const sub = r.u32();
  if ([0, 1, 6, 7, 11, 12, 13, 14, 16].includes(sub)) r.u32();
  else if ([2, 3, 4, 5, 8, 9, 10, 17, 18, 19].includes(sub)) {
    r.u32();
    r.u32();
  } else if (sub >= 20 && sub <= 23) r.sleb();
  else if (sub === 24 || sub === 25) {
    r.byte();
    r.u32();
    r.sleb();
    r.sleb();
  } else if (sub !== 15 && !(sub >= 26 && sub <= 30)) throw _invalid(`unsupported instruction 0xfb ${sub}`);
}

function _misc(r: _Reader): void {
  const sub = r.u32();
  if (sub <= 7) return;
  if (sub === 8 || sub === 10 || sub === 12 || sub === 14) {
    r.u32();
    r.u32();
  } else if (sub === 9 || sub === 11 || sub === 13 || (sub >= 15 && sub <= 17)) r.u32();
  else throw _invalid(`unsupported instruction 0xfc ${sub}`);
}

function _simd(r: _Reader): void {
  const sub = r.u32();
  if (sub <= 11 || sub === 92 || sub === 93) r.memArg();
  else if (sub === 12 || sub === 13) r.skip(16);
  else if (sub >= 21 && sub <= 34) r.skip(1);
  else if (sub >= 84 && sub <= 91) {
    r.memArg();
    r.skip(1);
  } else if (sub > 0x113) throw _invalid(`unsupported instruction 0xfd ${sub}`);
}

function _atomic(r: _Reader): void {
  const sub = r.u32();
  if (sub === 3) r.skip(1);
  else if (sub <= 2 || (sub >= 0x10 && sub <= 0x4e)) r.memArg();
  else throw _invalid(`unsupported instruction 0xfe ${sub}`);
}

// ---- bytes ----------------------------------------------------------------------------------------------

class _Reader {
  constructor(readonly bytes: Uint8Array, public pos: number) {}

  peek(): number {
    if (this.pos >= this.bytes.length) throw _invalid("unexpected end of module");
    return this.bytes[this.pos]!;
  }
  byte(): number {
    const b = this.peek();
    this.pos++;
    return b;
  }
  skip(n: number): void {
    if (this.pos + n > this.bytes.length) throw _invalid("unexpected end of module");
    this.pos += n;
  }
  u32(): number {
    let result = 0;
    for (let shift = 0;; shift += 7) {
      if (shift > 28) throw _invalid("bad LEB128 integer");
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
  }
  sleb(): void {
    for (let i = 0; this.byte() & 0x80; i++) if (i > 9) throw _invalid("bad LEB128 integer");
  }
  name(): string {
    const n = this.u32();
    const start = this.pos;
    this.skip(n);
    return new TextDecoder().decode(this.bytes.subarray(start, start + n));
  }
  valType(): void {
    const b = this.byte();
    if (b === 0x63 || b === 0x64) this.sleb();
  }
  fieldType(): void {
    this.valType(); // packed i8/i16 (0x78, 0x77) are single bytes too
    this.byte();
  }
  blockType(): void {
    const b = this.peek();
    if (b === 0x63 || b === 0x64) this.valType();
    else this.sleb();
  }
  limits(): void {
    const flags = this.byte();
    if (flags & 0x04) {
      this.sleb();
      if (flags & 1) this.sleb();
    } else {
      this.u32();
      if (flags & 1) this.u32();
    }
  }
  memArg(): void {
    const align = this.u32();
    if (align & 0x40) this.u32(); // memory index (multi-memory)
    this.sleb(); // offset (u64 for memory64)
  }
}

function _s64(value: bigint): number[] {
  const out: number[] = [];
  let v = value;
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function _invalid(detail: string): AetherflowError {
  return new AetherflowError(`Invalid plugin module: ${detail}`, {
    code: "plugin:invalid_module",
    exitCode: EXIT.INVALID,
  });
}
