//! Syntax highlighting of file views: syntect's bundled grammars, classed spans (the colours are
//! in the stylesheet), and limits so a hostile file cannot make a page slow.

use std::sync::OnceLock;

use syntect::{
    html::{ClassStyle, ClassedHTMLGenerator},
    parsing::SyntaxSet,
    util::LinesWithEndings,
};

/// Files larger than this, or with longer lines, are shown without colours.
pub const MAX_BYTES: usize = 256 << 10;
const MAX_LINE: usize = 5_000;

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// Grammars load on first use (tens of milliseconds); the server warms them at start.
pub fn warm() {
    let _ = syntaxes();
}

/// `text` as escaped HTML with `<span class="hl-...">` runs (a grammar's state carries across
/// lines, so multi-line strings stay coloured); plain escaped text when no grammar fits.
pub fn html(path: &str, text: &str) -> String {
    if text.len() > MAX_BYTES || text.lines().any(|l| l.len() > MAX_LINE) {
        return escape(text);
    }
    let set = syntaxes();
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or(name);
    let syntax = match ext.to_ascii_lowercase().as_str() {
        // Common files of model repositories that the bundled set names differently.
        "jsonl" | "ipynb" => set.find_syntax_by_extension("json"),
        "toml" | "cfg" | "ini" => set.find_syntax_by_extension("ini"),
        "yml" => set.find_syntax_by_extension("yaml"),
        "txt" => None,
        e => set.find_syntax_by_extension(e),
    }
    .or_else(|| {
        text.lines()
            .next()
            .and_then(|l| set.find_syntax_by_first_line(l))
    });
    let Some(syntax) = syntax else {
        return escape(text);
    };
    let mut g = ClassedHTMLGenerator::new_with_class_style(
        syntax,
        set,
        ClassStyle::SpacedPrefixed { prefix: "hl-" },
    );
    for line in LinesWithEndings::from(text) {
        if g.parse_html_for_line_which_includes_newline(line).is_err() {
            return escape(text);
        }
    }
    g.finalize()
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn python_gets_classes_and_html_is_escaped() {
        let h = super::html("train.py", "def f(x):\n    return '<script>'\n");
        assert!(h.contains("hl-"), "{h}");
        assert!(h.contains("&lt;script&gt;"), "{h}");
        assert!(!h.contains("<script>"));
    }

    #[test]
    fn unknown_files_are_escaped_plain_text() {
        assert_eq!(super::html("weights.xyz", "<b>\n"), "&lt;b&gt;\n");
    }
}
