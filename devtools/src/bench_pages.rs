//! `skillmap-dev bench-pages`: what does server rendering add to the
//! busiest pages?
//!
//! The goal (issue "SSR: every page answers >= 0.8 as many requests a
//! second as the server function it renders"): opening a page should cost
//! the server little more than the browser's own call for the same data,
//! so that rendering HTML on the server, which makes every page work
//! without JavaScript, does not cost the people using it speed. This
//! measures it for the five busiest pages: "My skills" (`/skills`), the
//! team heatmap (`/team`), the organisation view (`/organisation`), home
//! (`/`) and "My learning" (`/learning`).
//!
//! Seeds a trust of `--staff` people (20,000 by default) who have each
//! assessed every skill, starts the real server (the release binary, as
//! `load` does), and signs in a staff member (one with an accepted
//! learning pathway, so "My learning" shows one), the demo ward manager
//! (`/team`) and the demo HR partner (`/organisation`, the whole trust).
//! Then for each page, flat out in a closed loop (`--connections` tasks,
//! each sending its next request as soon as the last is answered, for
//! `--seconds`):
//!
//! - its data: the server functions the page's view loads it with, posted
//!   form-encoded one after another as the browser's client does, by the
//!   same user with the same arguments (one "fn" request is one such
//!   round);
//! - the page itself: a GET of the server-rendered HTML;
//!
//! and then both again (A B A B), since these machines are noisy. It
//! prints requests a second (the mean of the two runs), p50 latency, the
//! ratio page/function and the size of the answers, after `/healthz` flat
//! out as the run's baseline.
//!
//! Every page also loads the signed-in user (`whoami`, in the `page!`
//! macro, for the layout; the team page's loader asks again) and renders
//! the layout; the data side leaves `whoami` out, so that is part of what
//! the page costs. Requests accept gzip and br answers, as browsers do
//! (`--accept-encoding` to ask for one only, or `identity` for plain
//! ones); sizes are given both plain
//! and as sent. Only 2xx answers count; errors are counted, printed, and
//! make the run exit non-zero. The load comes from this process, over
//! loopback, so it shares the cores with the server. With `--postgres
//! URL` it then does the same against PostgreSQL.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, ACCEPT_ENCODING, CONTENT_ENCODING};
use sea_orm::{ConnectionTrait, Database, Statement};
use skillmap_tests::{HR, MANAGER, TestDb, TestServer, create_accounts};

use crate::bench_reports::median;

/// The goal: a page's requests a second over its data's.
const GOAL: f64 = 0.8;

/// Each side flat out before it is measured (not counted).
const WARM_UP: Duration = Duration::from_secs(1);

/// The password of the staff account this bench creates.
const PASSWORD: &str = "pages-bench-password-2026";

/// What a browser asks for when it opens a page.
const HTML: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// What Leptos's client asks for when it calls a server function.
const JSON: &str = "application/json";

/// A staff member to sign in as: nobody reports to them and they have no
/// account yet; one with an accepted learning pathway first (the demo
/// gives most reports of its demo managers one).
const STAFF_SQL: &str = "SELECT p.id AS id, p.employee_number AS employee_number FROM person p \
     WHERE NOT EXISTS (SELECT 1 FROM person r WHERE r.line_manager_id = p.id) \
     AND NOT EXISTS (SELECT 1 FROM account a WHERE a.person_id = p.id) \
     ORDER BY CASE WHEN EXISTS (SELECT 1 FROM pathway w WHERE w.person_id = p.id) \
     THEN 0 ELSE 1 END, p.id LIMIT 1";

/// The command line's choices (see `Command::BenchPages`).
pub struct Options {
    pub staff: usize,
    pub seconds: u64,
    pub connections: usize,
    pub postgres: Option<String>,
    /// The Accept-Encoding header sent (`identity`: none).
    pub accept_encoding: String,
}

/// One HTTP request: a page (GET) or a server function (POST,
/// form-encoded).
struct Request {
    /// "GET /team" or "POST /api/team/heatmap": for the listing and errors.
    label: String,
    url: String,
    /// The form a server function is posted with; `None` for a page.
    form: Option<Vec<(&'static str, String)>>,
}

impl Request {
    fn page(app: &TestServer, path: &str) -> Self {
        Request {
            label: format!("GET {path}"),
            url: app.url(path),
            form: None,
        }
    }

    fn function(app: &TestServer, path: &str, form: Vec<(&'static str, String)>) -> Self {
        let args: Vec<String> = form.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let label = if args.is_empty() {
            format!("POST {path}")
        } else {
            format!("POST {path} ({})", args.join("&"))
        };
        Request {
            label,
            url: app.url(path),
            form: Some(form),
        }
    }
}

/// A page, who opens it, and the server functions its view loads its data
/// with (in the order the loader calls them).
struct Page {
    path: &'static str,
    who: &'static str,
    client: reqwest::Client,
    page: Arc<[Request]>,
    data: Arc<[Request]>,
}

impl Page {
    fn new(
        app: &TestServer,
        path: &'static str,
        who: &'static str,
        client: &reqwest::Client,
        data: Vec<Request>,
    ) -> Self {
        Page {
            path,
            who,
            client: client.clone(),
            page: Arc::from(vec![Request::page(app, path)]),
            data: Arc::from(data),
        }
    }
}

/// Sends one request; the response when it is a 2xx, otherwise what went
/// wrong (the status, and the start of the body when it is readable).
async fn respond(
    client: &reqwest::Client,
    r: &Request,
    encoding: &str,
) -> Result<reqwest::Response, String> {
    let mut req = match &r.form {
        None => client.get(&r.url).header(ACCEPT, HTML),
        Some(form) => client.post(&r.url).header(ACCEPT, JSON).form(form),
    };
    if encoding != "identity" {
        req = req.header(ACCEPT_ENCODING, encoding);
    }
    let res = req.send().await.map_err(|e| format!("{}: {e}", r.label))?;
    let status = res.status();
    if status.is_success() {
        return Ok(res);
    }
    let body = if res.headers().contains_key(CONTENT_ENCODING) {
        String::new()
    } else {
        res.text().await.unwrap_or_default()
    };
    let start: String = body.chars().take(200).collect();
    Err(format!("{}: {status} {start}", r.label)
        .trim_end()
        .to_string())
}

/// Sends one request and reads the whole answer; the bytes as sent.
async fn send(client: &reqwest::Client, r: &Request, encoding: &str) -> Result<usize, String> {
    let res = respond(client, r, encoding).await?;
    res.bytes()
        .await
        .map(|b| b.len())
        .map_err(|e| format!("{}: {e}", r.label))
}

/// Sends a round's requests one after another; the bytes of all answers.
async fn send_round(
    client: &reqwest::Client,
    round: &[Request],
    encoding: &str,
) -> Result<usize, String> {
    let mut bytes = 0;
    for r in round {
        bytes += send(client, r, encoding).await?;
    }
    Ok(bytes)
}

/// A round sent once, uncompressed, and checked: the size of its answers.
/// A page that shows the error page (its data failed) is an error, though
/// it may come with a 2xx.
async fn probe(client: &reqwest::Client, round: &[Request]) -> Result<usize, String> {
    let mut bytes = 0;
    for r in round {
        let body = respond(client, r, "identity")
            .await?
            .text()
            .await
            .map_err(|e| format!("{}: {e}", r.label))?;
        if r.form.is_none() && body.contains("Problem - Skillmap") {
            return Err(format!("{}: the page shows the error page", r.label));
        }
        bytes += body.len();
    }
    Ok(bytes)
}

/// What one side did, in one or more measurements.
#[derive(Default)]
struct Tally {
    /// Each round answered 2xx throughout: its time, in milliseconds.
    ms: Vec<f64>,
    /// Rounds that failed, and the first few distinct reasons.
    errors: usize,
    reasons: Vec<String>,
    /// The bytes sent in answer to the last round answered.
    wire: usize,
    /// How long it ran.
    secs: f64,
}

impl Tally {
    fn per_second(&self) -> f64 {
        self.ms.len() as f64 / self.secs
    }

    fn fail(&mut self, reason: String) {
        self.errors += 1;
        if self.reasons.len() < 5 && !self.reasons.contains(&reason) {
            self.reasons.push(reason);
        }
    }

    fn add(&mut self, other: Tally) {
        self.ms.extend(other.ms);
        self.errors += other.errors;
        for reason in other.reasons {
            if self.reasons.len() < 5 && !self.reasons.contains(&reason) {
                self.reasons.push(reason);
            }
        }
        if other.wire > 0 {
            self.wire = other.wire;
        }
        self.secs += other.secs;
    }
}

/// Sends `round` flat out from `connections` tasks (a closed loop: each
/// sends its next round when the last is answered) for `how_long`.
async fn flat_out(
    client: &reqwest::Client,
    round: &Arc<[Request]>,
    connections: usize,
    how_long: Duration,
    encoding: &str,
) -> Tally {
    let started = Instant::now();
    let until = started + how_long;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let (client, round, encoding) = (client.clone(), round.clone(), encoding.to_string());
        tasks.spawn(async move {
            let mut tally = Tally::default();
            while Instant::now() < until {
                let t = Instant::now();
                match send_round(&client, &round, &encoding).await {
                    Ok(bytes) => {
                        tally.ms.push(t.elapsed().as_secs_f64() * 1000.0);
                        tally.wire = bytes;
                    }
                    Err(e) => tally.fail(e),
                }
            }
            tally
        });
    }
    let mut total = Tally::default();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(tally) => total.add(tally),
            Err(e) => total.fail(format!("a connection's task failed: {e}")),
        }
    }
    total.secs = started.elapsed().as_secs_f64();
    total
}

/// A side's figures over its measured runs.
struct Side {
    /// The mean of the runs' requests a second.
    per_second: f64,
    p50_ms: f64,
    wire: usize,
    errors: usize,
    reasons: Vec<String>,
}

fn side(runs: Vec<Tally>) -> Side {
    let per_second = runs.iter().map(Tally::per_second).sum::<f64>() / runs.len() as f64;
    let mut all = Tally::default();
    for run in runs {
        all.add(run);
    }
    let p50_ms = if all.ms.is_empty() {
        f64::NAN
    } else {
        median(&mut all.ms)
    };
    Side {
        per_second,
        p50_ms,
        wire: all.wire,
        errors: all.errors,
        reasons: all.reasons,
    }
}

/// The page and its data, each warmed up, then measured data, page, data,
/// page: (page, data).
async fn measure(page: &Page, o: &Options) -> (Side, Side) {
    let encoding = o.accept_encoding.as_str();
    let each = Duration::from_secs(o.seconds);
    // Warming up: what these runs did is not counted (the measured runs
    // fail the same way if something is wrong).
    for round in [&page.data, &page.page] {
        flat_out(&page.client, round, o.connections, WARM_UP, encoding).await;
    }
    let mut data = Vec::new();
    let mut html = Vec::new();
    for _ in 0..2 {
        data.push(flat_out(&page.client, &page.data, o.connections, each, encoding).await);
        html.push(flat_out(&page.client, &page.page, o.connections, each, encoding).await);
    }
    (side(html), side(data))
}

/// Who to sign in as for the staff pages (PostgreSQL's statistics brought
/// up to date first, as autovacuum would have on a live server): their
/// email and employee number.
async fn staff_member(db: &TestDb) -> Result<(String, String), String> {
    let conn = Database::connect(db.url())
        .await
        .map_err(|e| format!("connect to {}: {e}", db.url()))?;
    if db.is_postgres() {
        conn.execute_unprepared("ANALYZE")
            .await
            .map_err(|e| format!("ANALYZE: {e}"))?;
    }
    let backend = conn.get_database_backend();
    let row = conn
        .query_one_raw(Statement::from_string(backend, STAFF_SQL))
        .await
        .map_err(|e| format!("finding a staff member: {e}"))?
        .ok_or("no staff member without an account to sign in as")?;
    let id: i32 = row
        .try_get("", "id")
        .map_err(|e| format!("staff member's id: {e}"))?;
    let number: String = row
        .try_get("", "employee_number")
        .map_err(|e| format!("staff member's employee number: {e}"))?;
    Ok((format!("pages{id}@bench.example"), number))
}

/// What a run found: one line per page for the summary, and every error.
#[derive(Default)]
struct Report {
    summary: Vec<String>,
    errors: Vec<String>,
}

async fn bench(engine: &str, db: TestDb, o: &Options) -> Result<Report, String> {
    crate::load::seed_trust(engine, &db, o.staff)?;
    let (email, number) = staff_member(&db).await?;
    create_accounts(&db, &[(email.clone(), "staff", number)], PASSWORD);
    let app = TestServer::start_on(db, &[]);
    let staff = app.login(&email, PASSWORD).await;
    let manager = app.login_demo(MANAGER).await;
    let hr = app.login_demo(HR).await;

    let organisation = Request::function(&app, "/api/team/organisation", vec![]);

    let pages = [
        // profile/view.rs, MySkillsPage: get_profile(None), review_status().
        Page::new(
            &app,
            "/skills",
            "staff",
            &staff,
            vec![
                Request::function(&app, "/api/profile/get", vec![]),
                Request::function(&app, "/api/profile/review_status", vec![]),
            ],
        ),
        // team/view.rs, load_team for a manager (not HR, so no picker):
        // team_heatmap(None, Some(false), None, None, None, Some(false),
        // None, None), then legend_first_view().
        Page::new(
            &app,
            "/team",
            "manager",
            &manager,
            vec![
                Request::function(
                    &app,
                    "/api/team/heatmap",
                    vec![("all", "false".into()), ("required", "false".into())],
                ),
                Request::function(&app, "/api/team/legend", vec![]),
            ],
        ),
        // team/view.rs, OrganisationPage: organisation_report(None, None),
        // which carries the review counts too.
        Page::new(&app, "/organisation", "HR", &hr, vec![organisation]),
        // home/view.rs, HomePage: load_home().
        Page::new(
            &app,
            "/",
            "staff",
            &staff,
            vec![Request::function(&app, "/api/home/overview", vec![])],
        ),
        // pathways/view.rs, MyLearningPage: get_my_learning(None, None).
        Page::new(
            &app,
            "/learning",
            "staff",
            &staff,
            vec![Request::function(&app, "/api/learning/mine", vec![])],
        ),
    ];

    // Each page and its data once, plainly: checked, and their sizes.
    let mut plain = Vec::new();
    for page in &pages {
        plain.push((
            probe(&page.client, &page.page).await?,
            probe(&page.client, &page.data).await?,
        ));
    }

    println!(
        "bench-pages: {} staff, {} connections, {} s each, {engine}, Accept-Encoding: {}",
        o.staff, o.connections, o.seconds, o.accept_encoding
    );
    println!(
        "Each page (GET, server-rendered HTML) against its data: the server functions its \
         view loads it with, posted one after another as the browser does (\"fn\"), same user, \
         same arguments. Pages also load the signed-in user (whoami) for their layout; fn \
         leaves it out. Mean of two runs each, interleaved fn, page, fn, page."
    );
    for page in &pages {
        let calls: Vec<&str> = page.data.iter().map(|r| r.label.as_str()).collect();
        println!("  {} ({}): {}", page.path, page.who, calls.join(", "));
    }

    let encoding = o.accept_encoding.as_str();
    let healthz: Arc<[Request]> = Arc::from(vec![Request::page(&app, "/healthz")]);
    flat_out(&staff, &healthz, o.connections, WARM_UP, encoding).await;
    let base = flat_out(
        &staff,
        &healthz,
        o.connections,
        Duration::from_secs(o.seconds),
        encoding,
    )
    .await;
    let base_errors = match base.errors {
        0 => String::new(),
        n => format!(" ({n} errors)"),
    };
    println!("/healthz baseline: {:.0}/s{base_errors}", base.per_second());
    let mut report = Report::default();
    for reason in &base.reasons {
        eprintln!("{engine}: {reason}");
        report.errors.push(format!("{engine}: {reason}"));
    }

    println!(
        "{:<14} {:>7} {:>6} {:>7} {:>6} {:>6} {:>10} {:>9} {:>9} {:>8} {:>6}",
        "page",
        "page/s",
        "p50 ms",
        "fn/s",
        "p50 ms",
        "ratio",
        "page bytes",
        "fn bytes",
        "page wire",
        "fn wire",
        "errors"
    );
    for (page, (page_bytes, fn_bytes)) in pages.iter().zip(plain) {
        let (html, data) = measure(page, o).await;
        let ratio = html.per_second / data.per_second;
        println!(
            "{:<14} {:>7.0} {:>6.1} {:>7.0} {:>6.1} {:>6.2} {:>10} {:>9} {:>9} {:>8} {:>6}",
            page.path,
            html.per_second,
            html.p50_ms,
            data.per_second,
            data.p50_ms,
            ratio,
            page_bytes,
            fn_bytes,
            html.wire,
            data.wire,
            html.errors + data.errors
        );
        report.summary.push(format!(
            "{engine}: {}: page/function {ratio:.2} (goal >= {GOAL:.2}: {})",
            page.path,
            if ratio >= GOAL { "met" } else { "not met" }
        ));
        for reason in html.reasons.into_iter().chain(data.reasons) {
            eprintln!("{engine}: {}: {reason}", page.path);
            report.errors.push(format!("{engine}: {reason}"));
        }
    }
    println!();
    Ok(report)
}

/// The benchmark: SQLite, then PostgreSQL when a server is given.
pub async fn run(o: &Options) -> Result<(), String> {
    if o.connections == 0 {
        return Err("--connections: at least 1".into());
    }
    if o.seconds == 0 {
        return Err("--seconds: at least 1".into());
    }
    let mut report = bench("SQLite", TestDb::sqlite(), o).await?;
    if let Some(url) = &o.postgres {
        let more = bench("PostgreSQL", TestDb::postgres(url), o).await?;
        report.summary.extend(more.summary);
        report.errors.extend(more.errors);
    }
    for s in &report.summary {
        println!("{s}");
    }
    if report.errors.is_empty() {
        Ok(())
    } else {
        report.errors.sort();
        report.errors.dedup();
        Err(format!(
            "requests failed (first reasons):\n{}",
            report.errors.join("\n")
        ))
    }
}
