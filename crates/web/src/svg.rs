//! The lineage graph as a server-drawn SVG: base models on the left, the repository in the
//! middle, derivatives on the right. Text is escaped; links are site paths built here.

use std::fmt::Write;

const W: usize = 760;
const BOX_W: usize = 220;
const BOX_H: usize = 32;
const GAP: usize = 12;

fn esc(s: &str) -> String {
    crate::highlight::escape(s)
}

/// Shortens long ids so they fit a box.
fn fit(s: &str) -> String {
    if s.chars().count() <= 30 {
        s.to_owned()
    } else {
        let head: String = s.chars().take(29).collect();
        format!("{head}…")
    }
}

fn node(out: &mut String, x: usize, y: usize, label: &str, url: Option<&str>, main: bool) {
    let class = if main { "lg-main" } else { "lg-node" };
    if let Some(u) = url {
        let _ = write!(out, r#"<a href="{}">"#, esc(u));
    }
    let _ = write!(
        out,
        r#"<rect class="{class}" x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6"/><text x="{}" y="{}" text-anchor="middle">{}</text><title>{}</title>"#,
        x + BOX_W / 2,
        y + BOX_H / 2 + 5,
        esc(&fit(label)),
        esc(label)
    );
    if url.is_some() {
        out.push_str("</a>");
    }
}

/// `bases` and `derivatives` are (id, link if the viewer may open it).
pub fn lineage(
    me: &str,
    bases: &[(String, Option<String>)],
    derivatives: &[(String, Option<String>)],
) -> String {
    let rows = bases.len().max(derivatives.len()).max(1);
    let h = rows * (BOX_H + GAP) + GAP;
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="lineage" viewBox="0 0 {W} {h}" width="{W}" height="{h}" role="img" aria-labelledby="lineage-title"><title id="lineage-title">Lineage of {}: {} base model(s), {} derivative(s)</title>"#,
        esc(me),
        bases.len(),
        derivatives.len()
    );
    let mid_x = (W - BOX_W) / 2;
    let mid_y = (h - BOX_H) / 2;
    let col_y = |i: usize, n: usize| {
        let used = n * (BOX_H + GAP) - GAP;
        (h - used) / 2 + i * (BOX_H + GAP)
    };
    for (i, _) in bases.iter().enumerate() {
        let y = col_y(i, bases.len()) + BOX_H / 2;
        let _ = write!(
            out,
            r#"<line class="lg-edge" x1="{}" y1="{y}" x2="{mid_x}" y2="{}"/>"#,
            BOX_W,
            mid_y + BOX_H / 2
        );
    }
    for (i, _) in derivatives.iter().enumerate() {
        let y = col_y(i, derivatives.len()) + BOX_H / 2;
        let _ = write!(
            out,
            r#"<line class="lg-edge" x1="{}" y1="{}" x2="{}" y2="{y}"/>"#,
            mid_x + BOX_W,
            mid_y + BOX_H / 2,
            W - BOX_W
        );
    }
    for (i, (id, url)) in bases.iter().enumerate() {
        node(
            &mut out,
            0,
            col_y(i, bases.len()),
            id,
            url.as_deref(),
            false,
        );
    }
    node(&mut out, mid_x, mid_y, me, None, true);
    for (i, (id, url)) in derivatives.iter().enumerate() {
        node(
            &mut out,
            W - BOX_W,
            col_y(i, derivatives.len()),
            id,
            url.as_deref(),
            false,
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn draws_bases_and_derivatives_with_escaped_labels() {
        let svg = super::lineage(
            "alice/tuned",
            &[("org/base<script>".into(), None)],
            &[
                ("bob/a".into(), Some("/bob/a".into())),
                ("carol/b".into(), Some("/carol/b".into())),
            ],
        );
        assert!(svg.starts_with("<svg"));
        assert_eq!(svg.matches("<rect").count(), 4);
        assert_eq!(svg.matches("<line").count(), 3);
        assert!(svg.contains("org/base&lt;script&gt;"));
        assert!(!svg.contains("<script"));
        assert!(svg.contains(r#"<a href="/bob/a">"#));
    }
}
