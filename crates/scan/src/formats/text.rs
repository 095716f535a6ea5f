//! Content with no magic number that is not a pickle: text, JSON or opaque data. JSON
//! tokenizer configs and template files are checked for chat templates.

use crate::report::Sink;

const KEEP: usize = 16 << 20;

pub(crate) struct Text {
    buf: Vec<u8>,
    texty: bool,
    total: u64,
}

impl Text {
    pub(crate) fn new() -> Self {
        Self {
            buf: Vec::new(),
            texty: true,
            total: 0,
        }
    }

    pub(crate) fn feed(&mut self, data: &[u8]) {
        self.total += data.len() as u64;
        if !self.texty {
            return;
        }
        if self.buf.len() + data.len() > KEEP {
            self.texty = false;
            self.buf = Vec::new();
            return;
        }
        // A NUL in the first 4 KiB makes it binary data: only the new bytes that fall in that
        // window are looked at, so the answer does not depend on how the stream is chunked.
        let before = self.buf.len();
        self.buf.extend_from_slice(data);
        if before < 4096 && self.buf[before..self.buf.len().min(4096)].contains(&0) {
            self.texty = false;
            self.buf = Vec::new();
        }
    }

    pub(crate) fn finish(self) -> (&'static str, Sink) {
        let mut sink = Sink::new();
        if !self.texty || self.buf.is_empty() {
            return ("data", sink);
        }
        let Ok(s) = std::str::from_utf8(&self.buf) else {
            return ("data", sink);
        };
        let t = s.trim_start();
        if (t.starts_with('{') || t.starts_with('['))
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(s)
        {
            check_json(&v, &mut sink, 0);
            return ("json", sink);
        }
        if s.contains("{{") || s.contains("{%") {
            crate::formats::jinja::check(s, "template", 0, &mut sink);
        }
        ("text", sink)
    }
}

fn check_json(v: &serde_json::Value, sink: &mut Sink, depth: u32) {
    if depth > 64 {
        return;
    }
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                if k == "chat_template" || k == "template" {
                    match x {
                        serde_json::Value::String(t) => crate::formats::jinja::check(t, k, 0, sink),
                        serde_json::Value::Array(a) => {
                            for e in a {
                                if let Some(t) = e.get("template").and_then(|t| t.as_str()) {
                                    crate::formats::jinja::check(t, k, 0, sink);
                                }
                            }
                        }
                        _ => {}
                    }
                } else {
                    check_json(x, sink, depth + 1);
                }
            }
        }
        serde_json::Value::Array(a) => {
            for x in a {
                check_json(x, sink, depth + 1);
            }
        }
        _ => {}
    }
}
