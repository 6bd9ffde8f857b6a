//! Reading an uploaded file into rows of text cells: CSV (UTF-8, with or
//! without a byte-order mark, comma, semicolon or tab separated, quoted
//! fields with line breaks, CRLF) or XLSX (the first sheet). Anything else
//! gets a plain message saying what the file is and what to do instead.
//!
//! Every file is read within bounds taken from the import limits, so that
//! no upload makes the server hold more than a few times the upload limit
//! in memory: so many data rows, columns and cells, and so much text. A
//! spreadsheet is streamed cell by cell into rows, never into a grid as
//! large as its declared size or its outermost cells (one cell in A1 and
//! one in XFD1048576 would be a grid of 17 billion), and its zip parts are
//! measured before the spreadsheet reader opens them (`package`), so a
//! small file that unpacks to gigabytes is refused. A file over a bound is
//! refused with a message naming the limit.

use std::io::Cursor;

use crate::import::model::Problem;

mod package;

pub use crate::kernel::settings::ImportLimits as Limits;

/// The most columns a file may have (Excel allows 16,384). Skillmap's
/// widest files, job roles with a column for each skill, have tens.
pub const MAX_COLUMNS: usize = 500;
/// Cells allowed for each allowed data row, on average (a staff file has
/// about a dozen columns)...
const CELLS_PER_ROW: usize = 20;
/// ...and at least this many, however low the row limit is set.
const MIN_CELLS: usize = 10_000;
/// How much an .xlsx may unpack to, as a multiple of the upload limit (its
/// XML is typically ten times its zipped size, and it may hold up to about
/// the same text as a CSV file of the limit)...
const UNPACKED_PER_BYTE: usize = 8;
/// ...and at least this much, however low the upload limit is set.
const MIN_UNPACKED: usize = 1024 * 1024;

/// What one file may hold, from the import limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Data rows (the header row is not counted).
    pub rows: usize,
    pub columns: usize,
    /// Cells in all the rows kept, counting the empty cells between filled
    /// ones (each costs memory too).
    pub cells: usize,
    /// Bytes of text in all cells: no more than a CSV file may hold.
    pub text: usize,
    /// Bytes in all the parts of an .xlsx, unpacked.
    pub unpacked: usize,
}

impl Bounds {
    pub fn of(limits: Limits) -> Self {
        Self {
            rows: limits.max_rows,
            columns: MAX_COLUMNS,
            cells: limits.max_rows.saturating_mul(CELLS_PER_ROW).max(MIN_CELLS),
            text: limits.max_bytes,
            unpacked: limits
                .max_bytes
                .saturating_mul(UNPACKED_PER_BYTE)
                .max(MIN_UNPACKED),
        }
    }
}

/// Why a file gives no table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// Over a limit: the upload is refused outright (as one over the size
    /// limit is), with a message naming the limit.
    TooLarge(String),
    /// Not a table Skillmap can read, and why: part of the file's report.
    Problem(Problem),
}

impl From<Problem> for ReadError {
    fn from(problem: Problem) -> Self {
        Self::Problem(problem)
    }
}

impl From<ReadError> for Problem {
    fn from(error: ReadError) -> Self {
        match error {
            ReadError::TooLarge(message) => Problem::file(message),
            ReadError::Problem(problem) => problem,
        }
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::TooLarge(message) => f.write_str(message),
            ReadError::Problem(problem) => f.write_str(&problem.describe()),
        }
    }
}

/// A file's cells: the header row and the data rows, each with the row
/// number a spreadsheet would show (the header is row 1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    /// The first row is the header; blank rows are skipped; the row limit
    /// stops reading as soon as it is passed.
    fn push(&mut self, number: usize, cells: Vec<String>, limits: Limits) -> Result<(), Problem> {
        if self.headers.is_empty() {
            self.headers = cells;
        } else if cells.iter().any(|c| !c.trim().is_empty()) {
            if self.rows.len() == limits.max_rows {
                return Err(too_many_rows(limits));
            }
            self.rows.push((number, cells));
        }
        Ok(())
    }

    /// Whether `push` would keep this row.
    fn keeps(&self, cells: &[&str]) -> bool {
        self.headers.is_empty() || cells.iter().any(|c| !c.trim().is_empty())
    }
}

const XLSX_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0];

/// Reads a file into a table, or says why it cannot (a file too large to
/// read is a problem with the file here: see `read_checked`).
pub fn read(bytes: &[u8], file_name: &str, limits: Limits) -> Result<Table, Problem> {
    read_checked(bytes, file_name, limits).map_err(Problem::from)
}

/// Reads a file into a table, or says why it cannot, telling a file over a
/// limit (to refuse outright) from one that is not a readable table.
pub fn read_checked(bytes: &[u8], file_name: &str, limits: Limits) -> Result<Table, ReadError> {
    if bytes.len() > limits.max_bytes {
        return Err(ReadError::TooLarge(format!(
            "The file is {}, larger than the {} limit. Split it into smaller files, or ask an administrator to raise SKILLMAP_IMPORT_MAX_BYTES.",
            size(bytes.len()),
            size(limits.max_bytes)
        )));
    }
    let lower = file_name.to_ascii_lowercase();
    let table = if bytes.starts_with(XLSX_MAGIC) {
        read_xlsx(bytes, limits)?
    } else if lower.ends_with(".xlsx") {
        return Err(Problem::file(
            "The file is named .xlsx but is not an Excel spreadsheet. Open it in Excel and save it again as .xlsx or as CSV UTF-8.",
        )
        .into());
    } else if bytes.starts_with(OLE_MAGIC) || lower.ends_with(".xls") {
        return Err(Problem::file(
            "This is an old-style Excel file (.xls). Save it as .xlsx or as CSV UTF-8 and upload that.",
        )
        .into());
    } else {
        read_csv(bytes, limits)?
    };
    if table.headers.iter().all(|h| h.trim().is_empty()) {
        return Err(Problem::file(
            "The file is empty. It needs a header row and at least one row of data.",
        )
        .into());
    }
    if table.rows.is_empty() {
        return Err(Problem::file("The file has a header row but no data rows.").into());
    }
    Ok(table)
}

/// "1.5 MB", "12 KB".
pub fn size(bytes: usize) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

/// "200,000".
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A spreadsheet's name for a column: 0 is "A", 16,383 is "XFD".
pub fn column_name(index: usize) -> String {
    let mut n = index.saturating_add(1);
    let mut letters = Vec::new();
    while n > 0 {
        letters.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    letters.iter().rev().map(|&b| char::from(b)).collect()
}

fn too_many_rows(limits: Limits) -> Problem {
    Problem::file(format!(
        "The file has more than {} data rows. Split it into smaller files, or ask an administrator to raise SKILLMAP_IMPORT_MAX_ROWS.",
        limits.max_rows
    ))
}

/// A file over one of the bounds: what it has, and all the limits.
pub(super) fn too_large(limits: Limits, what: impl std::fmt::Display) -> ReadError {
    let b = Bounds::of(limits);
    ReadError::TooLarge(format!(
        "The file is larger than Skillmap can import: {what}. The limits are {} data rows, {} columns and {} cells, {} of text, and {} unpacked for an Excel file. Delete empty rows and columns and any stray cells far from the data, or split the file into smaller files; an administrator can raise SKILLMAP_IMPORT_MAX_ROWS and SKILLMAP_IMPORT_MAX_BYTES.",
        count(b.rows),
        count(b.columns),
        count(b.cells),
        size(b.text),
        size(b.unpacked),
    ))
}

fn too_many_cells(limits: Limits) -> ReadError {
    too_large(
        limits,
        format!("it has more than {} cells", count(Bounds::of(limits).cells)),
    )
}

/// An .xlsx that calamine (or the zip reader) cannot read.
pub(super) fn unreadable(e: &dyn std::fmt::Display) -> ReadError {
    Problem::file(format!(
        "The file could not be read as an Excel spreadsheet ({e}). Open it in Excel and save it again as .xlsx or as CSV UTF-8."
    ))
    .into()
}

fn read_csv(bytes: &[u8], limits: Limits) -> Result<Table, ReadError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Problem::file(
            "The file is empty. It needs a header row and at least one row of data.",
        )
        .into());
    }
    if looks_binary(bytes) {
        return Err(Problem::file(
            "This is not a CSV or XLSX file: it contains binary data. Upload a CSV (UTF-8) or an Excel .xlsx file.",
        )
        .into());
    }
    if let Err(e) = std::str::from_utf8(bytes) {
        let at = e.valid_up_to();
        let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        return Err(Problem::file(format!(
            "The file is not UTF-8 text: line {line} has characters in another encoding. In Excel, use Save As \u{2192} \u{201c}CSV UTF-8 (Comma delimited)\u{201d}.",
        ))
        .into());
    }
    let bounds = Bounds::of(limits);
    let delimiter = sniff_delimiter(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes);
    let mut table = Table::default();
    let mut record = csv::StringRecord::new();
    let mut number = 0usize;
    // Cells kept so far (the text is bounded by the file's size).
    let mut cells_kept = 0usize;
    // A spreadsheet counts blank lines as rows, and a cell's line breaks
    // as part of its row: row = 1 + the line breaks before the record's
    // first byte, less those inside earlier cells.
    let mut inner_breaks = 0usize;
    let (mut counted_to, mut breaks) = (0usize, 0usize);
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let row = e
                    .position()
                    .map(|p| (p.line() as usize).saturating_sub(inner_breaks))
                    .unwrap_or(number + 1);
                return Err(Problem {
                    row: Some(row),
                    ..Problem::file(format!("The file could not be read as CSV here: {e}."))
                }
                .into());
            }
        }
        let mut start = record
            .position()
            .map(|p| p.byte() as usize)
            .unwrap_or(0)
            .max(counted_to);
        while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        breaks += bytes[counted_to..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        counted_to = start;
        number = 1 + breaks - inner_breaks;
        inner_breaks += record
            .iter()
            .map(|c| c.bytes().filter(|&b| b == b'\n').count())
            .sum::<usize>();
        let fields: Vec<&str> = record.iter().collect();
        if !table.keeps(&fields) {
            continue;
        }
        // Empty cells past the last column are formatting, not data.
        let mut width = fields.len();
        if width > bounds.columns {
            if let Some(i) = fields[bounds.columns..]
                .iter()
                .position(|c| !c.trim().is_empty())
            {
                return Err(too_large(
                    limits,
                    format!(
                        "row {number} has a value in column {}",
                        count(bounds.columns + i + 1)
                    ),
                ));
            }
            width = bounds.columns;
        }
        cells_kept += width;
        if cells_kept > bounds.cells {
            return Err(too_many_cells(limits));
        }
        let cells: Vec<String> = fields[..width].iter().map(|c| c.to_string()).collect();
        table.push(number, cells, limits)?;
    }
    Ok(table)
}

/// NUL bytes, or many control characters, mean this is not text.
fn looks_binary(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(8192)];
    if sample.contains(&0) {
        return true;
    }
    let control = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0C))
        .count();
    control * 20 > sample.len()
}

/// The separator is whichever of , ; or tab appears most in the first line
/// (outside quotes); a comma when none does.
fn sniff_delimiter(bytes: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in bytes.iter().take(64 * 1024) {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let candidates = [b',', b';', b'\t'];
    let (best, count) = counts
        .iter()
        .enumerate()
        .max_by_key(|(i, c)| (**c, std::cmp::Reverse(*i)))
        .expect("three candidates");
    if *count == 0 { b',' } else { candidates[best] }
}

/// The first sheet, streamed cell by cell: only filled cells make rows,
/// each row as wide as its last filled cell, within the bounds; nothing is
/// sized from the sheet's declared dimensions.
fn read_xlsx(bytes: &[u8], limits: Limits) -> Result<Table, ReadError> {
    use calamine::{Reader, Xlsx, XlsxError};
    package::measure(bytes, limits)?;
    let bounds = Bounds::of(limits);
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let Some(name) = book.sheet_names().into_iter().next() else {
        return Err(Problem::file("The spreadsheet has no sheets.").into());
    };
    let mut sheet = match book.worksheet_cells_reader(&name) {
        Ok(sheet) => sheet,
        // A chart first: no cells, so "empty" below.
        Err(XlsxError::NotAWorksheet(_)) => return Ok(Table::default()),
        Err(e) => return Err(unreadable(&e)),
    };
    // Rows by their number (0 is row 1), in the order they come.
    let mut rows: Vec<(u32, Vec<String>)> = Vec::new();
    let mut in_order = true;
    let (mut cells_kept, mut text) = (0usize, 0usize);
    while let Some(cell) = sheet.next_cell().map_err(|e| unreadable(&e))? {
        let value = cell_text(cell.get_value());
        // Blank cells (formatting) make no rows and no width.
        if value.trim().is_empty() {
            continue;
        }
        let (row, col) = cell.get_position();
        let col = col as usize;
        if col >= bounds.columns {
            return Err(too_large(
                limits,
                format!(
                    "it has a value in column {} (column {}) of row {}",
                    column_name(col),
                    count(col + 1),
                    count(row as usize + 1)
                ),
            ));
        }
        text += value.len();
        if text > bounds.text {
            return Err(too_large(
                limits,
                format!("its cells hold more than {} of text", size(bounds.text)),
            ));
        }
        if rows.last().is_none_or(|(r, _)| *r != row) {
            if rows.last().is_some_and(|(r, _)| *r > row) {
                in_order = false;
            }
            // The header and the data rows, then one too many.
            if rows.len() > bounds.rows {
                return Err(too_many_rows(limits).into());
            }
            rows.push((row, Vec::new()));
        }
        let Some((_, cells)) = rows.last_mut() else {
            continue;
        };
        if col >= cells.len() {
            cells_kept += col + 1 - cells.len();
            if cells_kept > bounds.cells {
                return Err(too_many_cells(limits));
            }
            cells.resize(col + 1, String::new());
        }
        cells[col] = value;
    }
    if !in_order {
        // Rows out of order (unusual, but allowed): put them in order, and
        // a row given in two places together.
        rows.sort_by_key(|(r, _)| *r);
        let mut merged: Vec<(u32, Vec<String>)> = Vec::with_capacity(rows.len());
        for (row, cells) in rows {
            if let Some((last, into)) = merged.last_mut()
                && *last == row
            {
                if into.len() < cells.len() {
                    into.resize(cells.len(), String::new());
                }
                for (i, cell) in cells.into_iter().enumerate() {
                    if !cell.is_empty() {
                        into[i] = cell;
                    }
                }
                continue;
            }
            merged.push((row, cells));
        }
        rows = merged;
    }
    let mut table = Table::default();
    for (row, cells) in rows {
        table.push(row as usize + 1, cells, limits)?;
    }
    // Trailing empty header cells (formatting) are not columns.
    while table.headers.last().is_some_and(|h| h.trim().is_empty()) {
        table.headers.pop();
    }
    Ok(table)
}

/// A cell as the text a CSV file would have.
fn cell_text(value: &calamine::DataRef<'_>) -> String {
    use calamine::DataRef;
    match value {
        DataRef::Empty => String::new(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_string(),
        // Employee numbers and levels are typed as numbers.
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::Int(n) => n.to_string(),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        DataRef::DateTime(d) => d.to_string(),
        DataRef::Error(e) => format!("#{e:?}"),
    }
}

/// A column a kind of file can have, with the header names HR systems use.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub key: &'static str,
    /// The name in Skillmap's template.
    pub label: &'static str,
    pub aliases: &'static [&'static str],
    pub required: bool,
}

/// Lower-case letters and digits only: "Employee No." -> "employeeno".
pub fn normalise_header(h: &str) -> String {
    h.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Which file column holds each known column.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    /// Column key -> index in the row.
    found: Vec<(&'static str, usize)>,
    /// Headers no column claimed: (index, header).
    pub unknown: Vec<(usize, String)>,
}

impl Mapping {
    pub fn new(headers: &[String], columns: &[Column]) -> Self {
        let mut mapping = Mapping::default();
        for (i, h) in headers.iter().enumerate() {
            let n = normalise_header(h);
            if n.is_empty() {
                continue;
            }
            let hit = columns.iter().find(|c| {
                normalise_header(c.label) == n || c.aliases.iter().any(|a| normalise_header(a) == n)
            });
            match hit {
                Some(c) if !mapping.has(c.key) => mapping.found.push((c.key, i)),
                _ => mapping.unknown.push((i, h.trim().to_string())),
            }
        }
        mapping
    }

    pub fn has(&self, key: &str) -> bool {
        self.found.iter().any(|(k, _)| *k == key)
    }

    /// The trimmed cell for a column ("" when absent).
    pub fn get<'a>(&self, row: &'a [String], key: &str) -> &'a str {
        self.found
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, i)| row.get(*i))
            .map(|s| s.trim())
            .unwrap_or("")
    }

    /// Problems for required columns that are missing, naming what would do.
    pub fn missing(&self, columns: &[Column], headers: &[String]) -> Vec<Problem> {
        let mut problems: Vec<Problem> = columns
            .iter()
            .filter(|c| c.required && !self.has(c.key))
            .map(|c| {
                let also = if c.aliases.is_empty() {
                    String::new()
                } else {
                    format!(" (also accepted: {})", c.aliases.join(", "))
                };
                Problem {
                    column: c.label.to_string(),
                    ..Problem::file(format!(
                        "The file has no \u{201c}{}\u{201d} column{also}.",
                        c.label
                    ))
                }
            })
            .collect();
        if !problems.is_empty() && headers.len() == 1 {
            let h = &headers[0];
            let other = ['|', ':', '^']
                .into_iter()
                .find(|d| h.contains(*d))
                .map(|d| format!(" (it looks separated by \u{201c}{d}\u{201d})"))
                .unwrap_or_default();
            problems.insert(
                0,
                Problem::file(format!(
                    "The header row has only one column{other}. Separate columns with commas or semicolons, or upload an .xlsx file."
                )),
            );
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(text: &str) -> Result<Table, Problem> {
        read(text.as_bytes(), "file.csv", Limits::default())
    }

    #[test]
    fn reads_bom_crlf_semicolons_and_quoted_newlines() {
        let t = read(
            b"\xEF\xBB\xBFcode;name\r\nA;\"Ward\r\nA\"\r\n\r\nB;Ward B\r\n",
            "x.csv",
            Limits::default(),
        )
        .unwrap();
        assert_eq!(t.headers, ["code", "name"]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].1[1], "Ward\r\nA");
        // Row numbers count records (the header is 1), blank rows skipped.
        assert_eq!(t.rows[0].0, 2);
        assert_eq!(t.rows[1].0, 4);
    }

    #[test]
    fn refuses_what_is_not_a_table() {
        assert!(csv("").unwrap_err().message.contains("empty"));
        assert!(csv("\u{feff}  \n").unwrap_err().message.contains("empty"));
        assert!(
            csv("code,name\n")
                .unwrap_err()
                .message
                .contains("no data rows")
        );
        let e = read(b"code,name\nA,Caf\xe9\n", "x.csv", Limits::default()).unwrap_err();
        assert!(
            e.message.contains("not UTF-8") && e.message.contains("line 2"),
            "{e:?}"
        );
        let e = read(b"\x00\x01\x02binary\x00", "x.bin", Limits::default()).unwrap_err();
        assert!(e.message.contains("binary"), "{e:?}");
        let e = read(b"code,name\nA,B\n", "x.xlsx", Limits::default()).unwrap_err();
        assert!(e.message.contains("not an Excel spreadsheet"), "{e:?}");
        let e = read(b"PK\x03\x04garbage", "x.xlsx", Limits::default()).unwrap_err();
        assert!(e.message.contains("could not be read"), "{e:?}");
        let small = Limits {
            max_bytes: 10,
            max_rows: 1,
        };
        let e = read(b"code,name\nA,B\nC,D\n", "x.csv", small).unwrap_err();
        assert!(e.message.contains("SKILLMAP_IMPORT_MAX_BYTES"), "{e:?}");
        let small = Limits {
            max_bytes: 100,
            max_rows: 1,
        };
        let e = read(b"code,name\nA,B\nC,D\n", "x.csv", small).unwrap_err();
        assert!(e.message.contains("more than 1 data rows"), "{e:?}");
    }

    #[test]
    fn headers_match_aliases_and_report_the_rest() {
        const COLUMNS: [Column; 2] = [
            Column {
                key: "employee_number",
                label: "Employee number",
                aliases: &["Assignment Number"],
                required: true,
            },
            Column {
                key: "band",
                label: "Band",
                aliases: &["Pay Band"],
                required: true,
            },
        ];
        let headers: Vec<String> = ["ASSIGNMENT NUMBER", "Pay band", "Shoe size"]
            .map(String::from)
            .to_vec();
        let m = Mapping::new(&headers, &COLUMNS);
        assert!(m.has("employee_number") && m.has("band"));
        assert_eq!(m.unknown, [(2, "Shoe size".to_string())]);
        let row: Vec<String> = [" 00123 ", "Band 5", "9"].map(String::from).to_vec();
        assert_eq!(m.get(&row, "employee_number"), "00123");
        let one = vec!["employee number|band".to_string()];
        let m = Mapping::new(&one, &COLUMNS);
        let problems = m.missing(&COLUMNS, &one);
        assert!(
            problems[0].message.contains("only one column"),
            "{problems:?}"
        );
        assert!(problems[0].message.contains('|'));
        assert!(problems[1].message.contains("Assignment Number"));
    }

    // -----------------------------------------------------------------------
    // The bounds: no file is read into more than they allow.

    /// A workbook with one sheet (`rows` inside its sheetData, `before`
    /// ahead of it) and any `extra` parts, as Excel would zip it.
    fn xlsx(before: &str, rows: &str, extra: &[(&str, &str)]) -> Vec<u8> {
        use std::io::Write;
        let parts = [
            (
                "[Content_Types].xml",
                r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
            ),
            (
                "_rels/.rels",
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
            ),
            (
                "xl/workbook.xml",
                r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Staff" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
            ),
            (
                "xl/_rels/workbook.xml.rels",
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
            ),
        ];
        let sheet = format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{before}<sheetData>{rows}</sheetData></worksheet>"#
        );
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        for (name, text) in parts.iter().chain(extra) {
            zip.start_file(*name, options).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
        zip.write_all(sheet.as_bytes()).unwrap();
        zip.finish().unwrap().into_inner()
    }

    /// A text cell.
    fn cell(at: &str, text: &str) -> String {
        format!(r#"<c r="{at}" t="inlineStr"><is><t>{text}</t></is></c>"#)
    }

    fn too_large(result: Result<Table, ReadError>) -> String {
        match result {
            Err(ReadError::TooLarge(message)) => message,
            other => panic!("expected a refusal naming the limits, got {other:?}"),
        }
    }

    #[test]
    fn a_sheet_is_read_as_rows_of_its_filled_cells() {
        // The declared size is ignored; rows may come out of order; blank
        // and formatted-only cells make nothing.
        let rows = [
            format!(
                "<row r=\"1\">{}{}</row>",
                cell("A1", "code"),
                cell("B1", "name")
            ),
            format!(
                "<row r=\"3\">{}{}</row>",
                cell("A3", "B"),
                cell("B3", "Ward B")
            ),
            format!(
                "<row r=\"2\">{}<c r=\"C2\" s=\"1\"/>{}</row>",
                cell("B2", "Ward A"),
                cell("A2", "A")
            ),
            concat!(
                "<row r=\"4\"><c r=\"A4\"><v>12340001</v></c>",
                "<c r=\"B4\" t=\"inlineStr\"><is><t> </t></is></c></row>"
            )
            .to_string(),
            format!("<row r=\"900000\">{}</row>", cell("XFD900000", " ")),
        ]
        .concat();
        let bytes = xlsx(r#"<dimension ref="A1:XFD1048576"/>"#, &rows, &[]);
        let t = read_checked(&bytes, "staff.xlsx", Limits::default()).unwrap();
        assert_eq!(t.headers, ["code", "name"]);
        let got: Vec<(usize, Vec<&str>)> = t
            .rows
            .iter()
            .map(|(n, cells)| (*n, cells.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            got,
            [
                (2, vec!["A", "Ward A"]),
                (3, vec!["B", "Ward B"]),
                (4, vec!["12340001"]),
            ]
        );
    }

    #[test]
    fn a_cell_far_from_the_data_is_refused_not_made_into_a_grid() {
        // A1 and XFD1048576 alone: a grid of 17 billion cells.
        let rows = format!(
            "<row r=\"1\">{}</row><row r=\"1048576\">{}</row>",
            cell("A1", "Employee number"),
            cell("XFD1048576", "X9999")
        );
        let message = too_large(read_checked(
            &xlsx(r#"<dimension ref="A1:XFD1048576"/>"#, &rows, &[]),
            "two-cells.xlsx",
            Limits::default(),
        ));
        assert!(
            message.contains("column XFD (column 16,384)")
                && message.contains("200,000 data rows, 500 columns")
                && message.contains("SKILLMAP_IMPORT_MAX_ROWS"),
            "{message}"
        );
        // The same in a CSV file.
        let mut text = String::from("code,name\nA,B");
        text.push_str(&",".repeat(700));
        text.push_str("far\n");
        let message = too_large(read_checked(text.as_bytes(), "x.csv", Limits::default()));
        assert!(
            message.contains("row 2 has a value in column 702"),
            "{message}"
        );
        // Empty cells past the last column are only dropped.
        let text = format!("code,name{}\nA,B{}\n", ",".repeat(700), ",".repeat(900));
        let t = read_checked(text.as_bytes(), "x.csv", Limits::default()).unwrap();
        assert_eq!(
            (t.headers.len(), t.rows[0].1.len()),
            (MAX_COLUMNS, MAX_COLUMNS)
        );
    }

    #[test]
    fn cells_and_text_are_bounded() {
        let limits = Limits {
            max_bytes: 1024 * 1024,
            max_rows: 100,
        };
        let bounds = Bounds::of(limits);
        assert_eq!(bounds.cells, 10_000);
        // Each row as wide as its last cell, in column SF (the 500th).
        assert_eq!(column_name(MAX_COLUMNS - 1), "SF");
        let rows: String = (1..=21)
            .map(|r| format!("<row r=\"{r}\">{}</row>", cell(&format!("SF{r}"), "x")))
            .collect();
        let message = too_large(read_checked(&xlsx("", &rows, &[]), "wide.xlsx", limits));
        assert!(message.contains("more than 10,000 cells"), "{message}");
        let mut text = String::new();
        for _ in 0..30 {
            text.push_str(&["a"; 400].join(","));
            text.push('\n');
        }
        let message = too_large(read_checked(text.as_bytes(), "wide.csv", limits));
        assert!(message.contains("more than 10,000 cells"), "{message}");
        // One long shared text, used in every cell: little to unpack, much
        // to hold.
        let strings = format!(
            r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>{}</t></si></sst>"#,
            "y".repeat(20_000)
        );
        let rows: String = (1..=60)
            .map(|r| format!("<row r=\"{r}\"><c r=\"A{r}\" t=\"s\"><v>0</v></c></row>"))
            .collect();
        let message = too_large(read_checked(
            &xlsx("", &rows, &[("xl/sharedStrings.xml", strings.as_str())]),
            "texts.xlsx",
            limits,
        ));
        assert!(message.contains("more than 1.0 MB of text"), "{message}");
    }

    #[test]
    fn a_zip_bomb_is_refused_before_it_is_unpacked() {
        let limits = Limits {
            max_bytes: 64 * 1024,
            max_rows: 200_000,
        };
        // 3 MB of rows that zip to a few kilobytes.
        let row = cell("A1", "Bomb");
        let rows = format!("<row>{row}</row>").repeat(3 * 1024 * 1024 / 40);
        let mut bytes = xlsx("", &rows, &[]);
        assert!(bytes.len() < limits.max_bytes, "{} bytes", bytes.len());
        let message = too_large(read_checked(&bytes, "bomb.xlsx", limits));
        assert!(
            message.contains("xl/worksheets/sheet1.xml unpacks to more than 1.0 MB"),
            "{message}"
        );
        // The same, declaring that the sheet is small: refused as it unpacks.
        let name = b"xl/worksheets/sheet1.xml";
        let mut patched = 0;
        for at in 0..bytes.len().saturating_sub(46 + name.len()) {
            let (size_at, name_at) = match &bytes[at..at + 4] {
                b"PK\x03\x04" => (at + 22, at + 30),
                b"PK\x01\x02" => (at + 24, at + 46),
                _ => continue,
            };
            if bytes[name_at..].starts_with(name) {
                bytes[size_at..size_at + 4].copy_from_slice(&1000u32.to_le_bytes());
                patched += 1;
            }
        }
        assert_eq!(patched, 2);
        assert!(read_checked(&bytes, "bomb.xlsx", limits).is_err());
        // A shared-text table that says it has a trillion texts (the
        // reader would reserve room for them all).
        let strings = r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1000000000000"><si><t>a</t></si></sst>"#;
        let rows = "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>";
        let message = too_large(read_checked(
            &xlsx("", rows, &[("xl/sharedStrings.xml", strings)]),
            "texts.xlsx",
            Limits::default(),
        ));
        assert!(
            message.contains("xl/sharedStrings.xml lists more than 4,000,000 texts"),
            "{message}"
        );
    }

    #[test]
    fn numbers_and_names_for_messages() {
        assert_eq!(count(0), "0");
        assert_eq!(count(500), "500");
        assert_eq!(count(16_384), "16,384");
        assert_eq!(count(4_000_000), "4,000,000");
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(16_383), "XFD");
        let b = Bounds::of(Limits::default());
        assert_eq!(
            (b.rows, b.columns, b.cells, b.text, b.unpacked),
            (200_000, 500, 4_000_000, 50 << 20, 400 << 20)
        );
    }
}
