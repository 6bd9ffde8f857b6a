//! Measuring an .xlsx before the spreadsheet reader opens it. An .xlsx is
//! a zip of XML parts, and a part of a few kilobytes can unpack to
//! gigabytes. The reader (calamine) holds some parts whole as soon as it
//! opens a file (the shared texts, the styles, the workbook and their
//! relationships), reserves room for as many shared texts as the file says
//! it has, and its XML reader holds each text, tag or comment whole. So
//! every part is measured here first: by the sizes the zip declares (cheap,
//! and what an honest bomb shows), then by unpacking it into nothing,
//! counting and scanning it, in case the declared sizes lie (the zip reader
//! stops a part at its declared size too, but the bound should not rest on
//! that alone). Nothing is kept but counts.

use std::io::{Cursor, Read};

use crate::import::model::Problem;
use crate::kernel::table::{Bounds, Limits, ReadError, count, size, too_large, unreadable};

/// Parts in an .xlsx: a workbook has tens. The zip reader keeps every
/// part's name and details in memory, so they are counted before it runs.
const MAX_PARTS: usize = 10_000;
/// Entries (XML elements) in the styles and the workbook's relationships,
/// which the reader holds whole: Excel allows 64,000 cell formats.
const MAX_SETUP_ENTRIES: u64 = 300_000;
/// Sheets and defined names in the workbook, which the reader holds whole.
const MAX_NAMES: u64 = 100_000;
/// The longest text, tag, comment or CDATA section in an XML part: the XML
/// reader holds each whole (and a cell's text twice). Excel's cells hold
/// at most 32,767 characters.
const MAX_RUN: u64 = 4 * 1024 * 1024;

/// What the reader does with a part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// The shared texts: held whole, one string for each `<si>`.
    Strings,
    /// Styles, theme and the workbook's relationships: held whole.
    Setup,
    /// Sheets (streamed) and everything else (not read).
    Other,
}

impl Part {
    /// From the part's name, in lower case with forward slashes. The reader
    /// finds these by name under the workbook's folder, whatever it is.
    fn of(name: &str) -> Self {
        if name.ends_with("sharedstrings.xml") {
            Part::Strings
        } else if name.ends_with("styles.xml")
            || name.ends_with("theme/theme1.xml")
            // The package's and the workbook's, not each sheet's.
            || (name.ends_with(".rels") && name.split('/').count() <= 3)
        {
            Part::Setup
        } else {
            Part::Other
        }
    }

    /// The most it may unpack to: what is held whole, no more text than a
    /// CSV file may have; the rest, whatever the whole file may.
    fn most(self, bounds: &Bounds) -> u64 {
        match self {
            Part::Strings | Part::Setup => bounds.text as u64,
            Part::Other => bounds.unpacked as u64,
        }
    }
}

/// Refuses an .xlsx that would make the reader hold more than the bounds
/// allow, before it opens the file.
pub(super) fn measure(bytes: &[u8], limits: Limits) -> Result<(), ReadError> {
    let bounds = Bounds::of(limits);
    // Each part has a record in the zip's directory, starting with this.
    let records = bytes.windows(4).filter(|w| *w == b"PK\x01\x02").count();
    if records > MAX_PARTS {
        return Err(too_large(
            limits,
            format!("it has more than {} parts", count(MAX_PARTS)),
        ));
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let mut parts = Vec::with_capacity(zip.len());
    let mut declared = 0u64;
    for i in 0..zip.len() {
        let part = zip.by_index_raw(i).map_err(|e| unreadable(&e))?;
        let shown = shown_name(part.name_raw());
        let name = String::from_utf8_lossy(part.name_raw())
            .replace('\\', "/")
            .to_ascii_lowercase();
        let kind = Part::of(&name);
        if part.size() > kind.most(&bounds) {
            return Err(part_too_large(limits, &shown, kind.most(&bounds)));
        }
        declared = declared.saturating_add(part.size());
        parts.push((shown, name, kind));
    }
    if declared > bounds.unpacked as u64 {
        return Err(unpacks_to_more(limits, &bounds));
    }
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    for (i, (shown, name, kind)) in parts.iter().enumerate() {
        let mut part = zip.by_index(i).map_err(|e| unreadable(&e))?;
        // Pictures and other binary parts are never parsed.
        let mut scan = [".xml", ".rels", ".vml"]
            .iter()
            .any(|ext| name.ends_with(ext))
            .then(|| Scan::new(*kind == Part::Strings));
        let mut unpacked = 0u64;
        loop {
            let n = part.read(&mut buf).map_err(|e| unreadable(&e))?;
            if n == 0 {
                break;
            }
            unpacked += n as u64;
            total += n as u64;
            if unpacked > kind.most(&bounds) {
                return Err(part_too_large(limits, shown, kind.most(&bounds)));
            }
            if total > bounds.unpacked as u64 {
                return Err(unpacks_to_more(limits, &bounds));
            }
            if let Some(scan) = &mut scan {
                scan.feed(&buf[..n]);
                scan.check(shown, *kind, limits, &bounds)?;
            }
        }
    }
    Ok(())
}

/// A part's name for a message: printable, and not too long.
fn shown_name(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw)
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect()
}

fn unpacks_to_more(limits: Limits, bounds: &Bounds) -> ReadError {
    too_large(
        limits,
        format!("it unpacks to more than {}", size(bounds.unpacked)),
    )
}

fn part_too_large(limits: Limits, shown: &str, most: u64) -> ReadError {
    too_large(
        limits,
        format!(
            "its part {shown} unpacks to more than {}",
            size(usize::try_from(most).unwrap_or(usize::MAX))
        ),
    )
}

/// Where the scan is in the XML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Text,
    /// Just after `<`.
    Open,
    /// Just after `<!`.
    Bang,
    Comment,
    CData,
    /// `<?...?>`.
    Instruction,
    /// A start tag's name.
    Name,
    /// The rest of a tag; the quote when inside an attribute value.
    Tag(Option<u8>),
}

/// Where the scan is in a `uniqueCount="N"` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CountState {
    Seek,
    Equals,
    Quote,
    Digits,
}

const UNIQUE_COUNT: u128 = window_of(b"uniqueCount");
const WINDOW: u128 = (1u128 << (8 * 11)) - 1;

/// The last bytes of a pattern of up to 16 bytes, as a number.
const fn window_of(pattern: &[u8]) -> u128 {
    let mut w = 0u128;
    let mut i = 0;
    while i < pattern.len() {
        w = (w << 8) | pattern[i] as u128;
        i += 1;
    }
    w
}

/// Watches one XML part as it is unpacked, byte by byte (the part arrives
/// in pieces, so the state carries over).
struct Scan {
    state: State,
    /// Bytes in the current text, tag, comment or CDATA section...
    run: u64,
    /// ...and in the longest one so far.
    longest: u64,
    /// The last two bytes, for the ends of comments, CDATA and instructions.
    last: [u8; 2],
    /// The local name (after any prefix) of the element being read.
    name: [u8; 16],
    name_len: usize,
    elements: u64,
    /// `<si>` elements: one string each in the shared texts.
    texts: u64,
    /// `<sheet>` and `<definedName>` elements: the workbook's lists.
    names: u64,
    /// A `<!DOCTYPE>`, which no Excel file has.
    doctype: bool,
    /// Watch for `uniqueCount="N"`: the reader reserves room for N texts.
    watch_count: bool,
    window: u128,
    count_state: CountState,
    count_value: u64,
    unique_count: u64,
}

impl Scan {
    fn new(watch_count: bool) -> Self {
        Self {
            state: State::Text,
            run: 0,
            longest: 0,
            last: [0; 2],
            name: [0; 16],
            name_len: 0,
            elements: 0,
            texts: 0,
            names: 0,
            doctype: false,
            watch_count,
            window: 0,
            count_state: CountState::Seek,
            count_value: 0,
            unique_count: 0,
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.run += 1;
            let state = self.state;
            self.state = match state {
                State::Text if b == b'<' => {
                    self.end_run(1);
                    State::Open
                }
                State::Text => State::Text,
                State::Open => match b {
                    b'!' => State::Bang,
                    b'?' => State::Instruction,
                    b'/' => State::Tag(None),
                    _ => {
                        self.name_len = 0;
                        self.push_name(b);
                        State::Name
                    }
                },
                State::Bang => match b {
                    b'-' => State::Comment,
                    b'[' => State::CData,
                    _ => {
                        self.doctype = true;
                        State::Tag(None)
                    }
                },
                // "<!---->" and "<![CDATA[]]>" are the shortest.
                State::Comment if b == b'>' && self.last == *b"--" && self.run >= 7 => {
                    self.end_run(0);
                    State::Text
                }
                State::CData if b == b'>' && self.last == *b"]]" && self.run >= 12 => {
                    self.end_run(0);
                    State::Text
                }
                State::Instruction if b == b'>' && self.last[1] == b'?' && self.run >= 4 => {
                    self.end_run(0);
                    State::Text
                }
                State::Comment | State::CData | State::Instruction => state,
                State::Name => match b {
                    b'>' => {
                        self.end_name();
                        self.end_run(0);
                        State::Text
                    }
                    b'/' => {
                        self.end_name();
                        State::Tag(None)
                    }
                    _ if b.is_ascii_whitespace() => {
                        self.end_name();
                        State::Tag(None)
                    }
                    _ => {
                        self.push_name(b);
                        State::Name
                    }
                },
                State::Tag(None) => match b {
                    b'>' => {
                        self.end_run(0);
                        State::Text
                    }
                    b'"' | b'\'' => State::Tag(Some(b)),
                    _ => State::Tag(None),
                },
                State::Tag(Some(quote)) => State::Tag((b != quote).then_some(quote)),
            };
            self.last = [self.last[1], b];
            if self.watch_count {
                self.watch(b);
            }
        }
    }

    /// A text or markup ends; `keep` bytes of the run start the next one.
    fn end_run(&mut self, keep: u64) {
        self.longest = self.longest.max(self.run - keep);
        self.run = keep;
    }

    fn push_name(&mut self, b: u8) {
        if b == b':' {
            // A namespace prefix: the local name follows.
            self.name_len = 0;
        } else {
            if let Some(slot) = self.name.get_mut(self.name_len) {
                *slot = b;
            }
            self.name_len += 1;
        }
    }

    fn end_name(&mut self) {
        self.elements += 1;
        match self.name.get(..self.name_len) {
            Some(b"si") => self.texts += 1,
            Some(b"sheet" | b"definedName") => self.names += 1,
            _ => {}
        }
    }

    fn watch(&mut self, b: u8) {
        self.window = ((self.window << 8) | u128::from(b)) & WINDOW;
        self.count_state = match self.count_state {
            CountState::Digits if b.is_ascii_digit() => {
                self.count_value = self
                    .count_value
                    .saturating_mul(10)
                    .saturating_add(u64::from(b - b'0'));
                self.unique_count = self.unique_count.max(self.count_value);
                CountState::Digits
            }
            CountState::Equals if b.is_ascii_whitespace() => CountState::Equals,
            CountState::Equals if b == b'=' => CountState::Quote,
            CountState::Quote if b.is_ascii_whitespace() => CountState::Quote,
            CountState::Quote if b == b'"' || b == b'\'' => {
                self.count_value = 0;
                CountState::Digits
            }
            _ => CountState::Seek,
        };
        if self.window == UNIQUE_COUNT {
            self.count_state = CountState::Equals;
        }
    }

    fn check(
        &self,
        shown: &str,
        kind: Part,
        limits: Limits,
        bounds: &Bounds,
    ) -> Result<(), ReadError> {
        if self.doctype {
            return Err(Problem::file(format!(
                "The file could not be read as an Excel spreadsheet (its part {shown} declares a document type, which Excel files never do). Open it in Excel and save it again as .xlsx or as CSV UTF-8."
            ))
            .into());
        }
        if self.longest.max(self.run) > MAX_RUN {
            return Err(too_large(
                limits,
                format!(
                    "its part {shown} has a single text or tag longer than {}",
                    size(MAX_RUN as usize)
                ),
            ));
        }
        if kind == Part::Strings && self.texts.max(self.unique_count) > bounds.cells as u64 {
            return Err(too_large(
                limits,
                format!(
                    "its part {shown} lists more than {} texts",
                    count(bounds.cells)
                ),
            ));
        }
        if self.names > MAX_NAMES {
            return Err(too_large(
                limits,
                format!(
                    "its part {shown} lists more than {} sheets and names",
                    count(MAX_NAMES as usize)
                ),
            ));
        }
        if kind == Part::Setup && self.elements > MAX_SETUP_ENTRIES {
            return Err(too_large(
                limits,
                format!(
                    "its part {shown} has more than {} entries",
                    count(MAX_SETUP_ENTRIES as usize)
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str, strings: bool) -> Scan {
        let mut s = Scan::new(strings);
        // In pieces, as a part arrives.
        for piece in text.as_bytes().chunks(3) {
            s.feed(piece);
        }
        s
    }

    #[test]
    fn counts_what_the_reader_would_hold() {
        let s = scan(
            "<?xml version=\"1.0\"?><x:sst xmlns:x=\"u\" count=\"3\" uniqueCount = '0012'><x:si><x:t>a&lt;b</x:t></x:si><si/><!-- <si> --><si><t><![CDATA[<si>]]></t></si></x:sst>",
            true,
        );
        // Not the ones in the comment and the CDATA.
        assert_eq!(s.texts, 3);
        assert_eq!(s.unique_count, 12);
        assert!(!s.doctype);
        let s = scan(
            "<workbook><sheets><sheet name=\"a>b\" r:id=\"1\"/></sheets><definedNames><definedName name=\"n\">x</definedName></definedNames></workbook>",
            false,
        );
        assert_eq!((s.names, s.texts), (2, 0));
        assert_eq!(s.unique_count, 0, "only watched in shared texts");
        assert!(scan("<!DOCTYPE x><a/>", false).doctype);
    }

    #[test]
    fn measures_the_longest_text_or_tag() {
        let long = "x".repeat(1000);
        let s = scan(&format!("<a>{long}</a>"), false);
        assert_eq!(s.longest, 1000);
        // A '>' inside an attribute value does not end the tag.
        let s = scan(&format!("<a b=\"{long}>{long}\"/>"), false);
        assert_eq!(s.longest.max(s.run), 2001 + "<a b=\"\"/>".len() as u64);
        // Nor does a '<' inside a comment or CDATA end it.
        let s = scan(&format!("<!--{long}<{long}--><a/>"), false);
        assert_eq!(s.longest, 2001 + "<!---->".len() as u64);
        let s = scan(&format!("<![CDATA[{long}<{long}]]>"), false);
        assert_eq!(s.longest, 2001 + "<![CDATA[]]>".len() as u64);
    }

    #[test]
    fn names_parts_by_what_the_reader_does_with_them() {
        assert_eq!(Part::of("xl/sharedstrings.xml"), Part::Strings);
        assert_eq!(Part::of("other/sharedstrings.xml"), Part::Strings);
        assert_eq!(Part::of("xl/styles.xml"), Part::Setup);
        assert_eq!(Part::of("_rels/.rels"), Part::Setup);
        assert_eq!(Part::of("xl/_rels/workbook.xml.rels"), Part::Setup);
        assert_eq!(Part::of("xl/worksheets/_rels/sheet1.xml.rels"), Part::Other);
        assert_eq!(Part::of("xl/worksheets/sheet1.xml"), Part::Other);
    }
}
