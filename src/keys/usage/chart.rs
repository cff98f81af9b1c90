//! Stacked bar charts drawn as SVG on the server: they show before the
//! wasm loads, and no chart code ships to the browser. Colours come from
//! the stylesheet (`.bar-<outcome>`), so the chart follows the theme.

use std::fmt::Write;

use super::domain::{Bucket, Outcome};

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 22.0;
const TOP: f64 = 8.0;

/// Text for SVG, in an element or a quoted attribute.
fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_quoted_attribute(text)
}

/// A round maximum for the axis: 2, 4 or 10 times a power of ten, even so
/// that the halfway line is labelled with a whole number too (a maximum of 1
/// labelled its half "1").
fn nice_max(max: i64) -> i64 {
    let mut step = 1;
    loop {
        for m in [2, 4, 10] {
            if m * step >= max.max(1) {
                return m * step;
            }
        }
        step *= 10;
    }
}

/// Where a bar's part leads: the Requests page for its bucket and outcome.
pub type BarLink<'a> = &'a dyn Fn(&Bucket, Outcome) -> String;

/// `label(i)` names bucket `i` (shown under every `label_every`-th bar and
/// in each bar's tooltip). `id` makes the title's id unique on the page.
/// With `link`, each part of a bar is a link, named for what it holds.
pub fn stacked_bars(
    id: &str,
    title: &str,
    buckets: &[Bucket],
    label: impl Fn(&Bucket) -> String,
    label_every: usize,
    link: Option<BarLink<'_>>,
) -> String {
    let max = nice_max(buckets.iter().map(Bucket::total).max().unwrap_or(0));
    let plot_h = HEIGHT - BOTTOM - TOP;
    let slot = (WIDTH - LEFT) / buckets.len().max(1) as f64;
    let bar = (slot * 0.7).max(1.0);
    let mut svg = String::new();
    // A chart whose bars are links is a group of them, not one image
    // (an image may hold nothing interactive).
    let role = if link.is_some() { "group" } else { "img" };
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="{role}" aria-labelledby="{id}-title" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{}</title>"#,
        escape(title)
    );
    // Axis: zero, half and the maximum.
    for fraction in [0.0, 0.5, 1.0] {
        let y = TOP + plot_h * (1.0 - fraction);
        let value = (max as f64 * fraction).round() as i64;
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{LEFT}" x2="{WIDTH}" y1="{y:.1}" y2="{y:.1}"/><text class="axis" x="{:.1}" y="{:.1}" text-anchor="end">{value}</text>"#,
            LEFT - 6.0,
            y + 4.0
        );
    }
    for (i, bucket) in buckets.iter().enumerate() {
        let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
        let name = label(bucket);
        let mut tip = format!("{name}: {}", super::domain::requests(bucket.total()));
        for outcome in Outcome::ALL {
            let n = bucket.counts[outcome.index()];
            if n > 0 {
                let _ = write!(tip, ", {n} {}", outcome.label().to_lowercase());
            }
        }
        let _ = write!(svg, "<g><title>{}</title>", escape(&tip));
        let mut y = TOP + plot_h;
        for outcome in Outcome::ALL {
            let n = bucket.counts[outcome.index()];
            if n == 0 {
                continue;
            }
            let h = plot_h * n as f64 / max as f64;
            y -= h;
            let rect = format!(
                r#"<rect class="bar-{}" x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{h:.1}"/>"#,
                outcome.key()
            );
            match link {
                Some(link) => {
                    let _ = write!(
                        svg,
                        r#"<a href="{}" aria-label="{}">{rect}</a>"#,
                        escape(&link(bucket, outcome)),
                        escape(&format!(
                            "{name}: {n} {}, show these requests",
                            outcome.label().to_lowercase()
                        ))
                    );
                }
                None => svg.push_str(&rect),
            }
        }
        svg.push_str("</g>");
        if i % label_every.max(1) == 0 {
            let _ = write!(
                svg,
                r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                x + bar / 2.0,
                HEIGHT - 6.0,
                escape(&name)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn bars_stack_by_outcome_and_scale_to_a_round_maximum() {
        let at = Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap();
        let buckets = [
            Bucket {
                start: at,
                counts: [6, 1, 2, 0],
            },
            Bucket {
                start: at,
                counts: [0, 0, 0, 0],
            },
        ];
        let svg = stacked_bars(
            "t",
            "Requests <24 h>",
            &buckets,
            |_| "12:00".into(),
            1,
            None,
        );
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains(r#"<title id="t-title">Requests &lt;24 h&gt;</title>"#));
        assert_eq!(svg.matches("<rect").count(), 3, "zero counts draw nothing");
        assert!(svg.contains("12:00: 9 requests, 6 success, 1 client error, 2 refused"));
        assert!(
            svg.contains(">10</text>"),
            "the axis goes to 10 for a maximum of 9"
        );
        assert_eq!(nice_max(0), 2);
        assert_eq!(nice_max(3), 4);
        assert_eq!(nice_max(5), 10);
        assert_eq!(nice_max(101), 200);
        assert_eq!(nice_max(399), 400);
    }

    #[test]
    fn linked_bars_lead_to_their_requests_and_say_so() {
        let at = Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap();
        let buckets = [Bucket {
            start: at,
            counts: [0, 0, 2, 0],
        }];
        let link =
            |b: &Bucket, o: Outcome| format!("/r?at={}&o={}&x=<", b.start.timestamp(), o.key());
        let svg = stacked_bars("t", "T", &buckets, |_| "12:00".into(), 1, Some(&link));
        assert!(
            svg.contains(r#"role="group""#),
            "links are not inside an image"
        );
        assert!(svg.contains(r#"<a href="/r?at=1795780800&amp;o=refused&amp;x=&lt;" aria-label="12:00: 2 refused, show these requests"><rect class="bar-refused""#), "{svg}");
    }
}
