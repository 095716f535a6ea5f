//! A streaming emulator of the pickle machine (protocols 0–5).
//!
//! It mirrors what CPython's unpickler does with the stack, the mark stack (as a fence, like
//! `_pickle.c`), the memo, frames and stacked pickles, but it never imports or calls anything:
//! every global is judged by [`crate::globals`], and every call site (REDUCE, OBJ, INST, NEWOBJ,
//! NEWOBJ_EX, BUILD, persistent ids, extension codes) is checked against the use the allowlist
//! permits. Bytes are pushed in chunks of any size; large string/bytes payloads are skipped
//! (and sniffed for nested pickles or archives) rather than buffered, so memory does not grow
//! with tensor payloads.

use crate::core::Child;
use crate::globals::{self, CALL, Class, NEW, Special};
use crate::limits::Limits;
use crate::report::{Safety, Sink, Verdict};
use std::collections::HashMap;

/// How the stream will be loaded, which decides what may follow the first STOP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A file that starts with PROTO: `pickle.load`, `torch.load` (legacy), stacked pickles.
    Raw,
    /// A file without a magic number: it is a pickle only if it parses as one.
    Speculative,
    /// Exactly one pickle (an archive's `data.pkl`, a `.npy` object payload): trailing bytes
    /// are ambiguous.
    Single,
    /// The `storages` member of a legacy torch tar: pickles interleaved with raw storage bytes.
    TarStorages,
    /// The `tensors` member of a legacy torch tar: pickles interleaved with raw shape records.
    TarTensors,
}

/// The magic number of legacy (pre-zip) `torch.save` files.
const TORCH_LEGACY_MAGIC: i128 = 0x1950A86A20F9469CFC6C;

#[derive(Debug, Clone, Copy, PartialEq)]
enum V {
    None,
    Bool(bool),
    /// Integers that fit 32 bits; larger ones live on the heap as `Obj::BigInt`.
    Int(i32),
    /// Float values never matter to a verdict.
    Float,
    Obj(u32),
    /// A string in the machine's string arena (short strings need no heap object).
    Str {
        len: u16,
        start: u32,
    },
    /// A tuple in the machine's item arena.
    Tuple {
        len: u16,
        start: u32,
    },
}

// A value is 8 bytes: the stack, the memo and the tuple arena are the emulator's memory.
const _: () = assert!(std::mem::size_of::<V>() == 8);
const _: () = assert!(std::mem::size_of::<Option<V>>() == 8);

/// Emulated objects. Kept at 24 bytes: strings and tuple items live in per-machine arenas, the
/// rare large variants are boxed, so opcode-dense pickles cost no allocation per object.
#[derive(Debug)]
enum Obj {
    Str {
        start: usize,
        len: u32,
    },
    StrBig,
    Bytes(Box<[u8]>),
    BytesBig {
        nested: Option<Box<Sink>>,
    },
    BigInt(Box<Option<i128>>),
    Tuple {
        start: usize,
        len: u32,
    },
    List(Box<Seq>),
    Dict(Box<Map>),
    Set,
    Global(Box<GlobalObj>),
    Inst {
        special: Special,
        allowed: bool,
        args: V,
        state: V,
    },
    Opaque {
        allowed: bool,
    },
}

#[derive(Debug, Default)]
struct Seq {
    items: Vec<V>,
    len: u64,
}

#[derive(Debug, Default)]
struct Map {
    items: Vec<(V, V)>,
    len: u64,
}

#[derive(Debug)]
struct GlobalObj {
    module: Box<str>,
    name: Box<str>,
    class: Class,
}

fn inst(special: Special, allowed: bool) -> Obj {
    Obj::Inst {
        special,
        allowed,
        args: V::None,
        state: V::None,
    }
}

const RETAIN_ITEMS: usize = 4096;

enum Fail {
    Malformed(String),
    Limit(String),
    /// A FRAME differential (security research §2.2 #13).
    Frame(String),
}

type R<T> = Result<T, Box<Fail>>;

/// Findings that leave no code run when no global was resolved: without a magic number, a
/// stream that has only these and then fails (or ends) before its STOP is not a pickle — the
/// loader raises at that point, having imported and called nothing. (Random bytes reach such
/// states about once in 500 files; raw tensor shards must not be refused for it.)
const NOTHING_RAN: &[&str] = &[
    "pickle.persistent-id",
    "pickle.out-of-band",
    "pickle.anomaly",
];

fn malformed(s: impl Into<String>) -> Box<Fail> {
    Box::new(Fail::Malformed(s.into()))
}

fn limit(s: impl Into<String>) -> Box<Fail> {
    Box::new(Fail::Limit(s.into()))
}

fn frame_fail(s: impl Into<String>) -> Box<Fail> {
    Box::new(Fail::Frame(s.into()))
}

fn bad<T>(s: impl Into<String>) -> R<T> {
    Err(malformed(s))
}

/// One unpickler instance: a fresh memo and stack, as `pickle.load` creates each time.
struct Machine {
    stack: Vec<V>,
    marks: Vec<usize>,
    memo: Vec<Option<V>>,
    memo_sparse: HashMap<u64, V>,
    heap: Vec<Obj>,
    /// UTF-8 text of the strings (validated when pushed).
    strs: Vec<u8>,
    vals: Vec<V>,
    proto: u8,
    ops: u64,
    globals_seen: u32,
    joblib_raw: (u64, bool),
}

/// What the byte loop must do after an opcode.
enum Next {
    Go,
    Stop(V),
    /// joblib: raw array bytes follow the BUILD (padding byte first when `aligned`).
    /// The byte count and alignment flag are in `Machine::joblib_raw`.
    JoblibRaw,
    /// joblib: an object array, i.e. a nested pickle inline.
    JoblibPickle,
}

impl Machine {
    fn new() -> Self {
        Self {
            stack: Vec::with_capacity(64),
            marks: Vec::new(),
            memo: Vec::new(),
            memo_sparse: HashMap::new(),
            heap: Vec::new(),
            strs: Vec::new(),
            vals: Vec::new(),
            proto: 0,
            ops: 0,
            globals_seen: 0,
            joblib_raw: (0, false),
        }
    }

    #[inline]
    fn fence(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    #[inline]
    fn alloc(&mut self, o: Obj, lim: &Limits) -> R<V> {
        if self.heap.len() >= lim.max_objects {
            return Err(limit(format!("more than {} objects", lim.max_objects)));
        }
        self.heap.push(o);
        Ok(V::Obj((self.heap.len() - 1) as u32))
    }

    #[inline]
    fn push(&mut self, v: V, lim: &Limits) -> R<()> {
        if self.stack.len() >= lim.max_stack {
            return Err(limit(format!("stack deeper than {}", lim.max_stack)));
        }
        self.stack.push(v);
        Ok(())
    }

    #[inline]
    fn pop(&mut self) -> R<V> {
        if self.stack.len() <= self.fence() {
            return bad("unpickling stack underflow");
        }
        self.stack
            .pop()
            .ok_or_else(|| malformed("unpickling stack underflow"))
    }

    #[inline]
    fn top(&self) -> R<V> {
        if self.stack.len() <= self.fence() {
            return bad("unpickling stack underflow");
        }
        self.stack
            .last()
            .copied()
            .ok_or_else(|| malformed("unpickling stack underflow"))
    }

    fn pop_mark(&mut self) -> R<Vec<V>> {
        let Some(m) = self.marks.pop() else {
            return bad("could not find MARK");
        };
        if m > self.stack.len() {
            return bad("mark above stack");
        }
        Ok(self.stack.split_off(m))
    }

    fn obj(&self, v: V) -> Option<&Obj> {
        match v {
            V::Obj(i) => self.heap.get(i as usize),
            _ => None,
        }
    }

    fn str_of(&self, v: V) -> Option<&str> {
        match self.obj(v) {
            Some(Obj::Str { start, len }) => self
                .strs
                .get(*start..*start + *len as usize)
                .and_then(|b| std::str::from_utf8(b).ok()),
            None => match v {
                V::Str { start, len } => self
                    .strs
                    .get(start as usize..start as usize + usize::from(len))
                    .and_then(|b| std::str::from_utf8(b).ok()),
                _ => None,
            },
            _ => None,
        }
    }

    /// An integer value: inline when it fits 32 bits.
    #[inline]
    fn int(&mut self, n: Option<i128>, lim: &Limits) -> R<V> {
        match n.and_then(|n| i32::try_from(n).ok()) {
            Some(i) => Ok(V::Int(i)),
            None => self.alloc(Obj::BigInt(Box::new(n)), lim),
        }
    }

    fn int_of(&self, v: V) -> Option<i128> {
        match v {
            V::Int(i) => Some(i128::from(i)),
            V::Bool(b) => Some(i128::from(b)),
            V::Obj(i) => match self.heap.get(i as usize) {
                Some(Obj::BigInt(n)) => **n,
                _ => None,
            },
            _ => None,
        }
    }

    #[inline]
    fn new_str(&mut self, s: &str, lim: &Limits) -> R<V> {
        let start = self.strs.len();
        self.strs.extend_from_slice(s.as_bytes());
        match (u32::try_from(start), u16::try_from(s.len())) {
            (Ok(start), Ok(len)) => Ok(V::Str { len, start }),
            _ => self.alloc(
                Obj::Str {
                    start,
                    len: s.len() as u32,
                },
                lim,
            ),
        }
    }

    /// A tuple of the stack items from `from` up; they are removed from the stack.
    #[inline]
    fn tuple_from_stack(&mut self, from: usize, lim: &Limits) -> R<V> {
        let start = self.vals.len();
        let len = self.stack.len() - from;
        if len <= 3 {
            // TUPLE1..3: element pushes beat a memmove call.
            for i in from..self.stack.len() {
                self.vals.push(self.stack[i]);
            }
        } else {
            self.vals.extend_from_slice(&self.stack[from..]);
        }
        self.stack.truncate(from);
        self.tuple_at(start, len, lim)
    }

    fn new_tuple(&mut self, items: &[V], lim: &Limits) -> R<V> {
        let start = self.vals.len();
        self.vals.extend_from_slice(items);
        self.tuple_at(start, items.len(), lim)
    }

    #[inline]
    fn tuple_at(&mut self, start: usize, len: usize, lim: &Limits) -> R<V> {
        match (u32::try_from(start), u16::try_from(len)) {
            (Ok(start), Ok(len)) => Ok(V::Tuple { len, start }),
            _ => match u32::try_from(len) {
                Ok(len) => self.alloc(Obj::Tuple { start, len }, lim),
                Err(_) => Err(limit("tuple with more than 2^32 items")),
            },
        }
    }

    /// Data-only opcodes on the hot path of opcode-dense pickles. `None`: not handled here.
    #[inline]
    fn fast(&mut self, op: u8, b: &[u8], lim: &Limits) -> Option<R<()>> {
        let v = match op {
            b'K' => V::Int(i32::from(b[1])),
            b'M' => V::Int(i32::from(u16::from_le_bytes([b[1], b[2]]))),
            b'J' => V::Int(i32::from_le_bytes([b[1], b[2], b[3], b[4]])),
            b'N' => V::None,
            0x88 => V::Bool(true),
            0x89 => V::Bool(false),
            b'G' => V::Float,
            0x8c if b[2..].is_ascii() => {
                let raw = &b[2..];
                let start = u32::try_from(self.strs.len()).ok()?;
                self.strs.extend_from_slice(raw);
                V::Str {
                    len: raw.len() as u16,
                    start,
                }
            }
            0x94 => {
                self.ops += 1;
                let key = (self.memo.len() + self.memo_sparse.len()) as u64;
                return Some(self.top().and_then(|v| self.memo_put(key, v, lim)));
            }
            b'q' => {
                self.ops += 1;
                return Some(
                    self.top()
                        .and_then(|v| self.memo_put(u64::from(b[1]), v, lim)),
                );
            }
            b'h' => match self.memo.get(usize::from(b[1])) {
                Some(Some(v)) => *v,
                _ => return None,
            },
            0x85..=0x87 => {
                let k = usize::from(op - 0x84);
                if self.stack.len() < self.fence() + k {
                    return None;
                }
                self.ops += 1;
                let from = self.stack.len() - k;
                return Some(
                    self.tuple_from_stack(from, lim)
                        .and_then(|t| self.push(t, lim)),
                );
            }
            _ => return None,
        };
        self.ops += 1;
        Some(self.push(v, lim))
    }

    /// Pop the top mark; the items above it stay on the stack from the returned index.
    #[inline]
    fn take_mark(&mut self) -> R<usize> {
        let Some(m) = self.marks.pop() else {
            return bad("could not find MARK");
        };
        if m > self.stack.len() {
            return bad("mark above stack");
        }
        Ok(m)
    }

    #[inline]
    fn memo_put(&mut self, key: u64, v: V, lim: &Limits) -> R<()> {
        let len = self.memo.len() as u64;
        if key < len {
            self.memo[key as usize] = Some(v);
        } else if key == len {
            if self.memo.len() + self.memo_sparse.len() >= lim.max_memo {
                return Err(limit(format!("memo larger than {}", lim.max_memo)));
            }
            self.memo.push(Some(v));
        } else {
            if self.memo.len() + self.memo_sparse.len() >= lim.max_memo {
                return Err(limit(format!("memo larger than {}", lim.max_memo)));
            }
            self.memo_sparse.insert(key, v);
        }
        Ok(())
    }

    #[inline]
    fn memo_get(&self, key: u64) -> R<V> {
        let v = if key < self.memo.len() as u64 {
            self.memo[key as usize]
        } else {
            self.memo_sparse.get(&key).copied()
        };
        v.ok_or_else(|| malformed(format!("memo value not found at index {key}")))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Reduce,
    Obj,
    Inst,
    NewObj,
    NewObjEx,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Reduce => "REDUCE",
            Kind::Obj => "OBJ",
            Kind::Inst => "INST",
            Kind::NewObj => "NEWOBJ",
            Kind::NewObjEx => "NEWOBJ_EX",
        }
    }
    fn use_bit(self) -> u8 {
        match self {
            Kind::NewObj | Kind::NewObjEx => NEW,
            _ => CALL,
        }
    }
}

/// Context the machine needs from the stream for nested scans.
struct Ctx<'a> {
    sink: &'a mut Sink,
    lim: &'a Limits,
    depth: u8,
}

impl Machine {
    fn global(&mut self, module: &str, name: &str, at: u64, cx: &mut Ctx) -> R<V> {
        let (m, n) = globals::normalise(module, name);
        // No module or attribute can have such a name, so the loader's import fails here and
        // nothing after this opcode runs. Text such as a CSV starting `id,...` (INST) reads like
        // this; without a magic number it is then not a pickle at all (see `fail`).
        if !globals::is_identifier_path(&m) || !globals::is_identifier_path(&n) {
            return Err(Box::new(Fail::Malformed(format!(
                "malformed global name {m:?} {n:?}"
            ))));
        }
        let class = globals::classify(&m, &n);
        self.globals_seen = self.globals_seen.saturating_add(1);
        match &class {
            Class::Allowed { .. } => cx.sink.import(&m, &n, Safety::Innocuous),
            Class::Dangerous(why) => {
                cx.sink.import(&m, &n, Safety::Dangerous);
                cx.sink
                    .add("pickle.dangerous-global", Verdict::Unsafe, at, why.clone());
            }
            Class::Unlisted => {
                cx.sink.import(&m, &n, Safety::Suspicious);
                let why = if globals::is_torchscript_module(&m) {
                    format!(
                        "TorchScript class {m}.{n} (resolved by TorchScript code in the archive)"
                    )
                } else {
                    format!("{m}.{n} is not on the allowlist")
                };
                cx.sink
                    .add("pickle.unlisted-global", Verdict::Unknown, at, why);
            }
        }
        self.alloc(
            Obj::Global(Box::new(GlobalObj {
                module: m.into(),
                name: n.into(),
                class,
            })),
            cx.lim,
        )
    }

    fn global_class(&self, v: V) -> Option<(&str, &str, &Class)> {
        match self.obj(v) {
            Some(Obj::Global(g)) => Some((&g.module, &g.name, &g.class)),
            _ => None,
        }
    }

    fn tuple_items(&self, v: V) -> Option<&[V]> {
        match self.obj(v) {
            Some(Obj::Tuple { start, len }) => self.vals.get(*start..*start + *len as usize),
            None => match v {
                V::Tuple { start, len } => self
                    .vals
                    .get(start as usize..start as usize + usize::from(len)),
                _ => None,
            },
            _ => None,
        }
    }

    /// Any call site. Returns the emulated result.
    fn call(&mut self, kind: Kind, callable: V, args: V, at: u64, cx: &mut Ctx) -> R<V> {
        let Some((module, name, class)) = self.global_class(callable) else {
            let what = match self.obj(callable) {
                Some(Obj::Opaque { allowed: false }) | Some(Obj::Inst { allowed: false, .. }) => {
                    // Already reported when the unlisted/dangerous global was referenced, but a call of
                    // a computed value is itself a gadget pattern.
                    "the result of a non-allowlisted call"
                }
                _ => "a value that is not a global",
            };
            cx.sink.add(
                "pickle.computed-call",
                Verdict::Unsafe,
                at,
                format!("{} of {what}", kind.name()),
            );
            return self.alloc(Obj::Opaque { allowed: false }, cx.lim);
        };
        let full = format!("{module}.{name}");
        let (uses, special) = match class {
            Class::Allowed { uses, special } => (*uses, *special),
            _ => return self.alloc(Obj::Opaque { allowed: false }, cx.lim),
        };
        if uses & kind.use_bit() == 0 {
            cx.sink.add(
                "pickle.disallowed-use",
                Verdict::Unknown,
                at,
                format!(
                    "{full} is allowlisted only as a value, not for {}",
                    kind.name()
                ),
            );
            return self.alloc(Obj::Opaque { allowed: false }, cx.lim);
        }
        if self.tuple_items(args).is_none() && kind == Kind::Reduce {
            return bad(format!("REDUCE arguments for {full} are not a tuple"));
        }
        let argv: Vec<V> = self
            .tuple_items(args)
            .map(|t| t.to_vec())
            .unwrap_or_default();
        match special {
            Special::Instance | Special::JoblibWrapper | Special::Dtype => self.alloc(
                Obj::Inst {
                    special,
                    allowed: true,
                    args,
                    state: V::None,
                },
                cx.lim,
            ),
            Special::Dict => self.alloc(Obj::Dict(Box::default()), cx.lim),
            Special::List => self.alloc(Obj::List(Box::default()), cx.lim),
            Special::Set => self.alloc(Obj::Set, cx.lim),
            Special::CodecsEncode => {
                let s = argv.first().and_then(|v| self.str_of(*v));
                let enc = argv
                    .get(1)
                    .and_then(|v| self.str_of(*v))
                    .map(|e| e.to_ascii_lowercase());
                match (s, enc.as_deref(), argv.len()) {
                    (Some(s), Some("latin1" | "latin-1" | "iso-8859-1" | "iso8859-1"), 2) => {
                        let mut out = Vec::with_capacity(s.len());
                        for ch in s.chars() {
                            match u8::try_from(u32::from(ch)) {
                                Ok(b) => out.push(b),
                                Err(_) => return bad("_codecs.encode: character outside latin-1"),
                            }
                        }
                        self.alloc(Obj::Bytes(out.into_boxed_slice()), cx.lim)
                    }
                    (Some(s), Some("utf-8" | "utf8"), 2) => {
                        let b = s.as_bytes().to_vec().into_boxed_slice();
                        self.alloc(Obj::Bytes(b), cx.lim)
                    }
                    _ => {
                        cx.sink.add(
                            "pickle.disallowed-use",
                            Verdict::Unknown,
                            at,
                            "_codecs.encode called with unexpected arguments",
                        );
                        self.alloc(Obj::Opaque { allowed: false }, cx.lim)
                    }
                }
            }
            Special::NestedLoad => {
                self.nested_load(&full, argv.first().copied(), at, cx);
                self.alloc(Obj::Opaque { allowed: true }, cx.lim)
            }
            Special::Getattr => {
                let target = argv.first().copied();
                let attr = argv.get(1).and_then(|v| self.str_of(*v)).map(str::to_owned);
                // Bound methods pickle as getattr(instance, name): fine on values built in this
                // pickle; on a module or class it is the classic gadget.
                let ok_target =
                    target.is_some() && target.and_then(|t| self.global_class(t)).is_none();
                let public = attr.as_deref().is_some_and(|a| {
                    !a.starts_with('_')
                        && a.chars().all(|c| c == '_' || c.is_alphanumeric())
                        && !a.is_empty()
                });
                if argv.len() == 2 && ok_target && public {
                    self.alloc(Obj::Opaque { allowed: false }, cx.lim)
                } else {
                    cx.sink.add(
                        "pickle.getattr-gadget",
                        Verdict::Unsafe,
                        at,
                        format!(
                            "getattr({}, {:?}) reaches an attribute of a module, class or private name",
                            match target.and_then(|t| self.global_class(t)) {
                                Some((m, n, _)) => format!("{m}.{n}"),
                                None => "<value>".into(),
                            },
                            attr.unwrap_or_default()
                        ),
                    );
                    self.alloc(Obj::Opaque { allowed: false }, cx.lim)
                }
            }
            Special::Reconstructor => {
                // copyreg._reconstructor(cls, base, state)
                let cls = argv.first().copied();
                let base_ok = match argv.get(1).and_then(|b| self.global_class(*b)) {
                    Some((m, _, Class::Allowed { .. })) => m == "builtins",
                    _ => false,
                };
                if argv.len() != 3 || !base_ok {
                    cx.sink.add(
                        "pickle.disallowed-use",
                        Verdict::Unknown,
                        at,
                        "copyreg._reconstructor with a base that is not an allowlisted builtin type",
                    );
                }
                self.instantiate(cls, at, cx)
            }
            Special::NewObj => self.instantiate(argv.first().copied(), at, cx),
            Special::RebuildFromType => {
                // _rebuild_from_type_v2(func, new_type, args, state) calls func(*args).
                let func_ok = match argv.first().and_then(|f| self.global_class(*f)) {
                    Some((_, _, Class::Allowed { uses, .. })) => uses & CALL != 0,
                    _ => false,
                };
                if !func_ok {
                    cx.sink.add(
                        "pickle.disallowed-use",
                        Verdict::Unsafe,
                        at,
                        format!("{full} would call a function that is not allowlisted"),
                    );
                }
                self.alloc(inst(Special::Instance, func_ok), cx.lim)
            }
        }
    }

    /// `cls.__new__(cls)` for `copyreg` helpers: cls must allow NEW.
    fn instantiate(&mut self, cls: Option<V>, at: u64, cx: &mut Ctx) -> R<V> {
        match cls.and_then(|c| self.global_class(c)) {
            Some((_, _, Class::Allowed { uses, special })) if uses & NEW != 0 => {
                let special = *special;
                let o = match special {
                    Special::Dict => Obj::Dict(Box::default()),
                    Special::List => Obj::List(Box::default()),
                    Special::Set => Obj::Set,
                    _ => inst(special, true),
                };
                self.alloc(o, cx.lim)
            }
            Some((m, n, Class::Allowed { .. })) => {
                let why = format!("{m}.{n} is not allowlisted for instantiation");
                cx.sink
                    .add("pickle.disallowed-use", Verdict::Unknown, at, why);
                self.alloc(Obj::Opaque { allowed: false }, cx.lim)
            }
            Some(_) => self.alloc(Obj::Opaque { allowed: false }, cx.lim),
            None => {
                cx.sink.add(
                    "pickle.computed-call",
                    Verdict::Unsafe,
                    at,
                    "instantiation of a value that is not a class",
                );
                self.alloc(Obj::Opaque { allowed: false }, cx.lim)
            }
        }
    }

    fn nested_load(&mut self, full: &str, arg: Option<V>, at: u64, cx: &mut Ctx) {
        let prefix = format!("{full}@{at}");
        match arg.and_then(|a| match a {
            V::Obj(i) => self.heap.get_mut(i as usize),
            _ => None,
        }) {
            Some(Obj::Bytes(b)) => {
                if cx.depth + 1 >= cx.lim.max_depth {
                    cx.sink.add(
                        "scan.limit",
                        Verdict::Unsafe,
                        at,
                        "nested pickle beyond the depth limit",
                    );
                    return;
                }
                let data = std::mem::take(b);
                let mut child = Child::new(cx.depth + 1, cx.lim, false);
                child.feed(&data);
                let (sink, _) = child.finish();
                cx.sink.merge(&prefix, sink);
            }
            Some(Obj::BytesBig { nested, .. }) => match nested.take() {
                Some(s) => cx.sink.merge(&prefix, *s),
                None => cx.sink.add(
                    "scan.limit",
                    Verdict::Unsafe,
                    at,
                    "nested payload could not be inspected",
                ),
            },
            _ => cx.sink.add(
                "pickle.disallowed-use",
                Verdict::Unsafe,
                at,
                format!("{full} called with an argument that is not a bytes literal"),
            ),
        }
    }

    /// BUILD: `inst.__setstate__(state)` or `inst.__dict__.update(state)`.
    fn build(&mut self, inst: V, state: V, at: u64, cx: &mut Ctx) -> R<Next> {
        let i = match inst {
            V::Obj(i) => i as usize,
            _ => {
                cx.sink
                    .add("pickle.anomaly", Verdict::Unsafe, at, "BUILD on a scalar");
                return Ok(Next::Go);
            }
        };
        let special = match self.heap.get_mut(i) {
            Some(Obj::Inst {
                special,
                allowed: true,
                state: st,
                ..
            }) => {
                *st = state;
                *special
            }
            Some(Obj::Inst { allowed: false, .. }) | Some(Obj::Opaque { .. }) => {
                return Ok(Next::Go);
            }
            Some(Obj::Global(g)) => {
                let why = format!(
                    "BUILD on the class or module {}.{} rewrites its attributes",
                    g.module, g.name
                );
                cx.sink
                    .add("pickle.build-on-global", Verdict::Unsafe, at, why);
                return Ok(Next::Go);
            }
            _ => {
                cx.sink.add(
                    "pickle.anomaly",
                    Verdict::Unsafe,
                    at,
                    "BUILD on a builtin value",
                );
                return Ok(Next::Go);
            }
        };
        if special == Special::JoblibWrapper {
            return self.joblib_next(state, at, cx);
        }
        Ok(Next::Go)
    }

    fn dict_get(&self, d: V, key: &str) -> Option<V> {
        match self.obj(d) {
            Some(Obj::Dict(d)) => d
                .items
                .iter()
                .find(|(k, _)| self.str_of(*k) == Some(key))
                .map(|(_, v)| *v),
            _ => None,
        }
    }

    /// After BUILD of joblib's NumpyArrayWrapper: how many raw bytes follow in the stream.
    fn joblib_next(&mut self, state: V, at: u64, cx: &mut Ctx) -> R<Next> {
        let shape = self.dict_get(state, "shape");
        let dtype = self.dict_get(state, "dtype");
        let aligned = !matches!(
            self.dict_get(state, "numpy_array_alignment_bytes"),
            None | Some(V::None)
        );
        let mut count: u64 = 1;
        match shape.and_then(|s| self.tuple_items(s)) {
            Some(dims) => {
                for d in dims {
                    let Some(n) = self.int_of(*d) else {
                        return bad("joblib array shape is not integers");
                    };
                    let n = u64::try_from(n)
                        .map_err(|_| malformed("negative joblib array dimension"))?;
                    count = count
                        .checked_mul(n)
                        .ok_or_else(|| malformed("joblib array size overflows"))?;
                }
            }
            None => return bad("joblib NumpyArrayWrapper without a shape tuple"),
        }
        // dtype: an allowlisted numpy.dtype instance; its first argument is e.g. 'f8', 'O8', 'U5',
        // 'V16'; its BUILD state is (version, byteorder, subarray, names, fields, elsize,
        // alignment, flags) where flags bit 0 means "holds Python objects".
        let (code, state) = match dtype.and_then(|d| self.obj(d)) {
            Some(Obj::Inst {
                special: Special::Dtype,
                args,
                state,
                ..
            }) => (
                self.tuple_items(*args)
                    .and_then(|t| t.first().copied())
                    .and_then(|c| self.str_of(c))
                    .map(str::to_owned),
                self.tuple_items(*state).map(|t| t.to_vec()),
            ),
            _ => (None, None),
        };
        let Some(code) = code else {
            cx.sink.add(
                "joblib.unsupported",
                Verdict::Unknown,
                at,
                "joblib array with a dtype that cannot be sized",
            );
            return bad("joblib array dtype not understood; the array bytes cannot be skipped");
        };
        let st_int = |i: usize| {
            state
                .as_ref()
                .and_then(|t| t.get(i))
                .and_then(|v| self.int_of(*v))
        };
        // Mirror numpy: only 'O' and structured 'V' dtypes hold objects, and only flexible
        // kinds take their size from the state. Anything inconsistent could make joblib and this
        // parser skip different byte counts, so it fails closed.
        let kind = code.chars().next().unwrap_or('?');
        let object_flag = st_int(7).is_some_and(|f| f & 1 != 0);
        if kind == 'O' || (kind == 'V' && object_flag) {
            return Ok(Next::JoblibPickle);
        }
        if object_flag {
            return bad(format!("joblib dtype {code:?} claims to hold objects"));
        }
        let digits: Option<u64> = code[kind.len_utf8()..].parse().ok();
        let elsize = st_int(5)
            .and_then(|e| u64::try_from(e).ok())
            .filter(|e| *e > 0);
        let size = match (kind, digits, elsize) {
            ('V' | 'S' | 'a', Some(n), Some(e)) if n > 0 && n != e => None,
            ('U', Some(n), Some(e)) if n > 0 && n.checked_mul(4) != Some(e) => None,
            ('V' | 'S' | 'a' | 'U', _, Some(e)) => Some(e),
            ('U', Some(n), None) => n.checked_mul(4),
            (_, Some(n), Some(e)) if !matches!(kind, 'V' | 'S' | 'a' | 'U') && n != e => None,
            (_, Some(n), _) => Some(n),
            _ => None,
        };
        let Some(size) = size else {
            return bad(format!(
                "joblib dtype {code:?} with an inconsistent item size"
            ));
        };
        let bytes = count
            .checked_mul(size)
            .ok_or_else(|| malformed("joblib array size overflows"))?;
        self.joblib_raw = (bytes, aligned);
        Ok(Next::JoblibRaw)
    }

    fn persid(&mut self, pid: V, at: u64, cx: &mut Ctx) -> R<V> {
        // torch: ('storage', storage_type, key, location, numel[, view_metadata]).
        let ok = match self.tuple_items(pid) {
            Some(t) if t.len() >= 5 && self.str_of(t[0]) == Some("storage") => {
                match self.global_class(t[1]) {
                    Some((_, _, Class::Allowed { .. })) => true,
                    Some(_) => true, // already reported when referenced
                    None => false,
                }
            }
            _ => false,
        };
        if !ok {
            cx.sink.add(
                "pickle.persistent-id",
                Verdict::Unknown,
                at,
                "persistent id that is not a torch storage reference (loader-defined behaviour)",
            );
        }
        self.alloc(Obj::Opaque { allowed: ok }, cx.lim)
    }

    fn append(&mut self, target: V, vals: &[V], at: u64, cx: &mut Ctx) {
        match target {
            V::Obj(i) => match self.heap.get_mut(i as usize) {
                Some(Obj::List(l)) => {
                    let room = RETAIN_ITEMS.saturating_sub(l.items.len()).min(vals.len());
                    l.items.extend_from_slice(&vals[..room]);
                    l.len = l.len.saturating_add(vals.len() as u64);
                }
                Some(Obj::Inst {
                    allowed: true,
                    special: Special::List,
                    ..
                }) => {}
                Some(Obj::Inst { allowed: false, .. }) | Some(Obj::Opaque { allowed: false }) => {}
                Some(Obj::Inst { .. }) | Some(Obj::Opaque { .. }) => cx.sink.add(
                    "pickle.method-call",
                    Verdict::Unknown,
                    at,
                    "APPEND on an object that is not a list calls its append/extend method",
                ),
                _ => cx.sink.add(
                    "pickle.anomaly",
                    Verdict::Unsafe,
                    at,
                    "APPEND on a value that is not a list",
                ),
            },
            _ => cx
                .sink
                .add("pickle.anomaly", Verdict::Unsafe, at, "APPEND on a scalar"),
        }
    }

    fn setitems(&mut self, target: V, vals: &[V], at: u64, cx: &mut Ctx) -> R<()> {
        if !vals.len().is_multiple_of(2) {
            return bad("odd number of items for SETITEMS");
        }
        match target {
            V::Obj(i) => match self.heap.get_mut(i as usize) {
                Some(Obj::Dict(d)) => {
                    for kv in vals.chunks_exact(2) {
                        if d.items.len() < RETAIN_ITEMS {
                            d.items.push((kv[0], kv[1]));
                        }
                    }
                    d.len = d.len.saturating_add((vals.len() / 2) as u64);
                }
                Some(Obj::Inst { allowed: false, .. }) | Some(Obj::Opaque { allowed: false }) => {}
                Some(Obj::Inst { .. }) | Some(Obj::Opaque { .. }) => cx.sink.add(
                    "pickle.method-call",
                    Verdict::Unknown,
                    at,
                    "SETITEM on an object that is not a dict calls its __setitem__",
                ),
                _ => cx.sink.add(
                    "pickle.anomaly",
                    Verdict::Unsafe,
                    at,
                    "SETITEM on a value that is not a dict",
                ),
            },
            _ => cx
                .sink
                .add("pickle.anomaly", Verdict::Unsafe, at, "SETITEM on a scalar"),
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Byte-level decoding.

fn le_u16(b: &[u8]) -> u64 {
    u64::from(u16::from_le_bytes([b[0], b[1]]))
}
fn le_u32(b: &[u8]) -> u64 {
    u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}
fn le_u64(b: &[u8]) -> u64 {
    u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
}

fn parse_py_int(s: &str) -> R<Option<i64>> {
    let t = s.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (radix, digits) =
        if let Some(r) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            (16, r)
        } else if let Some(r) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
            (8, r)
        } else if let Some(r) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
            (2, r)
        } else {
            (10, body)
        };
    let digits: String = digits.chars().filter(|c| *c != '_').collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return bad(format!("invalid integer literal {s:?}"));
    }
    Ok(i128::from_str_radix(&digits, radix)
        .ok()
        .and_then(|n| i64::try_from(if neg { -n } else { n }).ok()))
}

fn parse_big_int_text(s: &str) -> Option<i128> {
    let t = s.trim().trim_end_matches(['L', 'l']);
    let (neg, body) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t),
    };
    let n = if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        i128::from_str_radix(h, 16).ok()?
    } else {
        body.parse::<i128>().ok()?
    };
    Some(if neg { -n } else { n })
}

fn long_bytes(b: &[u8]) -> Option<i128> {
    if b.is_empty() {
        return Some(0);
    }
    if b.len() > 16 {
        return None;
    }
    let neg = b[b.len() - 1] & 0x80 != 0;
    let mut buf = if neg { [0xffu8; 16] } else { [0u8; 16] };
    buf[..b.len()].copy_from_slice(b);
    Some(i128::from_le_bytes(buf))
}

/// `codecs.escape_decode` as used by the STRING opcode.
fn escape_decode(s: &[u8]) -> R<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        i += 1;
        let Some(&e) = s.get(i) else {
            return bad("STRING ends with a backslash");
        };
        i += 1;
        match e {
            b'\n' => {}
            b'\\' => out.push(b'\\'),
            b'\'' => out.push(b'\''),
            b'"' => out.push(b'"'),
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'x' => {
                let h = s
                    .get(i..i + 2)
                    .ok_or_else(|| malformed("truncated \\x escape"))?;
                let h = std::str::from_utf8(h).map_err(|_| malformed("bad \\x escape"))?;
                out.push(u8::from_str_radix(h, 16).map_err(|_| malformed("bad \\x escape"))?);
                i += 2;
            }
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                for _ in 0..2 {
                    match s.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push((v & 0xff) as u8);
            }
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
    }
    Ok(out)
}

/// `raw-unicode-escape` decoding used by the UNICODE opcode.
fn raw_unicode_escape(s: &[u8]) -> R<String> {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' && matches!(s.get(i + 1), Some(b'u') | Some(b'U')) {
            let n = if s[i + 1] == b'u' { 4 } else { 8 };
            let h = s
                .get(i + 2..i + 2 + n)
                .ok_or_else(|| malformed("truncated \\u escape"))?;
            let h = std::str::from_utf8(h).map_err(|_| malformed("bad \\u escape"))?;
            let cp = u32::from_str_radix(h, 16).map_err(|_| malformed("bad \\u escape"))?;
            out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
            i += 2 + n;
        } else {
            out.push(char::from(s[i]));
            i += 1;
        }
    }
    Ok(out)
}

#[inline]
fn utf8<'a>(b: &'a [u8], what: &str) -> R<std::borrow::Cow<'a, str>> {
    match std::str::from_utf8(b) {
        Ok(s) => Ok(std::borrow::Cow::Borrowed(s)),
        // CPython decodes with 'surrogatepass'; keep a lossy form rather than failing.
        Err(_)
            if b.windows(2)
                .any(|w| w[0] == 0xed && (0xa0..=0xbf).contains(&w[1])) =>
        {
            Ok(std::borrow::Cow::Owned(
                String::from_utf8_lossy(b).into_owned(),
            ))
        }
        Err(_) => bad(format!("{what} is not valid UTF-8")),
    }
}

// ---------------------------------------------------------------------------------------------
// The stream.

#[derive(Debug)]
enum State {
    /// Decoding opcodes.
    Ops,
    /// Streaming the payload of a long string/bytes opcode.
    Payload {
        remaining: u64,
        is_str: bool,
        child: Option<Box<Child>>,
        head: Vec<u8>,
    },
    /// joblib: reading the one-byte alignment padding length.
    JoblibPad { bytes: u64 },
    /// joblib/legacy: skipping raw array or storage bytes.
    Skip { remaining: u64 },
    /// Legacy tar `storages`: reading the 8-byte element count of a storage.
    TarCount,
    /// Legacy tar `tensors`: reading `ndim` (i32) and 4 bytes of padding.
    TarDims,
    /// Nothing more is read by any loader; remaining bytes are counted.
    Tail,
    /// Parse failed; remaining bytes are ignored.
    Failed,
}

/// Result of a finished pickle stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// At least one well-formed pickle.
    Pickle,
    /// Not a pickle (speculative mode only): treat as opaque data.
    NotPickle,
}

pub(crate) struct PickleStream {
    mode: Mode,
    lim: Limits,
    depth: u8,
    pos: u64,
    pending: Vec<u8>,
    need: usize,
    state: State,
    machines: Vec<Machine>,
    frame_end: Option<u64>,
    pickles: u32,
    pickle_start: u64,
    legacy: bool,
    tar_storages_left: Option<u64>,
    tar_elem_size: u64,
    first_result_int: Option<i128>,
    any_globals: bool,
    failed_at_start: bool,
    /// joblib array bytes parsed as plain `pickle.load` would parse them.
    shadow: Option<Box<PickleStream>>,
    shadow_at: u64,
    sink: Sink,
}

/// Opcode lengths for fixed-size opcodes; 0 = variable; 255 = invalid.
const fn fixed_len_of(op: u8) -> u8 {
    match op {
        b'(' | b'.' | b'0' | b'1' | b'2' | b'N' | b'Q' | b'R' | b'a' | b'b' | b'd' | b'}'
        | b'e' | b'l' | b']' | b'o' | b's' | b't' | b')' | b'u' | 0x81 | 0x85 | 0x86 | 0x87
        | 0x88 | 0x89 | 0x8f | 0x90 | 0x91 | 0x92 | 0x93 | 0x94 | 0x97 | 0x98 => 1,
        b'K' | b'h' | b'q' | 0x80 | 0x82 => 2,
        b'M' | 0x83 => 3,
        b'J' | b'j' | b'r' | 0x84 => 5,
        b'G' | 0x95 => 9,
        b'I' | b'L' | b'F' | b'S' | b'V' | b'P' | b'g' | b'p' | b'c' | b'i' | 0x8a | 0x8b
        | b'T' | b'U' | b'X' | 0x8c | 0x8d | b'B' | b'C' | 0x8e | 0x96 => 0,
        _ => 255,
    }
}

/// [`fixed_len_of`] as a table: one load per opcode on the hot path.
static FIXED_LEN: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = fixed_len_of(i as u8);
        i += 1;
    }
    t
};

#[inline(always)]
fn fixed_len(op: u8) -> u8 {
    FIXED_LEN[usize::from(op)]
}

enum Dec {
    /// The op needs this many bytes in total (0 = unknown: waiting for a newline).
    Need(usize),
    /// Op fully decoded and executed; consumed bytes.
    Done(usize, Next),
    /// Long payload: header length, payload length, is_str.
    Large(usize, u64, bool),
}

impl PickleStream {
    pub(crate) fn new(mode: Mode, depth: u8, lim: &Limits) -> Self {
        Self {
            mode,
            lim: *lim,
            depth,
            pos: 0,
            pending: Vec::new(),
            need: 0,
            state: State::Ops,
            machines: vec![Machine::new()],
            frame_end: None,
            pickles: 0,
            pickle_start: 0,
            legacy: false,
            tar_storages_left: None,
            tar_elem_size: 0,
            first_result_int: None,
            any_globals: false,
            failed_at_start: false,
            shadow: None,
            shadow_at: 0,
            sink: Sink::new(),
        }
    }

    /// Feed the next bytes of the stream.
    pub(crate) fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if matches!(self.state, State::Failed | State::Tail) {
                self.pos += data.len() as u64;
                return;
            }
            if self.pending.is_empty() {
                self.process(data);
                return;
            }
            let want = if self.need > self.pending.len() {
                self.need - self.pending.len()
            } else {
                // Waiting for a newline: re-decode only when one arrives, so a long text
                // argument fed in tiny chunks stays linear.
                match data.iter().position(|&c| c == b'\n') {
                    Some(p) => p + 1,
                    None => {
                        if self.pending.len() + data.len() > 2 * self.lim.max_line + 16 {
                            let at = self.pos;
                            self.fail(
                                at,
                                limit(format!(
                                    "text argument longer than {} bytes",
                                    self.lim.max_line
                                )),
                            );
                            continue;
                        }
                        self.pending.extend_from_slice(data);
                        return;
                    }
                }
            };
            let take = want.min(data.len());
            let mut buf = std::mem::take(&mut self.pending);
            buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            self.process(&buf);
        }
    }

    /// `pos` counts bytes handed to `process` (pending bytes included).
    fn process(&mut self, data: &[u8]) {
        let mut off = 0usize;
        let base = self.pos;
        self.pos += data.len() as u64;
        while off < data.len() {
            let at = base + off as u64;
            match &mut self.state {
                State::Failed | State::Tail => return,
                State::Payload {
                    remaining,
                    child,
                    head,
                    ..
                } => {
                    let n = (*remaining).min((data.len() - off) as u64) as usize;
                    let chunk = &data[off..off + n];
                    if head.len() < 16 {
                        let h = (16 - head.len()).min(chunk.len());
                        head.extend_from_slice(&chunk[..h]);
                    }
                    if let Some(c) = child {
                        c.feed(chunk);
                    }
                    *remaining -= n as u64;
                    off += n;
                    if *remaining == 0 {
                        self.finish_payload(at + n as u64);
                    }
                }
                State::Skip { remaining } => {
                    let n = (*remaining).min((data.len() - off) as u64) as usize;
                    *remaining -= n as u64;
                    let done = *remaining == 0;
                    if let Some(sh) = self.shadow.as_mut() {
                        sh.feed(&data[off..off + n]);
                    }
                    off += n;
                    if done {
                        self.after_skip();
                    }
                }
                State::JoblibPad { bytes } => {
                    let pad = u64::from(data[off]);
                    let bytes = *bytes;
                    if let Some(sh) = self.shadow.as_mut() {
                        sh.feed(&data[off..off + 1]);
                    }
                    off += 1;
                    self.state = State::Skip {
                        remaining: pad + bytes,
                    };
                    if pad + bytes == 0 {
                        self.after_skip();
                    }
                }
                State::TarCount => {
                    if data.len() - off < 8 {
                        self.stash(&data[off..], 8);
                        return;
                    }
                    let n = le_u64(&data[off..off + 8]);
                    off += 8;
                    match n.checked_mul(self.tar_elem_size) {
                        Some(b) => {
                            self.state = State::Skip { remaining: b };
                            if b == 0 {
                                self.after_skip();
                            }
                        }
                        None => self.fail(at, malformed("legacy storage size overflows")),
                    }
                }
                State::TarDims => {
                    if data.len() - off < 8 {
                        self.stash(&data[off..], 8);
                        return;
                    }
                    let nd = i32::from_le_bytes([
                        data[off],
                        data[off + 1],
                        data[off + 2],
                        data[off + 3],
                    ]);
                    off += 8;
                    match u64::try_from(nd) {
                        Ok(nd) if nd <= 64 => {
                            self.state = State::Skip {
                                remaining: 16 * nd + 8,
                            };
                        }
                        _ => self.fail(
                            at,
                            malformed(format!("legacy tensor record with ndim {nd}")),
                        ),
                    }
                }
                State::Ops => {
                    // Between pickles: decide whether another pickle may start here.
                    if self.machines.len() == 1
                        && self.machine_fresh()
                        && !self.may_start_pickle(at, data[off])
                    {
                        return;
                    }
                    // Tight loop over data-only opcodes (the bulk of opcode-dense pickles): no
                    // state dispatch, no sink, frames tracked in a local.
                    if let Some(m) = self.machines.last_mut()
                        && m.ops > 0
                    {
                        let mut fe = self.frame_end;
                        while off < data.len() {
                            let op = data[off];
                            let fl = fixed_len(op);
                            let n = match fl {
                                1..=9 => usize::from(fl),
                                _ if op == 0x8c && off + 1 < data.len() => {
                                    2 + usize::from(data[off + 1])
                                }
                                _ => break,
                            };
                            if off + n > data.len() {
                                break;
                            }
                            let at = base + off as u64;
                            if let Some(e) = fe {
                                if at >= e {
                                    fe = None;
                                } else if at + n as u64 > e {
                                    break;
                                }
                            }
                            match m.fast(op, &data[off..off + n], &self.lim) {
                                Some(Ok(())) => off += n,
                                Some(Err(f)) => {
                                    self.frame_end = fe;
                                    self.fail(at, f);
                                    return;
                                }
                                None => break,
                            }
                        }
                        self.frame_end = fe;
                        if off >= data.len() {
                            break;
                        }
                    }
                    let at = base + off as u64;
                    // Fast path: an opcode whose length is known from at most two bytes and
                    // that lies entirely in this buffer (the vast majority).
                    let op = data[off];
                    let fl = fixed_len(op);
                    let n = match fl {
                        1..=9 => usize::from(fl),
                        _ if matches!(op, 0x8c | b'C' | b'U' | 0x8a) && off + 1 < data.len() => {
                            2 + usize::from(data[off + 1])
                        }
                        _ => 0,
                    };
                    if n > 0
                        && off + n <= data.len()
                        && self.frame_end.is_none_or(|e| at + n as u64 <= e || at >= e)
                    {
                        if self.frame_end.is_some_and(|e| at >= e) {
                            self.frame_end = None;
                        }
                        let r = match self.machines.last_mut() {
                            // The commonest opcodes need neither the sink nor the stream.
                            Some(m) if m.ops > 0 => {
                                match m.fast(op, &data[off..off + n], &self.lim) {
                                    Some(Ok(())) => {
                                        off += n;
                                        continue;
                                    }
                                    Some(Err(f)) => Err(f),
                                    None => self.exec(op, &data[off..off + n], at),
                                }
                            }
                            _ => self.exec(op, &data[off..off + n], at),
                        };
                        match r {
                            Ok(Next::Go) => off += n,
                            Ok(next) => {
                                off += n;
                                self.after_op(next, base + off as u64);
                            }
                            Err(f) => {
                                self.fail(at, f);
                                return;
                            }
                        }
                        continue;
                    }
                    match self.decode(&data[off..], at) {
                        Ok(Dec::Need(n)) => {
                            let rest = &data[off..];
                            if n == 0 && rest.len() >= self.lim.max_line + 16 {
                                self.fail(
                                    at,
                                    limit(format!(
                                        "text argument longer than {} bytes",
                                        self.lim.max_line
                                    )),
                                );
                                return;
                            }
                            self.stash(rest, n);
                            return;
                        }
                        Ok(Dec::Done(n, next)) => {
                            off += n;
                            self.after_op(next, base + off as u64);
                        }
                        Ok(Dec::Large(hdr, len, is_str)) => {
                            off += hdr;
                            let child = if !is_str && self.depth + 1 < self.lim.max_depth {
                                Some(Box::new(Child::new(self.depth + 1, &self.lim, false)))
                            } else {
                                None
                            };
                            self.state = State::Payload {
                                remaining: len,
                                is_str,
                                child,
                                head: Vec::new(),
                            };
                            if len == 0 {
                                self.finish_payload(at + hdr as u64);
                            }
                        }
                        Err(f) => {
                            self.fail(at, f);
                            return;
                        }
                    }
                }
            }
        }
    }

    fn stash(&mut self, rest: &[u8], need: usize) {
        self.pending.extend_from_slice(rest);
        self.need = need;
        // `pos` is the offset of the first byte not consumed; pending bytes are not consumed yet.
        self.pos -= rest.len() as u64;
    }

    fn machine_fresh(&self) -> bool {
        self.machines.first().is_some_and(|m| m.ops == 0)
    }

    /// Called at the first byte of each pickle after the first one.
    fn may_start_pickle(&mut self, at: u64, first: u8) -> bool {
        if self.pickles == 0 {
            self.pickle_start = at;
            if fixed_len(first) == 255 && self.mode == Mode::Speculative {
                self.failed_at_start = true;
                self.state = State::Tail;
                return false;
            }
            return true;
        }
        match self.mode {
            Mode::Single => {
                self.sink.add(
                    "container.trailing-bytes",
                    Verdict::Unsafe,
                    at,
                    "bytes after the pickle's STOP (ambiguous: another reader may parse them)",
                );
                self.state = State::Tail;
                false
            }
            Mode::TarStorages | Mode::TarTensors => true,
            Mode::Raw | Mode::Speculative => {
                if self.legacy && self.pickles >= 5 {
                    // Legacy torch: raw storage bytes follow the five pickles.
                    self.state = State::Tail;
                    return false;
                }
                if fixed_len(first) == 255 {
                    if self.mode == Mode::Speculative && !self.any_globals && self.sink.is_empty() {
                        self.failed_at_start = true;
                        self.state = State::Tail;
                        return false;
                    }
                    self.sink.add(
                        "container.trailing-bytes",
                        Verdict::Unsafe,
                        at,
                        "bytes after the last pickle that are not a pickle (polyglot or hidden data)",
                    );
                    self.state = State::Tail;
                    return false;
                }
                self.pickle_start = at;
                true
            }
        }
    }

    #[allow(
        clippy::boxed_local,
        reason = "failures stay boxed so `R<T>` is two words on the hot path"
    )]
    fn fail(&mut self, at: u64, f: Box<Fail>) {
        // Without a magic number, bytes that CPython itself would reject before any import are
        // just not a pickle. A resource limit is not such a rejection: CPython has no limit.
        let speculative_miss = self.mode == Mode::Speculative
            && self.pickles == 0
            && !self.any_globals_now()
            && self.sink.only(NOTHING_RAN)
            && matches!(*f, Fail::Malformed(_));
        if speculative_miss {
            self.failed_at_start = true;
        } else {
            match *f {
                Fail::Malformed(m) => self.sink.add(
                    "pickle.malformed",
                    Verdict::Unsafe,
                    at,
                    format!("{m} (a loader may have run earlier opcodes before failing)"),
                ),
                Fail::Limit(m) => self.sink.add("pickle.limit", Verdict::Unsafe, at, m),
                Fail::Frame(m) => self.sink.add("pickle.frame", Verdict::Unsafe, at, m),
            }
        }
        self.state = State::Failed;
    }

    fn after_op(&mut self, next: Next, at: u64) {
        match next {
            Next::Go => {}
            Next::Stop(v) => self.on_stop(v, at),
            Next::JoblibRaw => {
                let (bytes, aligned) = self.machines.last().map_or((0, false), |m| m.joblib_raw);
                if self.frame_end.is_some_and(|e| e > at) {
                    self.fail(at, frame_fail("joblib array data inside a frame"));
                    return;
                }
                // Plain `pickle.load` would parse these bytes as opcodes (joblib reads them
                // out of band): a shadow parse catches payloads hidden there for that reader.
                if self.depth + 1 < self.lim.max_depth {
                    self.shadow = Some(Box::new(PickleStream::new(
                        Mode::Speculative,
                        self.depth + 1,
                        &self.lim,
                    )));
                    self.shadow_at = at;
                }
                self.state = if aligned {
                    State::JoblibPad { bytes }
                } else {
                    State::Skip { remaining: bytes }
                };
                if !aligned && bytes == 0 {
                    self.after_skip();
                }
            }
            Next::JoblibPickle => {
                if self.machines.len() >= 8 {
                    self.fail(at, limit("joblib object arrays nested too deeply"));
                    return;
                }
                self.machines.push(Machine::new());
            }
        }
    }

    fn after_skip(&mut self) {
        self.state = State::Ops;
        if let Some(sh) = self.shadow.take() {
            let (outcome, sink) = sh.finish();
            if outcome == Outcome::Pickle && !sink.is_empty() {
                let at = self.shadow_at;
                self.sink.add(
                    "joblib.differential",
                    sink.verdict(),
                    at,
                    "raw array bytes that joblib skips parse as pickle opcodes for plain pickle.load",
                );
                self.sink.merge(&format!("as-pickle@{at}"), sink);
            }
        }
        if self.mode == Mode::TarTensors
            && self.machines.len() == 1
            && self.tar_storages_left == Some(0)
        {
            // torch reads nothing after the last tensor record.
            self.state = State::Tail;
        }
    }

    fn finish_payload(&mut self, end: u64) {
        let State::Payload { is_str, child, .. } = std::mem::replace(&mut self.state, State::Ops)
        else {
            return;
        };
        let obj = if is_str {
            Obj::StrBig
        } else {
            let nested = child.map(|c| {
                let (s, _) = c.finish();
                Box::new(s)
            });
            Obj::BytesBig { nested }
        };
        let lim = self.lim;
        let r = match self.machines.last_mut() {
            Some(m) => m.alloc(obj, &lim).and_then(|v| m.push(v, &lim)),
            None => Ok(()),
        };
        if let Err(f) = r {
            self.fail(end, f);
        }
    }

    fn on_stop(&mut self, v: V, at: u64) {
        if self.frame_end.is_some_and(|e| e > at) {
            self.sink.add(
                "pickle.frame",
                Verdict::Unsafe,
                at,
                "STOP before the end of the current frame (the rest of the frame is hidden from stacked readers)",
            );
        }
        self.frame_end = None;
        if self.machines.len() > 1 {
            // End of a joblib inline object-array pickle: its result replaces the wrapper.
            self.machines.pop();
            let lim = self.lim;
            if let Some(m) = self.machines.last_mut() {
                let r = m.alloc(Obj::Opaque { allowed: true }, &lim).and_then(|o| {
                    m.pop()?;
                    m.push(o, &lim)
                });
                if let Err(f) = r {
                    self.fail(at, f);
                }
            }
            return;
        }
        let Some(m) = self.machines.first_mut() else {
            return;
        };
        let result_int = m.int_of(v);
        let tar_storage_type = match (self.mode, v) {
            (Mode::TarStorages, _) if self.pickles >= 1 => m
                .tuple_items(v)
                .and_then(|t| t.get(2).copied())
                .and_then(|g| m.global_class(g).map(|(_, n, _)| n.to_owned())),
            _ => None,
        };
        self.any_globals |= m.globals_seen > 0;
        self.pickles += 1;
        if self.pickles == 1 {
            self.first_result_int = result_int;
            if result_int == Some(TORCH_LEGACY_MAGIC) && self.mode == Mode::Raw {
                self.legacy = true;
            }
        }
        *m = Machine::new();
        match self.mode {
            Mode::TarStorages | Mode::TarTensors if self.pickles == 1 => {
                match result_int.and_then(|n| u64::try_from(n).ok()) {
                    Some(n) => {
                        self.tar_storages_left = Some(n);
                        if n == 0 && self.mode == Mode::TarTensors {
                            self.state = State::Tail;
                        }
                    }
                    None => self.fail(at, malformed("legacy tar record count is not an integer")),
                }
            }
            Mode::TarStorages => {
                let left = self.tar_storages_left.unwrap_or(0);
                if left == 0 {
                    // The storage-views pickle: torch reads nothing after it.
                    self.state = State::Tail;
                    return;
                }
                self.tar_storages_left = Some(left - 1);
                match tar_storage_type.as_deref().and_then(storage_elem_size) {
                    Some(s) => {
                        self.tar_elem_size = s;
                        self.state = State::TarCount;
                    }
                    None => {
                        self.sink.add(
                            "torch.legacy-tar",
                            Verdict::Unknown,
                            at,
                            "legacy tar storage of an unknown type; its remaining pickles cannot be located",
                        );
                        self.state = State::Tail;
                    }
                }
            }
            Mode::TarTensors => {
                let left = self.tar_storages_left.unwrap_or(0);
                self.tar_storages_left = Some(left.saturating_sub(1));
                self.state = State::TarDims;
            }
            _ => {}
        }
    }

    fn decode(&mut self, buf: &[u8], at: u64) -> R<Dec> {
        let op = buf[0];
        let fl = fixed_len(op);
        if fl == 255 {
            return bad(format!("invalid opcode 0x{op:02x}"));
        }
        let mut n = usize::from(fl);
        let lim = self.lim;
        // Variable-length headers.
        let mut payload: Option<(usize, u64, bool)> = None; // header, len, is_str
        if n == 0 {
            match op {
                0x8a => {
                    if buf.len() < 2 {
                        return Ok(Dec::Need(2));
                    }
                    n = 2 + usize::from(buf[1]);
                }
                0x8b => {
                    if buf.len() < 5 {
                        return Ok(Dec::Need(5));
                    }
                    let l = i32::from_le_bytes([buf[1], buf[2], buf[3], buf[4]]);
                    if l < 0 {
                        return bad("LONG4 with negative length");
                    }
                    if l as usize > lim.retain_bytes {
                        // Without a magic number this may be no pickle at all: stream the
                        // digits like any long payload, so a file too short to hold them ends
                        // as "not a pickle" and a real one is followed to its end.
                        if self.mode != Mode::Speculative {
                            return Err(limit(format!("LONG4 of {l} bytes")));
                        }
                        payload = Some((5, l as u64, false));
                    } else {
                        n = 5 + l as usize;
                    }
                }
                b'T' | b'X' | b'B' => {
                    if buf.len() < 5 {
                        return Ok(Dec::Need(5));
                    }
                    let l = if op == b'T' {
                        let s = i32::from_le_bytes([buf[1], buf[2], buf[3], buf[4]]);
                        if s < 0 {
                            return bad("BINSTRING with negative length");
                        }
                        s as u64
                    } else {
                        le_u32(&buf[1..5])
                    };
                    payload = Some((5, l, op != b'B'));
                }
                b'U' | 0x8c | b'C' => {
                    if buf.len() < 2 {
                        return Ok(Dec::Need(2));
                    }
                    payload = Some((2, u64::from(buf[1]), op != b'C'));
                }
                0x8d | 0x8e | 0x96 => {
                    if buf.len() < 9 {
                        return Ok(Dec::Need(9));
                    }
                    payload = Some((9, le_u64(&buf[1..9]), op == 0x8d));
                }
                _ => {
                    // Line-terminated arguments (one line, two for GLOBAL/INST).
                    let lines = if op == b'c' || op == b'i' { 2 } else { 1 };
                    let lim_end = buf.len().min(1 + lim.max_line * lines + lines);
                    let mut end = 1;
                    for _ in 0..lines {
                        match buf[end..lim_end].iter().position(|&b| b == b'\n') {
                            Some(p) => end += p + 1,
                            None => {
                                if lim_end < buf.len() || buf.len() > lim.max_line * lines + lines {
                                    return Err(limit(format!(
                                        "text argument longer than {} bytes",
                                        lim.max_line
                                    )));
                                }
                                return Ok(Dec::Need(0));
                            }
                        }
                    }
                    n = end;
                }
            }
            if let Some((hdr, len, is_str)) = payload {
                if len > lim.retain_bytes as u64 {
                    self.frame_check(at, (hdr as u64).saturating_add(len))?;
                    if self.machines.last().is_some_and(|m| m.ops == 0) {
                        // first op of a pickle: fine
                    }
                    if let Some(m) = self.machines.last_mut() {
                        m.ops += 1;
                    }
                    return Ok(Dec::Large(hdr, len, is_str));
                }
                n = hdr + len as usize;
            }
        }
        if buf.len() < n {
            return Ok(Dec::Need(n));
        }
        self.frame_check(at, n as u64)?;
        let next = self.exec(op, &buf[..n], at)?;
        Ok(Dec::Done(n, next))
    }

    /// Reject opcodes that straddle a frame boundary (CPython's file and in-memory readers
    /// disagree on them: security research §2.2 #13).
    #[inline]
    fn frame_check(&mut self, at: u64, len: u64) -> R<()> {
        if let Some(end) = self.frame_end {
            if at >= end {
                self.frame_end = None;
            } else if at.saturating_add(len) > end {
                return Err(frame_fail(
                    "opcode straddles a FRAME boundary (CPython's file and in-memory readers disagree on it)",
                ));
            }
        }
        Ok(())
    }

    fn exec(&mut self, op: u8, b: &[u8], at: u64) -> R<Next> {
        let speculative = self.mode == Mode::Speculative;
        let lim = &self.lim;
        let depth = self.depth;
        let Some(m) = self.machines.last_mut() else {
            return bad("no machine");
        };
        m.ops += 1;
        let first_op = m.ops == 1;
        let mut cx = Ctx {
            sink: &mut self.sink,
            lim,
            depth,
        };
        macro_rules! push {
            ($v:expr) => {{
                let v = $v;
                m.push(v, lim)?;
            }};
        }
        macro_rules! alloc {
            ($o:expr) => {
                m.alloc($o, lim)?
            };
        }
        match op {
            0x80 => {
                let p = b[1];
                if p > 5 {
                    return bad(format!("unsupported pickle protocol {p}"));
                }
                if !first_op {
                    cx.sink.add(
                        "pickle.anomaly",
                        Verdict::Unknown,
                        at,
                        "PROTO opcode not at the start of the pickle",
                    );
                }
                m.proto = p;
            }
            0x95 => {
                let len = le_u64(&b[1..9]);
                if self.frame_end.is_some_and(|e| e > at) {
                    return Err(frame_fail("FRAME before the end of the current frame"));
                }
                // CPython refuses lengths above PY_SSIZE_T_MAX ("FRAME length exceeds system's
                // maximum"); checked, so a huge length cannot wrap into a short frame.
                let end = match at.checked_add(9).and_then(|e| e.checked_add(len)) {
                    Some(end) if i64::try_from(len).is_ok() => end,
                    _ => return bad(format!("FRAME length {len} exceeds the maximum")),
                };
                self.frame_end = Some(end);
            }
            b'.' => {
                let v = m.pop()?;
                return Ok(Next::Stop(v));
            }
            b'(' => {
                if m.marks.len() >= lim.max_marks {
                    return Err(limit(format!("more than {} marks", lim.max_marks)));
                }
                m.marks.push(m.stack.len());
            }
            b'0' => {
                // CPython: POP pops a mark when the top mark is at the stack top.
                if m.marks.last() == Some(&m.stack.len()) {
                    m.marks.pop();
                } else {
                    m.pop()?;
                }
            }
            b'1' => {
                let from = m.take_mark()?;
                m.stack.truncate(from);
            }
            b'2' => {
                let v = m.top()?;
                push!(v);
            }
            b'N' => push!(V::None),
            0x88 => push!(V::Bool(true)),
            0x89 => push!(V::Bool(false)),
            b'J' => push!(V::Int(i32::from_le_bytes([b[1], b[2], b[3], b[4]]))),
            b'K' => push!(V::Int(i32::from(b[1]))),
            b'M' => push!(V::Int(i32::from(u16::from_le_bytes([b[1], b[2]])))),
            b'G' => push!(V::Float),
            0x8a | 0x8b => {
                let hdr = if op == 0x8a { 2 } else { 5 };
                let n = long_bytes(&b[hdr..]);
                push!(m.int(n, lim)?)
            }
            b'I' => {
                let line = utf8(&b[1..b.len() - 1], "INT")?;
                let t = line.trim_end_matches(['\r', ' ']);
                if t == "00" {
                    push!(V::Bool(false))
                } else if t == "01" {
                    push!(V::Bool(true))
                } else {
                    let n = match parse_py_int(t)? {
                        Some(i) => Some(i128::from(i)),
                        None => parse_big_int_text(t),
                    };
                    push!(m.int(n, lim)?)
                }
            }
            b'L' => {
                let line = utf8(&b[1..b.len() - 1], "LONG")?;
                let t = line.trim_end_matches(['\r', ' ']).trim_end_matches('L');
                let n = match parse_py_int(t)? {
                    Some(i) => Some(i128::from(i)),
                    None => parse_big_int_text(t),
                };
                push!(m.int(n, lim)?)
            }
            b'F' => {
                let line = utf8(&b[1..b.len() - 1], "FLOAT")?;
                let t = line.trim();
                let f = t
                    .parse::<f64>()
                    .or_else(|_| match t.to_ascii_lowercase().as_str() {
                        "inf" | "+inf" | "infinity" => Ok(f64::INFINITY),
                        "-inf" | "-infinity" => Ok(f64::NEG_INFINITY),
                        "nan" | "+nan" | "-nan" => Ok(f64::NAN),
                        _ => bad(format!("invalid float {t:?}")),
                    })?;
                let _ = f;
                push!(V::Float)
            }
            b'S' => {
                let mut s = &b[1..b.len() - 1];
                while let Some((&last, rest)) = s.split_last() {
                    if last == b'\r' || last == b' ' {
                        s = rest;
                    } else {
                        break;
                    }
                }
                if s.len() < 2 || s[0] != s[s.len() - 1] || (s[0] != b'\'' && s[0] != b'"') {
                    return bad("the STRING opcode argument must be quoted");
                }
                let raw = escape_decode(&s[1..s.len() - 1])?;
                let text: String = raw.iter().map(|&c| char::from(c)).collect();
                push!(m.new_str(&text, lim)?)
            }
            b'V' => {
                let s = raw_unicode_escape(&b[1..b.len() - 1])?;
                push!(m.new_str(&s, lim)?)
            }
            b'T' | b'U' => {
                let hdr = if op == b'T' { 5 } else { 2 };
                let text: String = b[hdr..].iter().map(|&c| char::from(c)).collect();
                push!(m.new_str(&text, lim)?)
            }
            b'X' | 0x8c | 0x8d => {
                let hdr = match op {
                    b'X' => 5,
                    0x8c => 2,
                    _ => 9,
                };
                let raw = &b[hdr..];
                if raw.is_ascii() {
                    // Fast path: ASCII is valid UTF-8.
                    let start = m.strs.len();
                    m.strs.extend_from_slice(raw);
                    let v = match (u32::try_from(start), u16::try_from(raw.len())) {
                        (Ok(start), Ok(len)) => V::Str { len, start },
                        _ => alloc!(Obj::Str {
                            start,
                            len: raw.len() as u32
                        }),
                    };
                    push!(v)
                } else {
                    let s = utf8(raw, "string")?;
                    push!(m.new_str(&s, lim)?)
                }
            }
            b'B' | b'C' | 0x8e | 0x96 => {
                let hdr = match op {
                    b'B' => 5,
                    b'C' => 2,
                    _ => 9,
                };
                push!(alloc!(Obj::Bytes(b[hdr..].to_vec().into_boxed_slice())))
            }
            b')' => {
                let n = m.stack.len();
                push!(m.tuple_from_stack(n, lim)?)
            }
            0x85..=0x87 => {
                let k = usize::from(op - 0x84);
                if m.stack.len() < m.fence() + k {
                    return bad("unpickling stack underflow");
                }
                let from = m.stack.len() - k;
                push!(m.tuple_from_stack(from, lim)?)
            }
            b't' => {
                let from = m.take_mark()?;
                push!(m.tuple_from_stack(from, lim)?)
            }
            b']' => push!(alloc!(Obj::List(Box::default()))),
            b'l' => {
                let mut items = m.pop_mark()?;
                let len = items.len() as u64;
                items.truncate(RETAIN_ITEMS);
                push!(alloc!(Obj::List(Box::new(Seq { items, len }))))
            }
            b'}' => push!(alloc!(Obj::Dict(Box::default()))),
            b'd' => {
                let items = m.pop_mark()?;
                if items.len() % 2 != 0 {
                    return bad("odd number of items for DICT");
                }
                let len = (items.len() / 2) as u64;
                let pairs: Vec<(V, V)> = items
                    .chunks_exact(2)
                    .take(RETAIN_ITEMS)
                    .map(|c| (c[0], c[1]))
                    .collect();
                push!(alloc!(Obj::Dict(Box::new(Map { items: pairs, len }))))
            }
            0x8f => push!(alloc!(Obj::Set)),
            0x91 => {
                m.pop_mark()?;
                push!(alloc!(Obj::Set))
            }
            0x90 => {
                m.pop_mark()?;
                let t = m.top()?;
                if !matches!(m.obj(t), Some(Obj::Set)) {
                    cx.sink.add(
                        "pickle.anomaly",
                        Verdict::Unsafe,
                        at,
                        "ADDITEMS on a value that is not a set",
                    );
                }
            }
            b'a' => {
                let v = m.pop()?;
                let t = m.top()?;
                m.append(t, &[v], at, &mut cx);
            }
            b'e' => {
                let from = m.take_mark()?;
                let stack = std::mem::take(&mut m.stack);
                let r = if from > m.fence() {
                    m.append(stack[from - 1], &stack[from..], at, &mut cx);
                    Ok(())
                } else {
                    bad("unpickling stack underflow")
                };
                m.stack = stack;
                m.stack.truncate(from);
                r?;
            }
            b's' => {
                let v = m.pop()?;
                let k = m.pop()?;
                let t = m.top()?;
                m.setitems(t, &[k, v], at, &mut cx)?;
            }
            b'u' => {
                let from = m.take_mark()?;
                let stack = std::mem::take(&mut m.stack);
                let r = if from > m.fence() {
                    m.setitems(stack[from - 1], &stack[from..], at, &mut cx)
                } else {
                    bad("unpickling stack underflow")
                };
                m.stack = stack;
                m.stack.truncate(from);
                r?;
            }
            b'g' | b'h' | b'j' => {
                let key = match op {
                    b'h' => u64::from(b[1]),
                    b'j' => le_u32(&b[1..5]),
                    _ => {
                        let line = utf8(&b[1..b.len() - 1], "GET")?;
                        match parse_py_int(line.trim())? {
                            Some(i) if i >= 0 => i as u64,
                            _ => return bad("invalid GET argument"),
                        }
                    }
                };
                let v = m.memo_get(key)?;
                push!(v)
            }
            b'p' | b'q' | b'r' | 0x94 => {
                let key = match op {
                    b'q' => u64::from(b[1]),
                    b'r' => le_u32(&b[1..5]),
                    0x94 => (m.memo.len() + m.memo_sparse.len()) as u64,
                    _ => {
                        let line = utf8(&b[1..b.len() - 1], "PUT")?;
                        match parse_py_int(line.trim())? {
                            Some(i) if i >= 0 => i as u64,
                            _ => return bad("negative or invalid PUT argument"),
                        }
                    }
                };
                let v = m.top()?;
                m.memo_put(key, v, lim)?;
            }
            b'c' | b'i' => {
                let body = &b[1..];
                let nl = body.iter().position(|&c| c == b'\n').unwrap_or(0);
                let module = utf8(&body[..nl], "GLOBAL module")?;
                let name = utf8(&body[nl + 1..body.len() - 1], "GLOBAL name")?;
                let g = m.global(&module, &name, at, &mut cx)?;
                if op == b'c' {
                    push!(g)
                } else {
                    let from = m.take_mark()?;
                    let t = m.tuple_from_stack(from, lim)?;
                    let r = m.call(Kind::Inst, g, t, at, &mut cx)?;
                    push!(r)
                }
            }
            0x93 => {
                let name = m.pop()?;
                let module = m.pop()?;
                let (Some(mo), Some(na)) = (
                    m.str_of(module).map(str::to_owned),
                    m.str_of(name).map(str::to_owned),
                ) else {
                    return bad("STACK_GLOBAL requires str module and name");
                };
                let g = m.global(&mo, &na, at, &mut cx)?;
                push!(g)
            }
            // Protocol 2 and 5 opcodes in bytes with no protocol header: CPython's extension
            // registry is empty and no out-of-band buffers are given, so a loader fails here
            // having imported nothing. Random or packed binary data starts like this often.
            0x82..=0x84 | 0x97 if speculative => {
                return bad(format!("opcode 0x{op:02x} without a protocol header"));
            }
            0x82..=0x84 => {
                let code = match op {
                    0x82 => u64::from(b[1]),
                    0x83 => le_u16(&b[1..3]),
                    _ => le_u32(&b[1..5]),
                };
                cx.sink.add(
                    "pickle.ext-code",
                    Verdict::Unsafe,
                    at,
                    format!("extension code {code} resolves a global through copyreg's registry"),
                );
                push!(alloc!(Obj::Opaque { allowed: false }))
            }
            b'R' => {
                let args = m.pop()?;
                let f = m.pop()?;
                let r = m.call(Kind::Reduce, f, args, at, &mut cx)?;
                push!(r)
            }
            0x81 => {
                let args = m.pop()?;
                let cls = m.pop()?;
                if m.tuple_items(args).is_none() {
                    return bad("NEWOBJ expected an arg tuple");
                }
                let r = m.call(Kind::NewObj, cls, args, at, &mut cx)?;
                push!(r)
            }
            0x92 => {
                let _kwargs = m.pop()?;
                let args = m.pop()?;
                let cls = m.pop()?;
                let r = m.call(Kind::NewObjEx, cls, args, at, &mut cx)?;
                push!(r)
            }
            b'o' => {
                let mut items = m.pop_mark()?;
                if items.is_empty() {
                    return bad("OBJ without a class");
                }
                let cls = items.remove(0);
                let t = m.new_tuple(&items, lim)?;
                let r = m.call(Kind::Obj, cls, t, at, &mut cx)?;
                push!(r)
            }
            b'b' => {
                let state = m.pop()?;
                let inst = m.top()?;
                return m.build(inst, state, at, &mut cx);
            }
            b'P' => {
                let line = utf8(&b[1..b.len() - 1], "PERSID")?;
                let pid = m.new_str(&line, lim)?;
                let r = m.persid(pid, at, &mut cx)?;
                push!(r)
            }
            b'Q' => {
                let pid = m.pop()?;
                let r = m.persid(pid, at, &mut cx)?;
                push!(r)
            }
            0x97 => {
                cx.sink.add(
                    "pickle.out-of-band",
                    Verdict::Unknown,
                    at,
                    "NEXT_BUFFER: out-of-band buffer",
                );
                push!(alloc!(Obj::Opaque { allowed: true }))
            }
            0x98 => {
                m.top()?;
            }
            _ => return bad(format!("invalid opcode 0x{op:02x}")),
        }
        Ok(Next::Go)
    }

    /// End of input. Returns the outcome and the findings.
    pub(crate) fn finish(mut self) -> (Outcome, Sink) {
        let end = self.pos;
        let mid = !self.pending.is_empty()
            || !matches!(self.state, State::Ops | State::Tail | State::Failed)
            || (matches!(self.state, State::Ops) && !self.machine_fresh())
            || self.machines.len() > 1;
        if self.failed_at_start {
            return (Outcome::NotPickle, Sink::new());
        }
        if matches!(self.state, State::Failed) {
            return (Outcome::Pickle, self.sink);
        }
        if mid {
            if self.mode == Mode::Speculative
                && self.pickles == 0
                && !self.any_globals_now()
                && self.sink.only(NOTHING_RAN)
            {
                return (Outcome::NotPickle, Sink::new());
            }
            let what = match self.state {
                State::Skip { .. } | State::JoblibPad { .. } | State::TarCount | State::TarDims => {
                    "inside array or storage data"
                }
                State::Payload { .. } => "inside a string or bytes literal",
                _ => "before STOP",
            };
            self.sink.add(
                "pickle.truncated",
                Verdict::Unsafe,
                end,
                format!("stream ends {what} (a loader runs every opcode before the failure)"),
            );
            return (Outcome::Pickle, self.sink);
        }
        if self.pickles == 0 {
            if self.mode == Mode::Speculative {
                return (Outcome::NotPickle, Sink::new());
            }
            self.sink.add(
                "pickle.truncated",
                Verdict::Unsafe,
                end,
                "empty pickle stream",
            );
        }
        if self.legacy && self.pickles < 5 {
            self.sink.add(
                "torch.legacy",
                Verdict::Unsafe,
                end,
                format!("legacy torch file with {} of its 5 pickles", self.pickles),
            );
        }
        if matches!(self.mode, Mode::TarStorages | Mode::TarTensors)
            && !matches!(self.state, State::Tail)
        {
            self.sink.add(
                "torch.legacy-tar",
                Verdict::Unsafe,
                end,
                "legacy tar member ends before its last record",
            );
        }
        (Outcome::Pickle, self.sink)
    }

    fn any_globals_now(&self) -> bool {
        self.any_globals || self.machines.iter().any(|m| m.globals_seen > 0)
    }

    /// True when the first pickle's result was torch's legacy magic number.
    pub(crate) fn is_torch_legacy(&self) -> bool {
        self.legacy
    }
}

/// Element size of a legacy storage type, e.g. `FloatStorage` → 4.
fn storage_elem_size(name: &str) -> Option<u64> {
    Some(match name.strip_suffix("Storage")? {
        "Double" | "Long" | "ComplexFloat" => 8,
        "Float" | "Int" | "QInt32" => 4,
        "Half" | "BFloat16" | "Short" => 2,
        "Byte" | "Char" | "Bool" | "QInt8" | "QUInt8" | "QUInt4x2" | "QUInt2x4" => 1,
        "ComplexDouble" => 16,
        _ => return None,
    })
}
