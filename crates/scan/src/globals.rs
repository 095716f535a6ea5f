//! Judging pickle globals: an allowlist of (global, allowed use) and a list of known-dangerous
//! modules and names. Anything on neither list is `unknown`.
//!
//! Seeded from facts documented in PyTorch's `weights_only` unpickler (its default allowed
//! globals) plus the NumPy, scikit-learn, collections and stdlib data types that benign files
//! really contain (security research §1.4, §2.3). The dangerous list is the union of what the
//! Python scanners learned the hard way (§1.1–1.3, §2.2 #17–#28); it only decides between
//! `unknown` and `unsafe` — the allowlist decides what is `safe`.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Allowed ways to use a global.
pub(crate) type Uses = u8;
/// Called with arguments (REDUCE, OBJ, INST): runs the callable.
pub(crate) const CALL: Uses = 1;
/// Instantiated without `__init__` (NEWOBJ, NEWOBJ_EX, `copyreg._reconstructor`, `__newobj__`).
pub(crate) const NEW: Uses = 2;
/// Both.
pub(crate) const ANY: Uses = CALL | NEW;
/// Only referenced as a value (e.g. a dtype object or a storage type in a persistent id).
pub(crate) const VALUE: Uses = 0;

/// What the emulator does with the result of calling an allowlisted global.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Special {
    /// Result is an instance of the global (BUILD allowed on it).
    Instance,
    /// `dict`, `OrderedDict`, `defaultdict`, `Counter`: result accepts SETITEM(S).
    Dict,
    /// `list`, `deque`: result accepts APPEND(S).
    List,
    /// `set`, `frozenset`.
    Set,
    /// `_codecs.encode(str, 'latin1')`: result is bytes.
    CodecsEncode,
    /// `torch.storage._load_from_bytes(bytes)`: a nested `torch.load` — scanned recursively.
    NestedLoad,
    /// `getattr(obj, name)`: only on allowlisted instances with a public constant name.
    Getattr,
    /// `copyreg._reconstructor(cls, base, state)`: instantiates `cls`.
    Reconstructor,
    /// `copyreg.__newobj__(cls, *args)` / `__newobj_ex__`.
    NewObj,
    /// `torch._tensor._rebuild_from_type_v2(func, type, args, state)`: calls `func`.
    RebuildFromType,
    /// joblib's `NumpyArrayWrapper`: BUILD is followed by raw array bytes in the stream.
    JoblibWrapper,
    /// `numpy.dtype(...)`.
    Dtype,
}

/// The judgement of one global.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Class {
    Allowed { uses: Uses, special: Special },
    Dangerous(String),
    Unlisted,
}

/// Python 2 module names that `pickle` maps when `fix_imports` is on (protocol < 3).
fn map_module(module: &str) -> &str {
    match module {
        "__builtin__" | "exceptions" => "builtins",
        "copy_reg" => "copyreg",
        "cPickle" => "pickle",
        "Queue" => "queue",
        "UserDict" | "UserList" | "UserString" => "collections",
        "commands" => "subprocess",
        "urllib2" => "urllib.request",
        "httplib" => "http.client",
        "thread" => "_thread",
        "cStringIO" | "StringIO" => "io",
        "SocketServer" => "socketserver",
        "repr" => "reprlib",
        "__builtins__" => "builtins",
        "dummy_thread" => "_dummy_thread",
        other => other,
    }
}

/// Normalise a (module, name) pair the way the unpickler would import it.
pub(crate) fn normalise(module: &str, name: &str) -> (String, String) {
    let m = map_module(module.trim());
    let n = match (module, name) {
        ("__builtin__", "xrange") => "range",
        ("__builtin__", "unicode") => "str",
        ("__builtin__", "long") => "int",
        ("__builtin__", "basestring") => "str",
        ("__builtin__", "reduce") => "reduce", // functools.reduce; kept under builtins → not allowlisted
        _ => name,
    };
    (m.to_owned(), n.to_owned())
}

struct Tables {
    exact: HashMap<&'static str, (Uses, Special)>,
}

macro_rules! allow {
    ($v:ident, $uses:expr, $special:expr, [$($name:literal),* $(,)?]) => {
        $( $v.push(($name, $uses, $special)); )*
    };
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        let mut v: Vec<(&'static str, Uses, Special)> = Vec::new();
        use Special::*;
        // builtins data types.
        allow!(v, ANY, Set, ["builtins:set", "builtins:frozenset"]);
        allow!(v, ANY, List, ["builtins:list"]);
        allow!(v, ANY, Dict, ["builtins:dict"]);
        allow!(
            v,
            ANY,
            Instance,
            [
                "builtins:tuple",
                "builtins:int",
                "builtins:float",
                "builtins:complex",
                "builtins:bytearray",
                "builtins:bytes",
                "builtins:slice",
                "builtins:bool",
                "builtins:str",
                "builtins:range",
                "builtins:object",
                "builtins:NotImplemented",
                "builtins:Ellipsis",
            ]
        );
        allow!(v, CALL, Getattr, ["builtins:getattr"]);
        allow!(v, CALL, CodecsEncode, ["_codecs:encode"]);
        allow!(v, CALL, Reconstructor, ["copyreg:_reconstructor"]);
        allow!(
            v,
            CALL,
            NewObj,
            ["copyreg:__newobj__", "copyreg:__newobj_ex__"]
        );
        // collections.
        allow!(
            v,
            ANY,
            Dict,
            [
                "collections:OrderedDict",
                "collections:defaultdict",
                "collections:Counter"
            ]
        );
        allow!(v, ANY, List, ["collections:deque"]);
        // stdlib value types.
        allow!(
            v,
            ANY,
            Instance,
            [
                "datetime:datetime",
                "datetime:date",
                "datetime:time",
                "datetime:timedelta",
                "datetime:timezone",
                "decimal:Decimal",
                "fractions:Fraction",
                "uuid:UUID",
                "argparse:Namespace",
                "types:SimpleNamespace",
                "pathlib:PosixPath",
                "pathlib:WindowsPath",
                "pathlib:PurePosixPath",
                "pathlib:PureWindowsPath",
                "pathlib:Path",
                "pathlib:PurePath",
                "re:_compile",
                "_io:BytesIO",
                "io:BytesIO",
                "enum:Enum",
                "functools:partial",
                "operator:itemgetter",
                "_operator:itemgetter",
                "zoneinfo:ZoneInfo",
                "zoneinfo._zoneinfo:ZoneInfo",
                "ipaddress:IPv4Address",
                "ipaddress:IPv6Address",
                "collections:namedtuple",
            ]
        );
        // numpy (1.x `numpy.core` and 2.x `numpy._core` spellings).
        for core in ["numpy.core", "numpy._core"] {
            for (n, s) in [
                ("multiarray:_reconstruct", Instance),
                ("multiarray:scalar", Instance),
                ("numeric:_frombuffer", Instance),
                ("multiarray:_frombuffer", Instance),
            ] {
                let s2: &'static str = Box::leak(format!("{core}.{n}").into_boxed_str());
                v.push((s2, CALL, s));
            }
        }
        allow!(v, ANY, Dtype, ["numpy:dtype"]);
        allow!(
            v,
            ANY,
            Instance,
            [
                "numpy:ndarray",
                "numpy:matrix",
                "numpy.ma.core:MaskedArray",
                "numpy.ma.core:_mareconstruct",
                "numpy:memmap",
                "numpy.random._pickle:__randomstate_ctor",
                "numpy.random._pickle:__bit_generator_ctor",
                "numpy.random._pickle:__generator_ctor",
                "numpy.random.mtrand:RandomState",
                "numpy.random._mt19937:MT19937",
                "numpy.random._pcg64:PCG64",
                "numpy.random._pcg64:PCG64DXSM",
                "numpy.random._philox:Philox",
                "numpy.random._sfc64:SFC64",
                "numpy.random._generator:Generator",
                "numpy.random.bit_generator:SeedSequence",
                "numpy.random.bit_generator:__pyx_unpickle_SeedSequence",
            ]
        );
        for t in [
            "bool_",
            "int8",
            "int16",
            "int32",
            "int64",
            "uint8",
            "uint16",
            "uint32",
            "uint64",
            "float16",
            "float32",
            "float64",
            "longdouble",
            "complex64",
            "complex128",
            "str_",
            "bytes_",
            "void",
            "object_",
            "datetime64",
            "timedelta64",
            "intc",
            "intp",
            "uintp",
            "float_",
            "int_",
            "bool",
        ] {
            let s: &'static str = Box::leak(format!("numpy:{t}").into_boxed_str());
            v.push((s, ANY, Instance));
        }
        for d in [
            "BoolDType",
            "Int8DType",
            "Int16DType",
            "Int32DType",
            "Int64DType",
            "UInt8DType",
            "UInt16DType",
            "UInt32DType",
            "UInt64DType",
            "Float16DType",
            "Float32DType",
            "Float64DType",
            "Complex64DType",
            "Complex128DType",
            "ObjectDType",
            "StrDType",
            "BytesDType",
            "VoidDType",
            "DateTime64DType",
            "TimeDelta64DType",
            "LongDType",
            "ULongDType",
            "LongLongDType",
            "ULongLongDType",
            "LongDoubleDType",
        ] {
            let s: &'static str = Box::leak(format!("numpy.dtypes:{d}").into_boxed_str());
            v.push((s, ANY, Instance));
        }
        // joblib.
        allow!(
            v,
            NEW | CALL,
            JoblibWrapper,
            ["joblib.numpy_pickle:NumpyArrayWrapper"]
        );
        allow!(
            v,
            ANY,
            Instance,
            [
                "joblib.numpy_pickle_compat:NDArrayWrapper",
                "joblib.numpy_pickle:NDArrayWrapper"
            ]
        );
        // torch: PyTorch's weights_only defaults and what torch.save emits.
        allow!(
            v,
            CALL,
            Instance,
            [
                "torch._utils:_rebuild_tensor",
                "torch._utils:_rebuild_tensor_v2",
                "torch._utils:_rebuild_tensor_v3",
                "torch._utils:_rebuild_parameter",
                "torch._utils:_rebuild_parameter_with_state",
                "torch._utils:_rebuild_qtensor",
                "torch._utils:_rebuild_sparse_tensor",
                "torch._utils:_rebuild_meta_tensor_no_storage",
                "torch._utils:_rebuild_wrapper_subclass",
                "torch._utils:_rebuild_device_tensor_from_numpy",
                "torch._utils:_rebuild_device_tensor_from_cpu_tensor",
                "torch._utils:_rebuild_nested_tensor",
                "torch._utils:_rebuild_xla_tensor",
                "torch.serialization:_get_layout",
                "torch:Size",
                "torch:device",
                "torch:Tensor",
                "torch.nn.parameter:Parameter",
                "torch.nn.parameter:Buffer",
                "torch.storage:TypedStorage",
                "torch.storage:UntypedStorage",
                "torch:_utils._rebuild_tensor_v2",
                "torch.jit._pickle:build_intlist",
                "torch.jit._pickle:build_tensorlist",
                "torch.jit._pickle:build_doublelist",
                "torch.jit._pickle:build_boollist",
                "torch.jit._pickle:restore_type_tag",
                "torch._C:_get_tracing_state",
            ]
        );
        allow!(
            v,
            CALL,
            RebuildFromType,
            [
                "torch._tensor:_rebuild_from_type_v2",
                "torch._tensor:_rebuild_from_type"
            ]
        );
        allow!(v, CALL, NestedLoad, ["torch.storage:_load_from_bytes"]);
        for kind in [
            "BFloat16",
            "Bool",
            "Byte",
            "Char",
            "ComplexDouble",
            "ComplexFloat",
            "Double",
            "Float",
            "Half",
            "Int",
            "Long",
            "QInt32",
            "QInt8",
            "QUInt2x4",
            "QUInt4x2",
            "QUInt8",
            "Short",
        ] {
            for prefix in ["torch", "torch.cuda"] {
                let s: &'static str = Box::leak(format!("{prefix}:{kind}Storage").into_boxed_str());
                v.push((s, ANY, Instance));
            }
        }
        for kind in [
            "BFloat16", "Bool", "Byte", "Char", "Double", "Float", "Half", "Int", "Long", "Short",
        ] {
            for prefix in ["torch", "torch.cuda", "torch.sparse", "torch.cuda.sparse"] {
                let s: &'static str = Box::leak(format!("{prefix}:{kind}Tensor").into_boxed_str());
                v.push((s, ANY, Instance));
            }
        }
        for dt in [
            "bool",
            "uint1",
            "uint2",
            "uint3",
            "uint4",
            "uint5",
            "uint6",
            "uint7",
            "uint8",
            "uint16",
            "uint32",
            "uint64",
            "int1",
            "int2",
            "int3",
            "int4",
            "int5",
            "int6",
            "int7",
            "int8",
            "int16",
            "int32",
            "int64",
            "float16",
            "bfloat16",
            "float32",
            "float64",
            "complex32",
            "complex64",
            "complex128",
            "bcomplex32",
            "float8_e4m3fn",
            "float8_e4m3fnuz",
            "float8_e5m2",
            "float8_e5m2fnuz",
            "float8_e8m0fnu",
            "float4_e2m1fn_x2",
            "qint8",
            "qint32",
            "quint8",
            "quint4x2",
            "quint2x4",
            "bits1x8",
            "bits2x4",
            "bits4x2",
            "bits8",
            "bits16",
            "half",
            "float",
            "double",
            "long",
            "int",
            "short",
            "cfloat",
            "cdouble",
            "per_tensor_affine",
            "per_tensor_symmetric",
            "per_channel_affine",
            "per_channel_symmetric",
            "per_channel_affine_float_qparams",
            "strided",
            "sparse_coo",
            "sparse_csr",
            "sparse_csc",
            "sparse_bsr",
            "sparse_bsc",
            "_mkldnn",
            "contiguous_format",
            "channels_last",
            "channels_last_3d",
            "preserve_format",
        ] {
            let s: &'static str = Box::leak(format!("torch:{dt}").into_boxed_str());
            v.push((s, VALUE, Instance));
        }
        // transformers / accelerate training arguments (training_args.bin) and enums.
        allow!(
            v,
            ANY,
            Instance,
            [
                "transformers.training_args:TrainingArguments",
                "transformers.training_args_seq2seq:Seq2SeqTrainingArguments",
                "transformers.training_args:OptimizerNames",
                "transformers.trainer_utils:IntervalStrategy",
                "transformers.trainer_utils:SchedulerType",
                "transformers.trainer_utils:HubStrategy",
                "transformers.trainer_utils:SaveStrategy",
                "transformers.trainer_utils:EvaluationStrategy",
                "transformers.debug_utils:DebugOption",
                "transformers.trainer_utils:FSDPOption",
                "accelerate.utils.dataclasses:DistributedType",
                "accelerate.state:PartialState",
                "accelerate.utils.dataclasses:DeepSpeedPlugin",
                "tokenizers:Tokenizer",
                "tokenizers:AddedToken",
                "tokenizers.models:Model",
            ]
        );
        let exact = v.into_iter().map(|(k, u, s)| (k, (u, s))).collect();
        Tables { exact }
    })
}

/// Module prefixes whose every member is known dangerous (matched on dotted components).
const DANGEROUS_MODULES: &[&str] = &[
    "os",
    "posix",
    "nt",
    "subprocess",
    "_posixsubprocess",
    "sys",
    "pty",
    "runpy",
    "socket",
    "_socket",
    "shutil",
    "ctypes",
    "_ctypes",
    "pickle",
    "_pickle",
    "pickletools",
    "marshal",
    "importlib",
    "_frozen_importlib",
    "_frozen_importlib_external",
    "_imp",
    "imp",
    "inspect",
    "code",
    "codeop",
    "pdb",
    "bdb",
    "timeit",
    "cProfile",
    "profile",
    "pydoc",
    "trace",
    "webbrowser",
    "http",
    "urllib",
    "urllib2",
    "requests",
    "aiohttp",
    "httpx",
    "asyncio",
    "multiprocessing",
    "pip",
    "ensurepip",
    "venv",
    "distutils",
    "setuptools",
    "idlelib",
    "lib2to3",
    "imaplib",
    "smtplib",
    "ftplib",
    "poplib",
    "telnetlib",
    "nntplib",
    "ssl",
    "pkgutil",
    "zipimport",
    "gc",
    "site",
    "signal",
    "_signal",
    "threading",
    "_thread",
    "atexit",
    "sqlite3",
    "_sqlite3",
    "mmap",
    "select",
    "selectors",
    "tempfile",
    "glob",
    "fileinput",
    "linecache",
    "logging",
    "io",
    "_io",
    "dill",
    "cloudpickle",
    "joblib",
    "pexpect",
    "xmlrpc",
    "socketserver",
    "tarfile",
    "zipfile",
    "shelve",
    "platform",
    "compileall",
    "py_compile",
    "_osx_support",
    "_aix_support",
    "_pyrepl",
    "doctest",
    "unittest",
    "test",
    "commands",
    "_interpreters",
    "_xxsubinterpreters",
    "pipes",
    "syslog",
    "filecmp",
    "builtins",
    "types",
    "copyreg",
    "operator",
    "_operator",
    "functools",
    "uuid",
    "fickling",
    "picklescan",
    "modelscan",
    "numpy.f2py",
    "numpy.testing",
    "numpy.distutils",
    "numpy.lib.npyio",
    "numpy.lib.format",
    "torch.hub",
    "torch._dynamo",
    "torch._inductor",
    "torch.jit",
    "torch.compile",
    "torch.package",
    "torch.utils.collect_env",
    "torch.utils.bottleneck",
    "torch.utils._config_module",
    "torch.utils.data.datapipes",
    "torch.fx.experimental.symbolic_shapes",
    "torch.serialization",
    "torch.storage",
    "torch.distributed",
    "torch.multiprocessing",
    "torch._C._dynamo",
    "torch.utils.cpp_extension",
    "torch.ops",
    "torch.library",
    "torch._ops",
    "keras",
    "tensorflow",
    "jinja2",
    "yaml",
    "ruamel",
    "numexpr",
    "sympy",
    "IPython",
    "ipykernel",
    "nbconvert",
    "rpy2",
    "paramiko",
    "fabric",
    "docker",
    "boto3",
    "botocore",
    "google.cloud",
];

/// Final name components that mean "runs code or loads another file" wherever they live.
const DANGEROUS_NAMES: &[&str] = &[
    "eval",
    "exec",
    "execfile",
    "system",
    "popen",
    "popen2",
    "popen3",
    "spawn",
    "spawnv",
    "spawnl",
    "spawnve",
    "loads",
    "load",
    "load_pickle",
    "compile",
    "__import__",
    "import_module",
    "runcode",
    "runsource",
    "run_path",
    "run_module",
    "Popen",
    "check_output",
    "check_call",
    "getoutput",
    "getstatusoutput",
    "execv",
    "execve",
    "execl",
    "execlp",
    "execvp",
    "load_source",
    "urlopen",
    "urlretrieve",
    "setattr",
    "delattr",
    "globals",
    "locals",
    "vars",
    "breakpoint",
    "input",
    "open",
    "apply",
    "resolve_name",
    "locate",
    "load_module",
    "exec_module",
    "startfile",
    "call",
    "run",
    "load_config",
    "evaluate_guards_expression",
    "execWrapper",
    "compile_file",
    "basichandlers",
    "runstring",
    "getlincoef",
    "_get_command_stdout",
    "enable_unsafe_deserialization",
];

fn under(module: &str, prefix: &str) -> bool {
    module == prefix
        || (module.starts_with(prefix) && module.as_bytes().get(prefix.len()) == Some(&b'.'))
}

pub(crate) fn is_identifier_path(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|c| {
            let mut ch = c.chars();
            matches!(ch.next(), Some(f) if f == '_' || f.is_alphabetic())
                && ch.all(|x| x == '_' || x.is_alphanumeric())
        })
}

/// Classes of whole libraries that benign files instantiate (estimators, modules): only
/// CamelCase final components, never functions.
const CLASS_PREFIXES: &[&str] = &[
    "sklearn",
    "torch.nn.modules",
    "torch.optim",
    "scipy.sparse",
    "pandas.core",
    "pandas._libs",
    "xgboost",
    "lightgbm",
    "catboost",
    "ultralytics.nn",
    "timm.layers",
    "timm.models",
    "torchvision.models",
    "torchvision.ops",
    "torchvision.transforms",
    "transformers.models",
];

/// Classify a (module, name) already passed through [`normalise`].
pub(crate) fn classify(module: &str, name: &str) -> Class {
    if !is_identifier_path(module) || !is_identifier_path(name) {
        return Class::Dangerous(format!("malformed global name {module:?} {name:?}"));
    }
    let key = format!("{module}:{name}");
    if let Some(&(uses, special)) = tables().exact.get(key.as_str()) {
        return Class::Allowed { uses, special };
    }
    let full = format!("{module}.{name}");
    for d in DANGEROUS_MODULES {
        // Any dotted prefix of the full path naming a dangerous module (catches `pathlib.os.system`
        // only through the dotted-name rule below, and `asyncio.unix_events.X` here).
        if under(module, d) {
            return Class::Dangerous(format!("{full} is in the dangerous module {d}"));
        }
    }
    let last = name.rsplit('.').next().unwrap_or(name);
    if DANGEROUS_NAMES.contains(&last) {
        return Class::Dangerous(format!(
            "{full} looks like a code-running or loading callable"
        ));
    }
    if name.contains('.') {
        // Protocol >= 4 resolves dotted names with getattr chains, so `pathlib` + `os.system`
        // is `os.system`. Only exact allowlist entries may be dotted.
        for part in name.split('.') {
            if DANGEROUS_MODULES.contains(&part) || DANGEROUS_NAMES.contains(&part) {
                return Class::Dangerous(format!("dotted name {full} reaches {part}"));
            }
        }
        return Class::Dangerous(format!("dotted name {full} is not on the allowlist"));
    }
    let top = module.split('.').next().unwrap_or(module);
    if top.starts_with('_') && top != "__main__" && top != "__torch__" {
        return Class::Dangerous(format!("{full} is in a private interpreter module"));
    }
    if (under(module, "torch.nn.functional")
        || under(module, "torch._C._nn")
        || module == "torch.nn.init")
        && !name.starts_with('_')
    {
        // Functional references stored in full-module saves: values, never called by the unpickler.
        return Class::Allowed {
            uses: VALUE,
            special: Special::Instance,
        };
    }
    if CLASS_PREFIXES.iter().any(|p| under(module, p))
        && name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && !module
            .split('.')
            .any(|c| c == "testing" || c == "_testing" || c == "externals" || c == "datasets")
    {
        // Instances come back through NEWOBJ + BUILD (no constructor call). scikit-learn's Cython
        // types (e.g. `sklearn.tree._tree.Tree`) are rebuilt by calling the class.
        let uses = if under(module, "sklearn") { ANY } else { NEW };
        return Class::Allowed {
            uses,
            special: Special::Instance,
        };
    }
    Class::Unlisted
}

/// True for loader-like callables that must never be allowlisted without recursing.
pub(crate) fn is_torchscript_module(module: &str) -> bool {
    under(module, "__torch__")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(m: &str, n: &str) -> Class {
        let (m, n) = normalise(m, n);
        classify(&m, &n)
    }

    #[test]
    fn classification_examples() {
        assert!(matches!(
            c("collections", "OrderedDict"),
            Class::Allowed { .. }
        ));
        assert!(matches!(c("__builtin__", "set"), Class::Allowed { .. }));
        assert!(matches!(c("os", "system"), Class::Dangerous(_)));
        assert!(matches!(c("pathlib", "os.getloadavg"), Class::Dangerous(_)));
        assert!(matches!(
            c("asyncio.unix_events", "_UnixSubprocessTransport"),
            Class::Dangerous(_)
        ));
        assert!(matches!(c("builtins", "print"), Class::Dangerous(_)));
        assert!(matches!(c("__main__", "Cfg"), Class::Unlisted));
        assert!(matches!(
            c("sklearn.pipeline", "Pipeline"),
            Class::Allowed { .. }
        ));
        assert!(matches!(
            c("sklearn.datasets", "fetch_openml"),
            Class::Dangerous(_) | Class::Unlisted
        ));
        assert!(matches!(c("torch", "load"), Class::Dangerous(_)));
        assert!(matches!(
            c("torch.storage", "_load_from_bytes"),
            Class::Allowed { .. }
        ));
        assert!(matches!(
            c("code", "InteractiveInterpreter.runsource"),
            Class::Dangerous(_)
        ));
        assert!(matches!(c("os\nx", "y"), Class::Dangerous(_)));
    }
}
