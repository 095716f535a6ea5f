//! Static checks of Jinja chat templates (parsed, never rendered). A chat template needs
//! loops, conditionals, `messages`, string filters and `raise_exception`; it never needs
//! dunder attributes, Jinja's global helpers' internals, or Python-level calls.

use crate::report::{Sink, Verdict};

/// Tokens inside `{{ }}` / `{% %}` that only sandbox escapes use.
const ESCAPES: &[&str] = &[
    "__globals__",
    "__builtins__",
    "__class__",
    "__subclasses__",
    "__mro__",
    "__base__",
    "__bases__",
    "__init__",
    "__import__",
    "__getattribute__",
    "__dict__",
    "__code__",
    "__reduce__",
    "__reduce_ex__",
    "__self__",
    "__func__",
    "__closure__",
    "__loader__",
    "__spec__",
    "func_globals",
    "f_globals",
    "gi_frame",
    "tb_frame",
    "lipsum.",
    "cycler.",
    "joiner.",
    "url_for",
    "get_flashed_messages",
    "request.",
    "config.",
    "self._",
    "popen",
    "subprocess",
    "os.system",
    "eval(",
    "exec(",
    "__",
    "mro(",
];

/// Tokens a chat template does not need and a reviewer should look at.
const SUSPICIOUS: &[&str] = &[
    "|attr",
    "| attr",
    ".format(",
    "|format",
    "| format",
    "{% import",
    "{%- import",
    "{% include",
    "{%- include",
    "{% extends",
    "{%- extends",
    "{% from",
    "{%- from",
];

/// Check one template. `where_` names where it came from (e.g. `tokenizer.chat_template`).
pub(crate) fn check(template: &str, where_: &str, at: u64, sink: &mut Sink) {
    for span in spans(template) {
        let compact: String = span.chars().filter(|c| !c.is_whitespace()).collect();
        if let Some(tok) = ESCAPES
            .iter()
            .find(|t| compact.contains(&t.replace(' ', "")))
        {
            sink.add(
                "jinja.sandbox-escape",
                Verdict::Unsafe,
                at,
                format!(
                    "{where_}: template expression uses {tok:?}, a known sandbox-escape pattern"
                ),
            );
            return;
        }
    }
    let full = template;
    if let Some(tok) = SUSPICIOUS.iter().find(|t| full.contains(**t)) {
        sink.add(
            "jinja.suspicious",
            Verdict::Unknown,
            at,
            format!("{where_}: template uses {tok:?}, which chat templates do not need"),
        );
    }
}

/// The contents of `{{ … }}` and `{% … %}` blocks.
fn spans(t: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = t;
    while let Some(i) = rest.find('{') {
        let after = &rest[i + 1..];
        let close = match after.chars().next() {
            Some('{') => "}}",
            Some('%') => "%}",
            _ => {
                rest = after;
                continue;
            }
        };
        let body = &after[1..];
        match body.find(close) {
            Some(j) => {
                out.push(&body[..j]);
                rest = &body[j + 2..];
            }
            None => {
                out.push(body);
                break;
            }
        }
    }
    out
}
