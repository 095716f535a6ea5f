//! Keras model configs (`config.json` in `.keras` zips, `model_config` in `.h5`): layers and
//! objects name Python modules and functions that Keras imports and calls.

use crate::report::{Sink, Verdict};
use serde_json::Value;

const KERAS_ROOTS: &[&str] = &[
    "keras",
    "tensorflow",
    "tf_keras",
    "keras_nlp",
    "keras_hub",
    "keras_cv",
    "tf",
];
const NEVER: &[&str] = &[
    "enable_unsafe_deserialization",
    "load_model",
    "get_file",
    "set_config",
    "load_weights",
];

/// Check a JSON config. Non-JSON or non-Keras configs produce no findings.
pub(crate) fn check_config(bytes: &[u8], where_: &str, sink: &mut Sink) {
    let Ok(v) = serde_json::from_slice::<Value>(bytes) else {
        return;
    };
    walk(&v, where_, sink, 0);
}

/// Check the first JSON value starting at `bytes` (trailing bytes ignored), e.g. an HDF5
/// attribute payload.
pub(crate) fn check_embedded(bytes: &[u8], where_: &str, at: u64, sink: &mut Sink) {
    let mut it = serde_json::Deserializer::from_slice(bytes).into_iter::<Value>();
    match it.next() {
        Some(Ok(v)) => walk(&v, where_, sink, 0),
        _ => {
            // Could not isolate the JSON: fall back to byte patterns.
            let s = String::from_utf8_lossy(bytes);
            if s.contains("\"Lambda\"") || s.contains("__lambda__") {
                sink.add(
                    "keras.lambda",
                    Verdict::Unsafe,
                    at,
                    format!("{where_}: Lambda layer (serialized Python code)"),
                );
            }
        }
    }
}

fn walk(v: &Value, where_: &str, sink: &mut Sink, depth: u32) {
    if depth > 256 {
        sink.add(
            "scan.limit",
            Verdict::Unsafe,
            0,
            format!("{where_}: config nested too deeply"),
        );
        return;
    }
    match v {
        Value::Object(m) => {
            let class = m.get("class_name").and_then(Value::as_str).unwrap_or("");
            if class == "Lambda" || class == "__lambda__" {
                sink.add(
                    "keras.lambda",
                    Verdict::Unsafe,
                    0,
                    format!("{where_}: {class} layer carries serialized Python code"),
                );
            }
            if class == "function" || class == "__function__" {
                let cfg = m.get("config").map(|c| c.to_string()).unwrap_or_default();
                let module = m.get("module").and_then(Value::as_str).unwrap_or("");
                sink.add(
                    "keras.function",
                    Verdict::Unsafe,
                    0,
                    format!("{where_}: config calls the function {module}.{cfg} on load"),
                );
            }
            if let Some(module) = m.get("module").and_then(Value::as_str) {
                let root = module.split('.').next().unwrap_or("");
                if !KERAS_ROOTS.contains(&root) && !module.is_empty() {
                    let (m2, n2) = crate::globals::normalise(
                        module,
                        if class.is_empty() { "x" } else { class },
                    );
                    let verdict = match crate::globals::classify(&m2, &n2) {
                        crate::globals::Class::Dangerous(_) => Verdict::Unsafe,
                        _ => Verdict::Unknown,
                    };
                    sink.add(
                        "keras.custom-object",
                        verdict,
                        0,
                        format!("{where_}: object from module {module:?} (outside Keras) is imported on load"),
                    );
                }
            }
            if let Some(r) = m.get("registered_name").and_then(Value::as_str)
                && r.contains('>')
            {
                sink.add(
                    "keras.custom-object",
                    Verdict::Unknown,
                    0,
                    format!("{where_}: custom registered object {r:?}"),
                );
            }
            for (k, x) in m {
                if let Value::String(s) = x
                    && NEVER.iter().any(|n| s.contains(n))
                    && (k == "config"
                        || k == "class_name"
                        || k == "module"
                        || k == "registered_name"
                        || k == "function")
                {
                    sink.add(
                        "keras.unsafe-call",
                        Verdict::Unsafe,
                        0,
                        format!("{where_}: config references {s:?}"),
                    );
                }
                walk(x, where_, sink, depth + 1);
            }
        }
        Value::Array(a) => {
            for x in a {
                walk(x, where_, sink, depth + 1);
            }
        }
        _ => {}
    }
}
