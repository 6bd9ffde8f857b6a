//! The one way Skillmap writes CSV for people to open in a spreadsheet.

/// A CSV download for spreadsheets: every cell, headers included, passes
/// through `escape_formula`, so no file can carry a formula whatever text
/// ended up in it (a skill name, a person's name, an email).
pub struct SafeCsv(csv::Writer<Vec<u8>>);

impl Default for SafeCsv {
    fn default() -> Self {
        Self(csv::Writer::from_writer(Vec::new()))
    }
}

impl SafeCsv {
    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let record = cells.into_iter().map(|c| escape_formula(c.as_ref()));
        // Writing to memory fails only on allocation failure.
        let _ = self.0.write_record(record);
    }

    pub fn finish(self) -> String {
        let bytes = self.0.into_inner().unwrap_or_default();
        String::from_utf8(bytes).unwrap_or_default()
    }
}

/// Spreadsheets run cells that start with = + - @ (or tab, CR) as formulas:
/// prefix them with an apostrophe so they stay text.
pub fn escape_formula(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_csv_escapes_every_cell_headers_too() {
        let mut w = SafeCsv::default();
        w.row(["=HYPERLINK(\"x\") (A-1)", "Name"]);
        w.row(["+1", "'=already"]);
        assert_eq!(
            w.finish(),
            "\"'=HYPERLINK(\"\"x\"\") (A-1)\",Name\n'+1,'=already\n"
        );
    }
    #[test]
    fn formulas_are_defused() {
        assert_eq!(escape_formula("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(escape_formula("-1"), "'-1");
        assert_eq!(escape_formula("Plain"), "Plain");
    }
}
