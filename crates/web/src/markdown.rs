//! Cards: GitHub-flavoured Markdown (comrak) made safe by an allow-list sanitiser (ammonia).
//!
//! Raw HTML in a card is parsed like GitHub does, then everything outside the allow-list goes:
//! scripts, styles, frames, forms, event handlers, `javascript:` and other non-web URLs. Relative
//! links point at the file's page in the repository, relative images at its raw content.

use std::{borrow::Cow, collections::HashSet, sync::Arc};

use crate::highlight::escape;

/// Where a card's relative URLs lead: `/{prefix}{ns}/{name}` and the revision shown.
#[derive(Clone, Debug)]
pub struct Base {
    /// `/alice/model` or `/datasets/alice/data`.
    pub repo_url: String,
    /// Revision segment, already percent-encoded.
    pub rev: String,
    /// Folder of the Markdown file inside the repository ("" for the root).
    pub dir: String,
}

/// Cards larger than this are shown as plain text: rendering cost grows with size.
pub const MAX_CARD: usize = 1 << 20;

/// Renders Markdown (front matter dropped) to sanitised HTML.
pub fn render(md: &str, base: &Base) -> String {
    if md.len() > MAX_CARD {
        return format!("<pre>{}</pre>", escape(md));
    }
    let mut opts = comrak::Options::default();
    opts.extension.strikethrough = true;
    opts.extension.table = true;
    opts.extension.autolink = true;
    opts.extension.tasklist = true;
    opts.extension.footnotes = true;
    opts.extension.alerts = true;
    opts.extension.front_matter_delimiter = Some("---".to_owned());
    let links = base.clone();
    let images = base.clone();
    opts.extension.link_url_rewriter = Some(Arc::new(move |u: &str| {
        resolve(u, &links, "blob").unwrap_or_else(|| u.to_owned())
    }));
    opts.extension.image_url_rewriter = Some(Arc::new(move |u: &str| {
        resolve(u, &images, "download").unwrap_or_else(|| u.to_owned())
    }));
    // Raw HTML is kept by comrak and judged by the sanitiser, which knows the allow-list.
    opts.render.r#unsafe = true;
    let html = comrak::markdown_to_html(md, &opts);
    sanitise(&html, base)
}

/// The allow-list pass. Public so other HTML (none today) cannot bypass it by accident.
pub fn sanitise(html: &str, base: &Base) -> String {
    let raw = base.clone();
    let schemes: HashSet<&str> = ["http", "https", "mailto"].into_iter().collect();
    ammonia::Builder::default()
        .url_schemes(schemes)
        .link_rel(Some("nofollow noopener noreferrer"))
        .id_prefix(Some("user-content-"))
        .add_tag_attributes("td", &["align"])
        .add_tag_attributes("th", &["align"])
        .add_tag_attributes("div", &["align"])
        .add_tag_attributes("p", &["align"])
        .add_tag_attributes("img", &["align", "width", "height"])
        .url_relative(ammonia::UrlRelative::Custom(Box::new(RawRelative(raw))))
        .clean(html)
        .to_string()
}

/// Relative URLs left in raw HTML (`<img src="fig.png">`) resolve to raw content.
struct RawRelative(Base);

impl<'a> ammonia::UrlRelativeEvaluate<'a> for RawRelative {
    fn evaluate<'url>(&self, url: &'url str) -> Option<Cow<'url, str>> {
        if url.starts_with('/') || url.starts_with('#') {
            // Already site-absolute (rewritten by comrak, or written so); `//host` is not
            // relative and never reaches here.
            return Some(Cow::Borrowed(url));
        }
        resolve(url, &self.0, "download").map(Cow::Owned)
    }
}

/// `fig.png` → `/alice/model/download/main/fig.png`. `None` for URLs that are not relative to
/// the repository (schemes, `//host`, `/path`, `#anchor`).
fn resolve(url: &str, base: &Base, view: &str) -> Option<String> {
    let u = url.trim();
    if u.is_empty() || u.starts_with('#') || u.starts_with('/') || u.starts_with('?') {
        return None;
    }
    // A scheme is letters, digits, `+-.` before the first `:` that comes before any `/?#`.
    if let Some(colon) = u.find(':') {
        let first = u.find(['/', '?', '#']).unwrap_or(u.len());
        if colon < first {
            return None;
        }
    }
    let (path, tail) = match u.find(['?', '#']) {
        Some(i) => (&u[..i], &u[i..]),
        None => (u, ""),
    };
    let mut parts: Vec<&str> = if base.dir.is_empty() {
        Vec::new()
    } else {
        base.dir.split('/').collect()
    };
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            // Above the repository's root stays at the root.
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    Some(format!(
        "{}/{view}/{}/{}{tail}",
        base.repo_url,
        base.rev,
        parts.join("/")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Base {
        Base {
            repo_url: "/alice/model".into(),
            rev: "main".into(),
            dir: String::new(),
        }
    }

    #[test]
    fn hostile_card_loses_scripts_handlers_javascript_and_raw_html() {
        let md = r#"---
license: mit
---
# Title

<script>alert('script')</script>
<SCRIPT SRC=//evil.example/x.js></SCRIPT>
<img src="x.png" onerror="alert('onerror')">
<div onclick="alert('onclick')" onmouseover="alert(2)">box</div>
<a href="javascript:alert('js-link')">raw js link</a>
<a href="JaVaScRiPt:alert(1)">mixed case</a>
<a href="&#106;avascript:alert(1)">entity</a>

[md js link](javascript:alert('md')) and [md data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)
and <span onmouseover="alert(3)">inline</span> and ![img](javascript:alert(4))

<iframe src="https://evil.example"></iframe>
<object data="x.swf"></object><embed src="x.swf">
<style>body { display: none }</style>
<form action="https://evil.example"><input name="q"><button>go</button></form>
<svg onload="alert('svg')"><circle r="1"/></svg>
<math><mi xlink:href="javascript:alert(1)">x</mi></math>
<meta http-equiv="refresh" content="0;url=https://evil.example">
<base href="https://evil.example/">
<p style="background:url(javascript:alert(1))">styled</p>
<details><summary>More</summary>kept</details>

Plain **bold** text survives.
"#;
        let html = render(md, &base());
        // The whole output, reviewed once: any change to what survives shows up in review.
        insta::assert_snapshot!("hostile_card", html);
        let lower = html.to_ascii_lowercase();
        for bad in [
            "<script",
            "</script",
            "alert(",
            "onerror",
            "onclick",
            "onmouseover",
            "onload",
            "javascript:",
            "data:text",
            "<iframe",
            "<object",
            "<embed",
            "<style",
            "<form",
            "<button",
            "<input",
            "<svg",
            "<math",
            "<meta",
            "<base",
            "style=",
            "license: mit",
        ] {
            assert!(!lower.contains(bad), "{bad:?} survived in:\n{html}");
        }
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(html.contains("<details>"), "{html}");
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(
            html.contains("md js link") && html.contains(">inline</span>"),
            "{html}"
        );
        // The raw image stays, its handler gone and its URL inside the repository.
        assert!(
            html.contains(r#"<img src="/alice/model/download/main/x.png">"#),
            "{html}"
        );
    }

    #[test]
    fn relative_links_and_images_resolve_inside_the_repository() {
        let md = "[config](config.json) [doc](./docs/a.md#part) [up](../../LICENSE) \
                  [abs](https://example.org/x) [anchor](#usage) [mail](mailto:a@b.c)\n\n\
                  ![fig](images/fig.png) <img src=\"raw.png\">";
        let html = render(md, &base());
        assert!(
            html.contains(r#"href="/alice/model/blob/main/config.json""#),
            "{html}"
        );
        assert!(
            html.contains(r#"href="/alice/model/blob/main/docs/a.md#part""#),
            "{html}"
        );
        assert!(
            html.contains(r#"href="/alice/model/blob/main/LICENSE""#),
            "{html}"
        );
        assert!(html.contains(r#"href="https://example.org/x""#), "{html}");
        assert!(html.contains(r##"href="#usage""##), "{html}");
        assert!(html.contains(r#"href="mailto:a@b.c""#), "{html}");
        assert!(
            html.contains(r#"src="/alice/model/download/main/images/fig.png""#),
            "{html}"
        );
        assert!(
            html.contains(r#"src="/alice/model/download/main/raw.png""#),
            "{html}"
        );
        assert!(
            html.contains(r#"rel="nofollow noopener noreferrer""#),
            "{html}"
        );
    }

    #[test]
    fn gfm_tables_tasks_and_strikethrough_render() {
        let html = render(
            "| a | b |\n|---|:-:|\n| 1 | 2 |\n\n- [x] done\n- [ ] todo\n\n~~old~~ www.example.org",
            &base(),
        );
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("<del>old</del>"), "{html}");
        // A card has no form controls: task boxes go, their text stays.
        assert!(html.contains("done") && !html.contains("<input"), "{html}");
        assert!(html.contains(r#"href="http://www.example.org""#), "{html}");
    }

    #[test]
    fn huge_card_is_escaped_text() {
        let md = format!("<script>x</script>{}", "a".repeat(MAX_CARD));
        let html = render(&md, &base());
        assert!(html.starts_with("<pre>&lt;script&gt;"));
    }
}
