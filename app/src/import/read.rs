//! Reading an uploaded file into rows of text cells: CSV (UTF-8, with or
//! without a byte-order mark, comma, semicolon or tab separated, quoted
//! fields with line breaks, CRLF) or XLSX (the first sheet). Anything else
//! gets a plain message saying what the file is and what to do instead.

use std::io::Cursor;

use super::model::Problem;

pub use crate::platform::settings::ImportLimits as Limits;

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
}

const XLSX_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0];

/// Reads a file into a table, or says why it cannot.
pub fn read(bytes: &[u8], file_name: &str, limits: Limits) -> Result<Table, Problem> {
    if bytes.len() > limits.max_bytes {
        return Err(Problem::file(format!(
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
        ));
    } else if bytes.starts_with(OLE_MAGIC) || lower.ends_with(".xls") {
        return Err(Problem::file(
            "This is an old-style Excel file (.xls). Save it as .xlsx or as CSV UTF-8 and upload that.",
        ));
    } else {
        read_csv(bytes, limits)?
    };
    if table.headers.iter().all(|h| h.trim().is_empty()) {
        return Err(Problem::file(
            "The file is empty. It needs a header row and at least one row of data.",
        ));
    }
    if table.rows.is_empty() {
        return Err(Problem::file("The file has a header row but no data rows."));
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

fn too_many_rows(limits: Limits) -> Problem {
    Problem::file(format!(
        "The file has more than {} data rows. Split it into smaller files, or ask an administrator to raise SKILLMAP_IMPORT_MAX_ROWS.",
        limits.max_rows
    ))
}

fn read_csv(bytes: &[u8], limits: Limits) -> Result<Table, Problem> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Problem::file(
            "The file is empty. It needs a header row and at least one row of data.",
        ));
    }
    if looks_binary(bytes) {
        return Err(Problem::file(
            "This is not a CSV or XLSX file: it contains binary data. Upload a CSV (UTF-8) or an Excel .xlsx file.",
        ));
    }
    if let Err(e) = std::str::from_utf8(bytes) {
        let at = e.valid_up_to();
        let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        return Err(Problem::file(format!(
            "The file is not UTF-8 text: line {line} has characters in another encoding. In Excel, use Save As \u{2192} \u{201c}CSV UTF-8 (Comma delimited)\u{201d}.",
        )));
    }
    let delimiter = sniff_delimiter(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes);
    let mut table = Table::default();
    let mut record = csv::StringRecord::new();
    let mut number = 0usize;
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
                });
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
        let cells: Vec<String> = record.iter().map(str::to_string).collect();
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

fn read_xlsx(bytes: &[u8], limits: Limits) -> Result<Table, Problem> {
    use calamine::{Data, Reader, Xlsx};
    let unreadable = |e: &dyn std::fmt::Display| {
        Problem::file(format!(
            "The file could not be read as an Excel spreadsheet ({e}). Open it in Excel and save it again as .xlsx or as CSV UTF-8."
        ))
    };
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let range = match book.worksheet_range_at(0) {
        Some(Ok(range)) => range,
        Some(Err(e)) => return Err(unreadable(&e)),
        None => return Err(Problem::file("The spreadsheet has no sheets.")),
    };
    let (first_row, _) = range.start().unwrap_or((0, 0));
    let mut table = Table::default();
    for (i, row) in range.rows().enumerate() {
        let number = first_row as usize + i + 1;
        let cells: Vec<String> = row
            .iter()
            .map(|c| match c {
                Data::Empty => String::new(),
                Data::String(s) => s.clone(),
                // Employee numbers and levels are typed as numbers.
                Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
                Data::Float(f) => f.to_string(),
                Data::Int(n) => n.to_string(),
                Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
                Data::DateTime(d) => d.to_string(),
                Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
                Data::Error(e) => format!("#{e:?}"),
            })
            .collect();
        table.push(number, cells, limits)?;
    }
    // Trailing empty header cells (formatting) are not columns.
    while table.headers.last().is_some_and(|h| h.trim().is_empty()) {
        table.headers.pop();
    }
    Ok(table)
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
}
