//! HR bulk import: the bad-input corpus (tests/import-corpus), idempotence,
//! atomicity (including killing the import part-way through its commit),
//! the upload -> preview -> commit flow over HTTP, spreadsheets built to
//! exhaust the server (refused, and the server stays up), and the purge of
//! uploaded files and cell values after the retention period.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use skillmap_tests::*;

fn corpus(name: &str) -> PathBuf {
    workspace_root().join("tests/import-corpus").join(name)
}

fn import(db: &TestDb, kind: &str, path: &std::path::Path, extra: &[&str]) -> (bool, String) {
    let path = path.to_string_lossy().to_string();
    let mut args = vec!["import", kind, path.as_str()];
    args.extend_from_slice(extra);
    cli(db, &args, &[])
}

/// A demo organisation (its units and roles are what the corpus refers to).
fn seeded() -> TestDb {
    let db = TestDb::new();
    let (ok, out) = cli(&db, &["seed-demo", "--staff", "120"], &[]);
    assert!(ok, "{out}");
    db
}

/// "create: N" etc. from the command's preview.
fn count(out: &str, what: &str) -> usize {
    out.lines()
        .find_map(|l| l.trim().strip_prefix(&format!("{what}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {what:?} count in:\n{out}"))
}

#[test]
fn every_bad_file_gets_a_clear_error_and_changes_nothing() {
    let db = seeded();
    let tmp = tempfile::tempdir().unwrap();
    let write = |name: &str, text: String| {
        let path = tmp.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    // The same valid file, checked before and after every bad one.
    let good = write(
        "good.csv",
        "Employee number,First name,Last name,Org unit code,Staff group,Band\n\
         X0100,Good,Person,RNF-D1-T01,Administrative and Clerical,Band 4\n"
            .into(),
    );
    let (ok, before) = import(&db, "staff", &good, &["--dry-run"]);
    assert!(ok && count(&before, "create") == 1, "{before}");

    // (file, kind, expected message)
    let cases: [(&str, &str, &str); 18] = [
        ("empty.csv", "staff", "The file is empty"),
        ("header-only.csv", "staff", "header row but no data rows"),
        (
            "missing-column.csv",
            "staff",
            "The file has no \u{201c}Org unit code\u{201d} column (also accepted: Organisation code",
        ),
        (
            "wrong-delimiter.csv",
            "staff",
            "The header row has only one column (it looks separated by \u{201c}|\u{201d})",
        ),
        ("latin1.csv", "staff", "The file is not UTF-8 text: line 2"),
        (
            "quoted-newline.csv",
            "staff",
            "Row 2, First name \u{201c}Asha\nMay\u{201d}: Must not contain line breaks",
        ),
        (
            "duplicate-keys.csv",
            "staff",
            "Row 3, Employee number \u{201c}X0001\u{201d}: Employee number X0001 is already on row 2",
        ),
        (
            "unknown-references.csv",
            "staff",
            "Row 2, Org unit code \u{201c}NO-SUCH-UNIT\u{201d}: No organisation unit has code NO-SUCH-UNIT",
        ),
        (
            "unknown-references.csv",
            "staff",
            "Row 2, Job role code \u{201c}NO-SUCH-ROLE\u{201d}: No job role has code or title",
        ),
        (
            "roles-level-out-of-range.csv",
            "roles",
            "Row 2, Required level \u{201c}7\u{201d}: Use a level from 1 to 4",
        ),
        (
            "invalid-email.csv",
            "staff",
            "Row 2, Email \u{201c}asha.patel@\u{201d}: Enter an email address",
        ),
        (
            "over-long-field.csv",
            "staff",
            "Row 2, First name \u{201c}AAAA",
        ),
        (
            "over-long-field.csv",
            "staff",
            "Must be 100 characters or fewer",
        ),
        (
            "not-a-spreadsheet.xlsx",
            "staff",
            "The file is named .xlsx but is not an Excel spreadsheet",
        ),
        ("binary.csv", "staff", "it contains binary data"),
        // Only A1 and XFD1048576: never a grid of 17 billion cells.
        (
            "two-cells.xlsx",
            "staff",
            "larger than Skillmap can import: it has a value in column XFD (column 16,384)",
        ),
        (
            "manager-loop.csv",
            "staff",
            "Line managers form a loop: X0001 \u{2192} X0002 \u{2192} X0001",
        ),
        (
            "manager-loop.csv",
            "staff",
            "Row 4, Line manager employee number \u{201c}X0003\u{201d}: A person cannot be their own line manager",
        ),
    ];
    for (file, kind, expected) in cases {
        let (ok, out) = import(&db, kind, &corpus(file), &[]);
        assert!(!ok, "{file} was accepted:\n{out}");
        assert!(
            out.contains(expected),
            "{file}: expected {expected:?} in:\n{out}"
        );
        assert!(out.contains("nothing was imported"), "{file}:\n{out}");
    }
    // Too many rows: the limit is a setting.
    let (ok, out) = cli(
        &db,
        &[
            "import",
            "staff",
            corpus("too-many-rows.csv").to_str().unwrap(),
        ],
        &[("SKILLMAP_IMPORT_MAX_ROWS", "2")],
    );
    assert!(
        !ok && out.contains("more than 2 data rows") && out.contains("SKILLMAP_IMPORT_MAX_ROWS"),
        "{out}"
    );
    let (ok, out) = cli(
        &db,
        &["import", "staff", good.to_str().unwrap()],
        &[("SKILLMAP_IMPORT_MAX_BYTES", "50")],
    );
    assert!(!ok && out.contains("SKILLMAP_IMPORT_MAX_BYTES"), "{out}");

    // BOM, CRLF and an unknown column: a warning, not an error.
    let (ok, out) = import(
        &db,
        "staff",
        &corpus("bom-crlf-unknown-column.csv"),
        &["--dry-run"],
    );
    assert!(ok, "{out}");
    assert!(
        out.contains("Unknown column \u{201c}Shoe size\u{201d} is ignored"),
        "{out}"
    );
    assert_eq!(count(&out, "create"), 1);
    assert_eq!(count(&out, "new accounts"), 1);

    // Nothing above changed anything.
    let (ok, after) = import(&db, "staff", &good, &["--dry-run"]);
    assert!(ok && count(&after, "create") == 1, "{after}");

    // An Excel file with an HR system's column names.
    let (ok, out) = import(&db, "staff", &corpus("staff.xlsx"), &[]);
    assert!(ok, "{out}");
    assert_eq!(count(&out, "create"), 2, "{out}");
    assert_eq!(count(&out, "new accounts"), 1, "{out}");
}

#[test]
fn importing_twice_changes_nothing_and_changes_update_in_place() {
    let db = seeded();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let org = dir.join("org.csv");
    std::fs::write(
        &org,
        "Code,Name,Parent code\n\
         IMP-D,Imported Directorate,RNF\n\
         IMP-T1,Imported Team One,IMP-D\n\
         IMP-T2,Imported Team Two,IMP-D\n",
    )
    .unwrap();
    let roles = dir.join("roles.csv");
    std::fs::write(
        &roles,
        "Role code,Title,Staff group,Band,DIG-FOUND,DAT-VIS\n\
         IMP-R1,Imported Analyst,Administrative and Clerical,Band 6,3,2d\n",
    )
    .unwrap();
    let staff = |lead_band: &str| {
        format!(
            "Employee number,Full name,Email,Org unit code,Job role code,Line manager employee number,Staff group,Band,Skillmap role\n\
             IMP001,\"Lead, Lola\",lola.lead@imported.example,IMP-T1,IMP-R1,,Administrative and Clerical,{lead_band},manager\n\
             IMP002,Max Member,max.member@imported.example,IMP-T1,Imported Analyst,IMP001,Administrative and Clerical,Band 5,\n\
             IMP003,Nia Newer,,IMP-T2,,IMP002,Administrative and Clerical,Band 4,\n"
        )
    };
    let people = dir.join("staff.csv");
    std::fs::write(&people, staff("Band 7")).unwrap();

    for (kind, path, n) in [
        ("org", &org, 3),
        ("roles", &roles, 1),
        ("staff", &people, 3),
    ] {
        let (ok, out) = import(&db, kind, path, &[]);
        assert!(ok, "{kind}: {out}");
        assert_eq!(count(&out, "create"), n, "{kind}: {out}");
        let (ok, out) = import(&db, kind, path, &[]);
        assert!(ok, "{kind} again: {out}");
        assert_eq!(count(&out, "create"), 0, "{kind} again: {out}");
        assert_eq!(count(&out, "update"), 0, "{kind} again: {out}");
        assert_eq!(count(&out, "unchanged"), n, "{kind} again: {out}");
    }
    // One change: one update, nothing new.
    std::fs::write(&people, staff("Band 8a")).unwrap();
    let (ok, out) = import(&db, "staff", &people, &[]);
    assert!(ok, "{out}");
    assert_eq!(
        (
            count(&out, "create"),
            count(&out, "update"),
            count(&out, "unchanged")
        ),
        (0, 1, 2),
        "{out}"
    );
    // A manager loop through the database is caught: IMP001 now reporting
    // to IMP003, who reports (in Skillmap) to IMP002, who reports to IMP001.
    let looped = dir.join("loop.csv");
    std::fs::write(
        &looped,
        "Employee number,First name,Last name,Org unit code,Line manager employee number,Staff group,Band\n\
         IMP001,Lola,Lead,IMP-T1,IMP003,Administrative and Clerical,Band 8a\n",
    )
    .unwrap();
    let (ok, out) = import(&db, "staff", &looped, &[]);
    assert!(
        !ok && out.contains(
            "Line managers form a loop: IMP001 \u{2192} IMP003 \u{2192} IMP002 \u{2192} IMP001"
        ),
        "{out}"
    );
}

#[test]
fn killing_the_import_part_way_through_its_commit_changes_nothing() {
    let db = seeded();
    let rows = 30_000;
    let text = staff_tree_csv("K", rows);
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("big.csv");
    std::fs::write(&path, text).unwrap();

    let mut child = Command::new(binary())
        .args(["import", "staff", path.to_str().unwrap()])
        .env("DATABASE_URL", db.url())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut killed_at = None;
    for line in stderr.lines().map_while(Result::ok) {
        if let Some(p) = line.strip_prefix("progress: ") {
            let (done, total) = p.split_once('/').unwrap();
            let (done, total): (usize, usize) = (done.parse().unwrap(), total.parse().unwrap());
            if done > 0 && done < total {
                child.kill().unwrap();
                killed_at = Some(done);
                break;
            }
        }
    }
    let _ = child.wait();
    let done = killed_at.expect("the import was stopped part-way");
    println!("killed after writing {done} of {rows} rows");

    // Nothing of it is there: every row would still be created.
    let (ok, out) = import(&db, "staff", &path, &["--dry-run"]);
    assert!(ok, "{out}");
    assert_eq!(count(&out, "create"), rows, "{out}");
    // And the database is sound: the whole import now goes through.
    let (ok, out) = import(&db, "staff", &path, &[]);
    assert!(ok, "{out}");
    assert_eq!(count(&out, "create"), rows, "{out}");
    let (ok, out) = import(&db, "staff", &path, &["--dry-run"]);
    assert!(ok && count(&out, "unchanged") == rows, "{out}");
}

async fn job(app: &TestServer, client: &reqwest::Client, id: &str) -> Value {
    let res = app.call(client, "/api/import/job", &[("job_id", id)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

#[tokio::test]
async fn upload_preview_commit_over_http() {
    let app = TestServer::start();
    let hr = app.login_demo(HR).await;

    // A file with a problem: rejected, with the problem named.
    let bad = "Employee number,First name,Last name,Email,Org unit code,Staff group,Band\n\
               W0001,Wren,Webb,wren.webb@upload.example,RNF-D1-T01,Administrative and Clerical,Band 5\n\
               W0002,=cmd|' /C calc'!A0,Webb,not-an-email,RNF-D1-T01,Administrative and Clerical,Band 5\n";
    let res = app
        .upload(&hr, "staff", "staff.csv", bad.as_bytes().to_vec())
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let id = res.text().await.unwrap();
    let j = job(&app, &hr, &id).await;
    assert_eq!(j["status"], "rejected", "{j}");
    assert_eq!(j["counts"]["errors"], 1, "{j}");
    assert_eq!(j["problems"][0]["row"], 3, "{j}");
    assert_eq!(j["problems"][0]["column"], "Email", "{j}");
    // Nothing can be committed from it.
    let res = app
        .call(&hr, "/api/import/commit", &[("job_id", &id)])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    // The problem report is a CSV that a spreadsheet will not run.
    let res = hr
        .get(app.url(&format!("/admin/import/{id}/problems.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let report = res.text().await.unwrap();
    assert!(
        report.starts_with("Row,Column,Value,Problem,Severity"),
        "{report}"
    );
    assert!(report.contains("3,Email,not-an-email,"), "{report}");
    // Staff cannot read it.
    let staff = app.login_demo(STAFF).await;
    let res = staff
        .get(app.url(&format!("/admin/import/{id}/problems.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .upload(&staff, "staff", "staff.csv", bad.as_bytes().to_vec())
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Fixed (and a formula-looking name kept as text): ready, then imported.
    let good = bad.replace("not-an-email", "wynn.webb@upload.example");
    let res = app
        .upload(&hr, "staff", "staff.csv", good.into_bytes())
        .await;
    let id = res.text().await.unwrap();
    let j = job(&app, &hr, &id).await;
    assert_eq!(j["status"], "ready", "{j}");
    assert_eq!(j["counts"]["create"], 2, "{j}");
    let res = app
        .call(&hr, "/api/import/commit", &[("job_id", &id)])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let started = Instant::now();
    loop {
        let res = app
            .call(&hr, "/api/import/progress", &[("job_id", &id)])
            .await;
        let (status, _progress): (String, Value) = res.json().await.unwrap();
        if status == "imported" {
            break;
        }
        assert!(
            status == "importing" || status == "ready",
            "unexpected status {status}"
        );
        assert!(started.elapsed() < Duration::from_secs(60), "import hung");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A second commit is refused; the history lists both files.
    let res = app
        .call(&hr, "/api/import/commit", &[("job_id", &id)])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let history: Value = app
        .call(&hr, "/api/import/history", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history[0]["status"], "imported", "{history}");
    assert_eq!(history[0]["actor"], HR, "{history}");
    assert_eq!(history[1]["status"], "rejected", "{history}");

    // The new people are in the organisation, the odd name as plain text.
    let found: Value = app
        .call(&hr, "/api/people/search", &[("query", "webb")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found[1], 2, "{found}");
    let names: Vec<&str> = found[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"=cmd|' /C calc'!A0 Webb"), "{names:?}");
    // Their accounts exist but cannot be signed in to without a password.
    let res = app
        .call(
            &app.client(),
            "/api/auth/login",
            &[
                ("email", "wren.webb@upload.example"),
                ("password", "any password at all"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // Set-password links for the new accounts: HR downloads them, the
    // person chooses a password once, then signs in.
    let res = staff
        .post(app.url("/admin/import/links.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = hr
        .post(app.url("/admin/import/links.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let links = res.text().await.unwrap();
    assert_eq!(links.lines().count(), 3, "header and two links: {links}");
    let line = links
        .lines()
        .find(|l| l.starts_with("wren.webb@upload.example"))
        .expect("a link for Wren");
    let token = line
        .split("token=")
        .nth(1)
        .and_then(|t| t.split(',').next())
        .unwrap()
        .to_string();
    let anonymous = app.client();
    let res = anonymous
        .get(app.url(&format!("/set-password?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the link opens without signing in"
    );
    let server = &app;
    let set = |password: &'static str, confirm: &'static str| {
        let token = token.clone();
        let anonymous = anonymous.clone();
        async move {
            server
                .call(
                    &anonymous,
                    "/api/auth/set_password",
                    &[
                        ("token", &token),
                        ("password", password),
                        ("confirm", confirm),
                    ],
                )
                .await
        }
    };
    let res = set("a brand new passphrase", "a different passphrase").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = set("a brand new passphrase", "a brand new passphrase").await;
    assert_eq!(res.status(), StatusCode::OK);
    let wren = app
        .login("wren.webb@upload.example", "a brand new passphrase")
        .await;
    assert_eq!(app.whoami(&wren).await["role"], "staff");
    // A link works once.
    let res = set("another new passphrase", "another new passphrase").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Templates for each kind.
    for kind in ["org", "roles", "staff"] {
        let res = hr
            .get(app.url(&format!("/admin/import/templates/{kind}.csv")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{kind}");
        let text = res.text().await.unwrap();
        assert!(text.lines().count() == 2, "{kind}: {text}");
    }
}

#[tokio::test]
async fn upload_limits_are_settings_with_clear_messages() {
    let app = TestServer::start_with(&[
        ("SKILLMAP_IMPORT_MAX_BYTES", "2048"),
        ("SKILLMAP_IMPORT_MAX_ROWS", "3"),
    ]);
    let hr = app.login_demo(HR).await;
    let mut big =
        String::from("Employee number,First name,Last name,Org unit code,Staff group,Band\n");
    for i in 0..100 {
        big.push_str(&format!(
            "L{i:04},Lim,Person{i},RNF-D1-T01,Administrative and Clerical,Band 3\n"
        ));
    }
    // Over the size limit: refused while reading, nothing recorded.
    let res = app
        .upload(&hr, "staff", "big.csv", big.clone().into_bytes())
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("larger than the 2 KB limit") && body.contains("SKILLMAP_IMPORT_MAX_BYTES"),
        "{body}"
    );
    // Far over it: refused before reading (413), from the declared length.
    let status = app.declare_body("/api/import/upload", 2048 + 64 * 1024 + 1);
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE.as_u16());
    // Under the size limit but over the row limit: a rejected import.
    let four: String = big.lines().take(5).map(|l| format!("{l}\n")).collect();
    let res = app
        .upload(&hr, "staff", "four.csv", four.into_bytes())
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let id = res.text().await.unwrap();
    let j = job(&app, &hr, &id).await;
    assert_eq!(j["status"], "rejected", "{j}");
    let message = j["problems"][0]["message"].as_str().unwrap();
    assert!(message.contains("more than 3 data rows"), "{message}");
    let history: Value = app
        .call(&hr, "/api/import/history", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history.as_array().unwrap().len(), 1, "{history}");
}

// ---------------------------------------------------------------------------
// Spreadsheets built to exhaust the server.

/// The parts an .xlsx needs besides its sheet (calamine reads the package
/// and workbook relationships and the workbook; the content types are for
/// Excel).
const XLSX_PARTS: [(&str, &str); 4] = [
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

const SHEET_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#;

/// A one-sheet .xlsx as Excel zips it: `before` ahead of the sheet data,
/// `rows` in it.
fn xlsx(before: &str, rows: &str) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for (name, text) in XLSX_PARTS {
        zip.start_file(name, options).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
    write!(
        zip,
        "{SHEET_HEAD}{before}<sheetData>{rows}</sheetData></worksheet>"
    )
    .unwrap();
    zip.finish().unwrap().into_inner()
}

/// A text cell.
fn text_cell(at: &str, text: &str) -> String {
    format!(r#"<c r="{at}" t="inlineStr"><is><t>{text}</t></is></c>"#)
}

/// Uploads `bytes` to the staff import and to the learning catalogue
/// import: each must be refused (422) with a message containing every one
/// of `expected`, with the server still up after it.
async fn refused_by_both_imports(
    app: &TestServer,
    hr: &reqwest::Client,
    name: &str,
    bytes: &[u8],
    expected: &[&str],
) {
    let catalogue = app.json(hr, "/api/learning/catalogue", &[]).await["total"].clone();
    for (path, fields) in [
        ("/api/import/upload", &[("kind", "staff")][..]),
        ("/api/learning/import", &[][..]),
    ] {
        let started = Instant::now();
        let res = app.upload_to(hr, path, fields, name, bytes.to_vec()).await;
        let status = res.status();
        let body = res.text().await.unwrap();
        println!("{path}: {status} in {:?}", started.elapsed());
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        for e in expected {
            assert!(body.contains(e), "{path}: expected {e:?} in {body}");
        }
        let res = reqwest::get(app.url("/healthz")).await.unwrap();
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "the server is up after {path}"
        );
    }
    // Nothing imported, and nothing recorded.
    let history = app.json(hr, "/api/import/history", &[]).await;
    assert_eq!(history, Value::Array(vec![]), "{history}");
    let after = app.json(hr, "/api/learning/catalogue", &[]).await["total"].clone();
    assert_eq!(after, catalogue, "nothing added to the catalogue");
}

#[tokio::test]
async fn a_spreadsheet_with_two_far_apart_cells_is_refused_and_the_server_stays_up() {
    let app = TestServer::start();
    let hr = app.login_demo(HR).await;
    // A1 and XFD1048576: read as a grid, 17 billion cells.
    let rows = format!(
        "<row r=\"1\">{}</row><row r=\"1048576\">{}</row>",
        text_cell("A1", "Employee number"),
        text_cell("XFD1048576", "X9999")
    );
    let two_cells = xlsx(r#"<dimension ref="A1:XFD1048576"/>"#, &rows);
    refused_by_both_imports(
        &app,
        &hr,
        "two-cells.xlsx",
        &two_cells,
        &[
            "larger than Skillmap can import",
            "column XFD (column 16,384)",
            "200,000 data rows, 500 columns",
        ],
    )
    .await;
}

#[tokio::test]
async fn a_zip_bomb_is_refused_and_the_server_stays_up() {
    let app = TestServer::start();
    let hr = app.login_demo(HR).await;
    // 520 MB of rows in a file of a few megabytes, under the 50 MB upload
    // limit; the limit unpacked is 400 MB.
    let bomb = bomb_xlsx(520 << 20);
    assert!(bomb.len() < 8 << 20, "{} bytes", bomb.len());
    refused_by_both_imports(
        &app,
        &hr,
        "bomb.xlsx",
        &bomb,
        &[
            "larger than Skillmap can import",
            "xl/worksheets/sheet1.xml unpacks to more than 400.0 MB",
        ],
    )
    .await;
}

/// An .xlsx whose sheet is at least `size` bytes of identical rows, zipped
/// by hand: its deflate stream is the first row, then copies of it (258
/// bytes at a time, the most one copy can be), a few bits each. Compressing
/// it with the zip crate would take as long as writing it all out. Its
/// checksum is not computed (that would mean going through it all too):
/// Skillmap refuses it from its declared size before unpacking anything.
fn bomb_xlsx(size: usize) -> Vec<u8> {
    const ROW: &[u8] = br#"<row><c t="inlineStr"><is><t>Bomb</t></is></c></row>"#;
    const TAIL: &[u8] = b"</sheetData></worksheet>";
    let head = format!("{SHEET_HEAD}<sheetData>");
    // Whole rows: a multiple of the row's length in 258-byte copies.
    let copies = size.div_ceil(258 * ROW.len()) * ROW.len();
    let mut bits = Bits::default();
    bits.put(1, 1); // the last block...
    bits.put(1, 2); // ...with the fixed Huffman codes
    for &b in head.as_bytes().iter().chain(ROW) {
        bits.literal(b);
    }
    for _ in 0..copies {
        bits.copy_258(ROW.len());
    }
    for &b in TAIL {
        bits.literal(b);
    }
    bits.code(0, 7); // end of block
    let sheet = bits.finish();
    let unpacked = head.len() + ROW.len() + copies * 258 + TAIL.len();
    let mut entries: Vec<ZipEntry<'_>> = XLSX_PARTS
        .iter()
        .map(|(name, text)| ZipEntry {
            name,
            deflated: false,
            data: text.as_bytes(),
            crc: crc32(text.as_bytes()),
            size: text.len() as u32,
        })
        .collect();
    entries.push(ZipEntry {
        name: "xl/worksheets/sheet1.xml",
        deflated: true,
        data: &sheet,
        crc: 0,
        size: u32::try_from(unpacked).expect("under 4 GB"),
    });
    zip_by_hand(&entries)
}

/// A deflate stream, written bit by bit (RFC 1951).
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    /// `count` bits of `value`, least significant first.
    fn put(&mut self, value: u32, count: u32) {
        self.acc |= u64::from(value) << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code of `len` bits, most significant first.
    fn code(&mut self, code: u32, len: u32) {
        self.put(code.reverse_bits() >> (32 - len), len);
    }

    /// A byte, in the fixed literal codes.
    fn literal(&mut self, b: u8) {
        if b <= 143 {
            self.code(0x30 + u32::from(b), 8);
        } else {
            self.code(0x190 + u32::from(b) - 144, 9);
        }
    }

    /// Copy 258 bytes from `distance` back: length code 285, then the
    /// distance's code and extra bits.
    fn copy_258(&mut self, distance: usize) {
        self.code(0xC0 + (285 - 280), 8);
        let (code, extra, base) = distance_code(distance);
        self.code(code, 5);
        if extra > 0 {
            self.put((distance - base) as u32, extra);
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// A distance's code, extra bits and the first distance of its code.
fn distance_code(distance: usize) -> (u32, u32, usize) {
    if distance <= 4 {
        return ((distance - 1) as u32, 0, distance);
    }
    let mut code = 4usize;
    loop {
        let extra = code / 2 - 1;
        let base = ((2 + (code & 1)) << extra) + 1;
        if distance < base + (1 << extra) {
            return (code as u32, extra as u32, base);
        }
        code += 1;
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

struct ZipEntry<'a> {
    name: &'a str,
    deflated: bool,
    /// As stored (deflated or not).
    data: &'a [u8],
    crc: u32,
    /// Unpacked, as declared.
    size: u32,
}

/// A zip file of `entries`: local headers and data, the central directory
/// and its end record.
fn zip_by_hand(entries: &[ZipEntry<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut directory = Vec::new();
    // 1 December 2026, midnight, as MS-DOS dates go.
    let (time, date) = (0u16, (((2026 - 1980) << 9) | (12 << 5) | 1) as u16);
    for e in entries {
        let offset = out.len() as u32;
        let method: u16 = if e.deflated { 8 } else { 0 };
        let mut common = Vec::new();
        for half in [0u16, method, time, date] {
            common.extend_from_slice(&half.to_le_bytes()); // flags, method, time, date
        }
        for word in [e.crc, e.data.len() as u32, e.size] {
            common.extend_from_slice(&word.to_le_bytes());
        }
        common.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes()); // version needed
        out.extend_from_slice(&common);
        out.extend_from_slice(&0u16.to_le_bytes()); // extra field length
        out.extend_from_slice(e.name.as_bytes());
        out.extend_from_slice(e.data);
        directory.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        directory.extend_from_slice(&20u16.to_le_bytes()); // version made by
        directory.extend_from_slice(&20u16.to_le_bytes()); // version needed
        directory.extend_from_slice(&common);
        // Extra field and comment lengths, disk, internal and external
        // attributes.
        directory.extend_from_slice(&[0u8; 12]);
        directory.extend_from_slice(&offset.to_le_bytes());
        directory.extend_from_slice(e.name.as_bytes());
    }
    let directory_at = out.len() as u32;
    let directory_len = directory.len() as u32;
    out.extend_from_slice(&directory);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0u8; 4]); // this disk, the directory's disk
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&directory_len.to_le_bytes());
    out.extend_from_slice(&directory_at.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // comment length
    out
}

#[test]
fn the_hand_made_bomb_is_a_valid_xlsx() {
    // A small one, unpacked with the zip crate (checksum aside).
    let bytes = bomb_xlsx(100_000);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut text = Vec::new();
    {
        let mut sheet = zip.by_name("xl/worksheets/sheet1.xml").unwrap();
        let declared = sheet.size() as usize;
        // All of it, then "invalid checksum".
        let _ = std::io::Read::read_to_end(&mut sheet, &mut text);
        assert_eq!(text.len(), declared);
    }
    let text = String::from_utf8(text).unwrap();
    assert!(text.starts_with(SHEET_HEAD) && text.ends_with("</row></sheetData></worksheet>"));
    let rows = text
        .matches("<row><c t=\"inlineStr\"><is><t>Bomb</t></is></c></row>")
        .count();
    assert!(rows > 100_000 / 52, "{rows} rows");
    let mut small = zip.by_name("xl/workbook.xml").unwrap();
    let mut workbook = String::new();
    std::io::Read::read_to_string(&mut small, &mut workbook).unwrap();
    assert_eq!(workbook, XLSX_PARTS[2].1);
}

// ---------------------------------------------------------------------------
// Retention: an import keeps its file and the cell values in its problems
// only so long.

/// Imports that still hold the file or a value from it.
async fn holding(conn: &sea_orm::DatabaseConnection, value: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let sql = format!(
        "SELECT COUNT(*) FROM import_job WHERE content IS NOT NULL OR report LIKE '%{value}%'"
    );
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap()
        .expect("a count");
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test]
async fn finished_imports_lose_their_file_and_values_after_the_retention_period() {
    use sea_orm::{ConnectionTrait, Database};
    let mut app = TestServer::start();
    let hr = app.login_demo(HR).await;
    let header = "Employee number,First name,Last name,Email,Org unit code,Staff group,Band\n";
    let person = |number: &str, email: &str| {
        format!(
            "{header}{number},Pia,Purge,{email},RNF-D1-T01,Administrative and Clerical,Band 5\n"
        )
    };
    // Uploads a staff file; the job's id.
    let upload = async |name: &str, text: String| {
        let res = app.upload(&hr, "staff", name, text.into_bytes()).await;
        res.text().await.unwrap()
    };
    // Rejected: its problems name a value from the file.
    let rejected = upload("bad.csv", person("P0001", "not-an-email")).await;
    // Checked, never imported.
    let abandoned = upload("abandoned.csv", person("P0002", "pia.two@purge.example")).await;
    // Imported.
    let imported = upload("imported.csv", person("P0003", "pia.three@purge.example")).await;
    let res = app
        .call(&hr, "/api/import/commit", &[("job_id", &imported)])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let started = Instant::now();
    while job(&app, &hr, &imported).await["status"] != "imported" {
        assert!(started.elapsed() < Duration::from_secs(60), "import hung");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Within the retention period (7 days by default) all is kept, but
    // the imported file, which went when it was imported.
    let conn = Database::connect(app.db.url()).await.unwrap();
    assert_eq!(
        holding(&conn, "not-an-email").await,
        2,
        "the abandoned file and the rejected value"
    );
    // A week and more later: the purge runs at start-up (and every 15
    // minutes).
    for sql in [
        "UPDATE import_job SET created_at = '2000-01-01T00:00:00+00:00'",
        "UPDATE import_job SET finished_at = '2000-01-01T00:01:00+00:00' WHERE finished_at IS NOT NULL",
    ] {
        conn.execute_unprepared(sql).await.unwrap();
    }
    app.restart();
    let started = Instant::now();
    while holding(&conn, "not-an-email").await > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the file and the value are still there"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let hr = app.login_demo(HR).await;
    // What happened stays; the values are gone from the report.
    let j = job(&app, &hr, &rejected).await;
    assert_eq!(j["status"], "rejected", "{j}");
    assert_eq!(j["counts"]["errors"], 1, "{j}");
    assert_eq!(j["problems"][0]["row"], 2, "{j}");
    assert_eq!(j["problems"][0]["value"], "(removed)", "{j}");
    assert!(j["purged_at"].is_string(), "{j}");
    let report = hr
        .get(app.url(&format!("/admin/import/{rejected}/problems.csv")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        report.contains("2,Email,(removed),") && !report.contains("not-an-email"),
        "{report}"
    );
    assert_eq!(job(&app, &hr, &imported).await["status"], "imported");
    // The abandoned file can no longer be imported.
    let j = job(&app, &hr, &abandoned).await;
    assert_eq!(j["status"], "expired", "{j}");
    let res = app
        .call(&hr, "/api/import/commit", &[("job_id", &abandoned)])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("not imported in time"));
    // A new upload keeps its values for the retention period.
    let again = app
        .upload(
            &hr,
            "staff",
            "bad.csv",
            person("P0001", "not-an-email").into_bytes(),
        )
        .await
        .text()
        .await
        .unwrap();
    let report = hr
        .get(app.url(&format!("/admin/import/{again}/problems.csv")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(report.contains("2,Email,not-an-email,"), "{report}");
}
