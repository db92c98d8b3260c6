//! The page: its head and inline style sheet, the overview, then a section per plugin in chain order.

use serde_json::Value;

use crate::format::escape;
use crate::sections;

/// The style sheet, inline: the page fetches nothing.
const STYLE: &str = "\
:root{color-scheme:light;--fg:#1d2430;--muted:#5b6675;--line:#d9dee5;--accent:#2563eb;--accent2:#0f9d76;--bg:#f6f7f9}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#111827;color:#fff;padding:18px 32px}
header h1{margin:0;font-size:22px;font-weight:600}
header p{margin:4px 0 0;color:#c7ced9}
main{max-width:1200px;margin:0 auto;padding:16px 32px 48px}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:16px 0}
h2{margin:0 0 12px;font-size:18px}
h3{margin:18px 0 8px;font-size:15px}
h4{margin:8px 0 4px;font-size:13px;text-transform:uppercase;color:var(--muted)}
.version{font-weight:400;color:var(--muted);font-size:14px}
.tiles{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0}
.tile{border:1px solid var(--line);border-radius:6px;padding:8px 14px;min-width:150px}
.tile .n{display:block;font-size:22px;font-weight:600}
.tile .k{color:var(--muted);font-size:12px}
.columns{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:0 24px}
table{border-collapse:collapse;width:100%;margin:4px 0}
th,td{text-align:left;padding:3px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600}
.num{text-align:right;font-variant-numeric:tabular-nums}
table.facts th{width:220px}
td.none,p.none{color:var(--muted);font-style:italic}
.note{color:var(--muted)}
.talker{font-size:15px}
pre.json{margin:0;font-size:12px;white-space:pre-wrap;word-break:break-all}
svg.chart{width:100%;height:auto;display:block}
svg.bars{max-width:640px}
svg .grid{stroke:var(--line)}
svg .axis,svg .label,svg .value{font-size:12px;fill:var(--muted)}
svg .label{fill:var(--fg)}
svg .title{font-size:13px;font-weight:600;fill:var(--fg)}
svg .series.packets{fill:rgba(37,99,235,.35);stroke:var(--accent);stroke-width:1}
svg .series.bytes{fill:rgba(15,157,118,.35);stroke:var(--accent2);stroke-width:1}
svg .bar{fill:var(--accent)}
footer{color:var(--muted);text-align:center;font-size:12px;padding-bottom:24px}
";

/// The HTML page for `doc`, the document `--report-json` writes
/// (`{"capture": {...}, "plugins": [...], "generations": [...]}`). Any
/// shape renders: what is missing is left out or shown as `?`.
pub fn render(doc: &Value) -> String {
    let source = doc["capture"]["source"].as_str().unwrap_or("?");
    let mut page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>netraf report: {0}</title><style>{STYLE}</style></head><body>\
         <header><h1>netraf traffic report</h1><p>{0}</p></header><main>",
        escape(source)
    );
    page.push_str(&sections::overview(doc));
    if let Some(plugins) = doc["plugins"].as_array() {
        for (i, entry) in plugins.iter().enumerate() {
            page.push_str(&sections::plugin(i, entry));
        }
    }
    page.push_str(
        "</main><footer>Made by netraf-host from the same document as --report-json.</footer>\
         </body></html>\n",
    );
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_page_holds_the_totals_and_escapes_the_source() {
        let doc = json!({
            "capture": {"source": "<script>alert(1)</script>.pcap", "packets": 3,
                        "bytes": 180, "dropped": 1, "seconds": 0.5},
            "plugins": [
                {"name": "count", "plugin": "count", "version": "0.1.0", "report": {
                    "packets": 3, "bytes": 180, "timeline": {"bucket_seconds": 1,
                    "start_ns": 1_000_000_000u64, "packets": [2, 1], "bytes": [120, 60]}}},
                {"name": "x", "report": {"k": [1, 2]}}
            ]
        });
        let page = render(&doc);
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;.pcap"));
        for want in [
            "id=\"total-packets\" data-value=\"3\"",
            "id=\"total-bytes\" data-value=\"180\"",
            "id=\"drops\" data-value=\"1\"",
            "id=\"io-graph\"",
            "data-points=\"2\"",
            "count 0.1.0",
        ] {
            assert!(page.contains(want), "want {want}");
        }
        // Nothing is fetched: no script, no external reference.
        for banned in ["<script", "src=", "href=", "url(", "@import"] {
            assert!(!page.contains(banned), "{banned} in the page");
        }
    }
}
