//! Tests: the HTML report (`Report::to_html`, `html_report`) and the timeline behind it.

#![allow(missing_docs)]

mod common;

use common::*;
use tapsim_lab::*;

fn lab_reports(id: &str) -> Vec<Report> {
    builtin_lab(id)
        .unwrap()
        .scenarios
        .iter()
        .map(|s| s.scenario().unwrap().run(&fast()).unwrap())
        .collect()
}

/// Every user-supplied string carries markup, an ampersand and both quotes.
const HOSTILE: &str = r#"
title = "Eve's <script>alert(1)</script> & \"lab\""
about = """<img src=x onerror=alert(2)> & 'about'

A second <b>paragraph</b>."""
[tenant]
seed = 7
[[users]]
upn = "pat@contoso.com"
name = "Pat <script>&\"'"
roles = ["Global Administrator"]
[[users]]
upn = "eve@contoso.com"
name = "Eve </text><script>x</script>"
password = "<script>pw</script>"
methods = [{ kind = "sms", name = "<i>phone</i> & \"co\"", device = "<dev>&'\"" }]
[[groups]]
name = "<g>&\"'"
users = ["eve@contoso.com"]
[policy]
actor = "pat@contoso.com"
state = "enabled"
include = ["<g>&\"'"]
[[steps]]
do = "create_pass"
actor = "pat@contoso.com"
user = "eve@contoso.com"
name = "<pass>&\"'"
say = "Say <script>alert(3)</script> & \"quoted\" 'too'"
rules = ["<T2>&"]
[[steps]]
do = "sign_in"
pass = "<pass>&\"'"
session = "<session>&\"'"
[[steps]]
do = "sign_in"
user = "eve@contoso.com"
pass_value = "<wrong>&\"'"
expect = { denied = "invalidCredential" }
[[steps]]
do = "advance_clock"
by = "2h"
[[steps]]
do = "sign_in"
pass = "<pass>&\"'"
expect = { denied = "passExpired", message = "<not in the message>&" }
"#;

#[test]
fn every_user_supplied_string_is_escaped() {
    let report = run_toml(HOSTILE);
    let page = report.to_html();
    // Not one raw tag from the scenario: the page's own markup has no script, img,
    // b, i or g-with-ampersand elements at all.
    for raw in [
        "<script",
        "<img",
        "<b>",
        "<i>",
        "<g>&",
        "<pass>",
        "<session>",
        "<dev>",
        "<T2>",
        "<wrong>",
        "</text><script",
        "&\"'",
    ] {
        assert!(!page.contains(raw), "raw `{raw}` in the page");
    }
    for escaped in [
        "Eve&#39;s &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;lab&quot;",
        "&lt;img src=x onerror=alert(2)&gt; &amp; &#39;about&#39;",
        "A second &lt;b&gt;paragraph&lt;/b&gt;.",
        "Say &lt;script&gt;alert(3)&lt;/script&gt; &amp; &quot;quoted&quot; &#39;too&#39;",
        "pass &lt;pass&gt;&amp;&quot;&#39;",
        "session &lt;session&gt;&amp;&quot;&#39;",
        "Pat &lt;script&gt;&amp;&quot;&#39;",
        "Eve &lt;/text&gt;&lt;script&gt;x&lt;/script&gt;",
        "&lt;i&gt;phone&lt;/i&gt; &amp; &quot;co&quot;",
        "&quot;&lt;g&gt;&amp;&quot;&#39;&quot;",
        "[&lt;T2&gt;&amp;]",
        "&lt;not in the message&gt;&amp;",
    ] {
        assert!(page.contains(escaped), "`{escaped}` missing from the page");
    }
    // No secret: neither the password nor the pass value.
    let value = report.steps[0].shown_once.as_ref().unwrap().danger_reveal();
    assert!(!page.contains(value), "the pass value is in the page");
    assert!(
        !page.contains("pw&lt;/script"),
        "the password is in the page"
    );
}

#[test]
fn control_characters_do_not_reach_the_page() {
    let report = run_toml(
        "title = \"bell\\u0007 and escape\\u001b[31m\"\n[[users]]\nupn = \"a@contoso.com\"\n[[steps]]\ndo = \"advance_clock\"\nby = \"1m\"\n",
    );
    let page = report.to_html();
    assert!(!page.contains('\u{7}') && !page.contains('\u{1b}'));
    assert!(page.contains("bell\u{FFFD} and escape\u{FFFD}[31m"));
}

#[test]
fn the_page_is_self_contained_and_structured() {
    let reports = lab_reports(DEFAULT_LAB);
    let page = html_report(&reports);
    assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(page.ends_with("</html>\n"));
    // Nothing loaded from elsewhere, nothing run.
    for banned in [
        "<script", "<link", "<img", "@import", "url(http", "src=", "<iframe", "<object",
    ] {
        assert!(!page.contains(banned), "`{banned}` in the page");
    }
    for url in page.match_indices("url(") {
        assert!(
            page[url.0..].starts_with("url(#"),
            "only in-page references"
        );
    }
    // One article, one timeline, one step list and both logs per scenario.
    let n = reports.len();
    assert_eq!(page.matches("<article ").count(), n);
    assert_eq!(page.matches("<svg class=\"timeline\"").count(), n);
    assert_eq!(page.matches("role=\"img\" aria-labelledby=").count(), n);
    assert_eq!(page.matches("<ol class=\"steps\">").count(), n);
    assert_eq!(page.matches("<h3>Sign-in log (").count(), n);
    assert_eq!(page.matches("<h3>Audit log (").count(), n);
    let steps: usize = reports.iter().map(|r| r.steps.len()).sum();
    assert_eq!(page.matches("<li class=\"step").count(), steps);
    assert!(page.contains("@media print"));
    // Every sign-in attempt is a mark with its trace on hover, and each step links.
    let attempts: usize = reports.iter().map(|r| r.timeline.attempts.len()).sum();
    assert_eq!(
        page.matches("<g class=\"attempt\"><title>").count(),
        attempts
    );
    assert!(page.contains("✗ validity window") || page.contains("✗ one-time use"));
    assert!(page.contains("<details><summary>Why: "));
    // Unique ids, so that links go where they say.
    let mut ids: Vec<&str> = page
        .match_indices(" id=\"")
        .map(|(i, _)| {
            let rest = &page[i + 5..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect();
    let all = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), all, "duplicate ids");
    for (i, _) in page.match_indices("href=\"#") {
        let rest = &page[i + 7..];
        let target = &rest[..rest.find('"').unwrap()];
        assert!(
            ids.contains(&target),
            "a link to #{target}, which is not there"
        );
    }
}

#[test]
fn the_timeline_fits_1280_pixels() {
    // The SVG is drawn in a 1200-unit box and scaled to the page's width (max 1200 px
    // of content in a 1280 px window), so its drawing must stay inside the box: no x
    // or width past 1200, whatever the lab.
    for lab in builtin_labs() {
        for report in lab_reports(lab.id) {
            let page = report.to_html();
            let svg_start = page.find("<svg class=\"timeline\"").unwrap();
            let svg = &page[svg_start..page[svg_start..].find("</svg>").unwrap() + svg_start];
            assert!(svg.contains("viewBox=\"0 0 1200 "), "{}", lab.id);
            for attr in [" x=\"", " x1=\"", " x2=\"", " cx=\"", " width=\""] {
                for (i, _) in svg.match_indices(attr) {
                    let rest = &svg[i + attr.len()..];
                    let v: f64 = rest[..rest.find('"').unwrap()].parse().unwrap();
                    assert!((0.0..=1200.0).contains(&v), "{}: {attr}{v}", lab.id);
                }
            }
            for (i, _) in svg.match_indices("<text x=\"") {
                // Labels start at least a label's width before the right edge, or are
                // right-aligned: a lane's last label may run to the edge, never past
                // it by more than its own length (checked by the browser in CI).
                let rest = &svg[i + 9..];
                let v: f64 = rest[..rest.find('"').unwrap()].parse().unwrap();
                assert!(v < 1200.0, "{}: a label at {v}", lab.id);
            }
            assert!(
                page.contains("figure svg.timeline { display: block; width: 100%; height: auto;")
            );
            assert!(page.contains("main { max-width: 1200px;"));
        }
    }
}

#[test]
fn the_html_report_is_deterministic() {
    for lab in builtin_labs() {
        let a = html_report(&lab_reports(lab.id));
        let b = html_report(&lab_reports(lab.id));
        assert_eq!(a, b, "{}", lab.id);
    }
}

#[test]
fn the_timeline_records_passes_sessions_attempts_and_markers() {
    let reports = lab_reports(DEFAULT_LAB);
    let all: Vec<&Timeline> = reports.iter().map(|r| &r.timeline).collect();
    // Some pass is replaced, some deleted; some session ends because its pass went.
    let fates: Vec<PassFate> = all
        .iter()
        .flat_map(|t| t.passes.iter().filter_map(|p| p.gone.map(|g| g.1)))
        .collect();
    assert!(fates.contains(&PassFate::Replaced), "{fates:?}");
    assert!(fates.contains(&PassFate::Deleted), "{fates:?}");
    assert!(all.iter().any(|t| {
        t.sessions
            .iter()
            .any(|s| s.ended.as_ref().is_some_and(|e| e.reason == "passDeleted"))
    }));
    for (t, r) in all.iter().zip(&reports) {
        assert_eq!(t.steps.len(), r.steps.len());
        let sign_ins = r.steps.iter().filter(|s| s.action == "sign_in").count();
        let ran = r
            .steps
            .iter()
            .filter(|s| s.action == "sign_in" && !matches!(s.outcome, Outcome::NotRun { .. }))
            .count();
        assert!(ran <= sign_ins);
        assert_eq!(t.attempts.len(), ran);
        assert_eq!(t.attempts.len(), r.tenant.sign_in_log().len());
    }
    assert!(
        all.iter()
            .any(|t| t.markers.iter().any(|m| m.kind == MarkerKind::Policy))
    );
    // A one-time pass spent by its sign-in.
    let report = run_toml(
        r#"
[[users]]
upn = "pat@contoso.com"
roles = ["Global Administrator"]
[[users]]
upn = "ada@contoso.com"
[policy]
actor = "pat@contoso.com"
state = "enabled"
[[steps]]
do = "create_pass"
actor = "pat@contoso.com"
user = "ada@contoso.com"
is_usable_once = true
name = "p"
[[steps]]
do = "advance_clock"
by = "3d"
[[steps]]
do = "set_clock"
to = 2026-01-05T09:30:00Z
[[steps]]
do = "sign_in"
pass = "p"
session = "s"
"#,
    );
    let t = &report.timeline;
    assert_eq!(t.passes.len(), 1);
    assert!(t.passes[0].one_time);
    assert_eq!(t.passes[0].consumed_step, Some(4));
    assert_eq!(t.sessions[0].name.as_deref(), Some("s"));
    assert_eq!(
        t.markers.iter().map(|m| m.kind).collect::<Vec<_>>(),
        [MarkerKind::ClockForward, MarkerKind::ClockBack]
    );
    let page = report.to_html();
    assert!(page.contains("the clock moves 3d forward"));
    assert!(page.contains("the clock is set back"));
    assert!(page.contains("pass p · one-time · spent"));
}

#[test]
fn every_builtin_lab_page_has_each_tenants_logs_and_resolving_links() {
    for lab in builtin_labs() {
        let reports = lab_reports(lab.id);
        let page = html_report(&reports);
        for banned in ["<script", "<link", "<img", "<iframe"] {
            assert!(!page.contains(banned), "{}: `{banned}`", lab.id);
        }
        // One pair of log tables per tenant of every scenario, named when there are
        // several (the guests lab has two tenants).
        let tenants: usize = reports.iter().map(|r| r.tenants().len()).sum();
        assert_eq!(
            page.matches("<h3>Sign-in log").count(),
            tenants,
            "{}",
            lab.id
        );
        assert_eq!(page.matches("<h3>Audit log").count(), tenants, "{}", lab.id);
        for r in &reports {
            for name in &r.tenant_names {
                assert!(
                    page.contains(&format!("<h3>Sign-in log of {name} (")),
                    "{}: {name}",
                    lab.id
                );
            }
        }
        let ids: Vec<&str> = page
            .match_indices(" id=\"")
            .map(|(i, _)| {
                let rest = &page[i + 5..];
                &rest[..rest.find('"').unwrap()]
            })
            .collect();
        for (i, _) in page.match_indices("href=\"#") {
            let rest = &page[i + 7..];
            let target = &rest[..rest.find('"').unwrap()];
            assert!(ids.contains(&target), "{}: a link to #{target}", lab.id);
        }
    }
    let guests = lab_reports("guests-across-tenants");
    assert_eq!(guests[0].tenant_names, ["contoso", "fabrikam"]);
}

#[test]
fn tenant_names_are_escaped_in_the_page() {
    let report = run_toml(
        r#"
[[tenants]]
name = "<b>a</b>"
domain = "a.com"
[[tenants]]
name = "b&c"
domain = "b.com"
[[users]]
upn = "x@b.com"
tenant = "b&c"
password = "pw"
[[steps]]
do = "sign_in"
user = "x@b.com"
password = "pw"
"#,
    );
    let page = report.to_html();
    assert!(!page.contains("<b>a</b>"));
    assert!(page.contains("Sign-in log of &lt;b&gt;a&lt;/b&gt; (0 records)"));
    assert!(page.contains("Sign-in log of b&amp;c (1 records)"));
    assert!(page.contains("b&amp;c: x@b.com"));
}
