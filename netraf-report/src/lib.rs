//! netraf's HTML traffic report: one self-contained page (inline CSS and SVG, no script, nothing fetched) made from the very document `--report-json` writes.
//!
//! [`render`] takes that document as a JSON value, so the page shows the
//! same numbers. The reports of the plugins it knows (count, broadcast,
//! flow) become tables and charts; any other plugin's report, or one whose
//! shape is not the expected one, is shown as it is, key by key. Rendering
//! never fails: a missing or odd field is left out or shown generically.
//!
//! Elements a reader (or a test) looks for carry stable ids and `data-`
//! attributes holding the exact numbers: `#total-packets`, `#total-bytes`,
//! `#drops`, `#flows`, `#top-talker` (`data-value`), and `#io-graph` (an SVG
//! whose series paths carry `data-points`).

mod charts;
mod format;
mod html;
mod sections;

pub use format::escape;
pub use html::render;
