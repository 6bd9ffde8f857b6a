use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::api::{CommitImport, UploadImport, import_history, import_job, import_progress};
use super::model::{Counts, JobView, Kind, PROBLEMS_SHOWN, Problem, Progress, Status};
use crate::auth::api::whoami;
use crate::error::AppError;
use crate::ui::{
    Cell, CellHeading, ErrorPage, ErrorSummary, FieldErrorMessage, Layout, Table, page, url_error,
};

/// What each kind of file holds, for the upload page.
fn kind_help(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::Org => (
            "Code, Name; optional Parent code and Kind (trust, directorate or team).",
            "Import these first: people and teams refer to them.",
        ),
        Kind::Roles => (
            "Role code, Title, Staff group, Band; then either one row per requirement (Skill code, Required level, Essential or desirable) or one column per skill code with the level (add d for desirable, as in 3d).",
            "A role's requirements in the file replace its requirements in Skillmap.",
        ),
        Kind::Staff => (
            "Employee number, First name, Last name (or Full name), Org unit code, Staff group, Band; optional Email, Job role code, Line manager employee number, Skillmap role.",
            "People with an email address get an account without a password; they set one from a link you send them.",
        ),
    }
}

/// HR and administrators: upload a file to check.
#[component]
pub fn ImportPage() -> impl IntoView {
    let error = StoredValue::new(url_error(UploadImport::PATH));
    page!("/admin/import", import_history(), |jobs| {
        let errors = error
            .get_value()
            .map(|e| e.field_errors())
            .unwrap_or_default();
        let message = |field: &str| error.get_value().and_then(|e| e.message_for(field));
        let kind_error = message("kind");
        let file_error = message("file");
        let kinds = Kind::ALL
            .into_iter()
            .map(|k| {
                let (columns, note) = kind_help(k);
                let id = format!("kind-{}", k.as_str());
                let hint = format!("{id}-hint");
                view! {
                    <div class="nhsuk-radios__item">
                        <input class="nhsuk-radios__input" id=id.clone() name="kind" type="radio" value=k.as_str() aria-describedby=hint.clone()/>
                        <label class="nhsuk-label nhsuk-radios__label" for=id>{k.label()}</label>
                        <div class="nhsuk-hint nhsuk-radios__hint" id=hint>
                            {columns}" "{note}" "
                            <a href=format!("/admin/import/templates/{}.csv", k.as_str()) download="">
                                {format!("Download the {} template (CSV)", k.label().to_lowercase())}
                            </a>
                        </div>
                    </div>
                }
            })
            .collect_view();
        let recent = jobs.len();
        view! {
            <Title text="Import organisation data - Skillmap"/>
            <ErrorSummary errors=errors/>
            <h1>"Import organisation data"</h1>
            <p class="nhsuk-lede-text">"Load organisation units, job roles and staff from the CSV or Excel files your HR system exports."</p>
            <p>"Skillmap checks every row first and shows you what would change. Nothing is imported until you confirm, and then all of the file is imported or none of it. Importing the same file again changes nothing."</p>
            <form method="post" action=UploadImport::PATH enctype="multipart/form-data" novalidate>
                <div class="nhsuk-form-group" class:nhsuk-form-group--error=kind_error.is_some()>
                    <fieldset class="nhsuk-fieldset" aria-describedby=kind_error.as_ref().map(|_| "kind-error")>
                        <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--m">
                            <h2 class="nhsuk-fieldset__heading" id="kind">"What does the file contain?"</h2>
                        </legend>
                        <FieldErrorMessage id="kind".to_string() message=kind_error.clone()/>
                        <div class="nhsuk-radios">{kinds}</div>
                    </fieldset>
                </div>
                <div class="nhsuk-form-group" class:nhsuk-form-group--error=file_error.is_some()>
                    <label class="nhsuk-label nhsuk-label--m" for="file">"Choose the file"</label>
                    <div class="nhsuk-hint" id="file-hint">"CSV (UTF-8; commas or semicolons) or Excel .xlsx (the first sheet is read). Column names from ESR and other HR systems are recognised."</div>
                    <FieldErrorMessage id="file".to_string() message=file_error.clone()/>
                    <input class="nhsuk-file-upload" id="file" name="file" type="file" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" aria-describedby="file-hint"/>
                </div>
                <button class="nhsuk-button" type="submit">"Upload and check"</button>
            </form>
            <h2>"Recent imports"</h2>
            {if recent == 0 {
                view! { <p>"No files have been imported yet."</p> }.into_any()
            } else {
                view! { <p><a href="/admin/import/history">{format!("See all {recent} imports")}</a></p> }.into_any()
            }}
        }
    })
}

/// The history: who imported what, when, and how it went.
#[component]
pub fn ImportHistoryPage() -> impl IntoView {
    page!("/admin/import", import_history(), |jobs| {
        let body = if jobs.is_empty() {
            view! { <p>"No files have been imported yet. "<a href="/admin/import">"Import a file"</a></p> }.into_any()
        } else {
            let rows = jobs
                .into_iter()
                .map(|j| {
                    view! {
                        <tr role="row" class="nhsuk-table__row">
                            <Cell head="When">{j.created_at}</Cell>
                            <Cell head="File"><a href=format!("/admin/import/{}", j.id)>{j.file_name}</a></Cell>
                            <Cell head="Kind">{j.kind.label()}</Cell>
                            <Cell head="By">{j.actor}</Cell>
                            <Cell head="Outcome">{j.status.label()}</Cell>
                            <Cell head="Rows">{summary(&j.counts)}</Cell>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <Table caption="Imports, most recent first" hide_caption=true headers=vec!["When", "File", "Kind", "By", "Outcome", "Rows"]>
                    {rows}
                </Table>
            }
            .into_any()
        };
        view! {
            <Title text="Import history - Skillmap"/>
            <a class="nhsuk-back-link" href="/admin/import">"Back to import organisation data"</a>
            <h1>"Import history"</h1>
            {body}
        }
    })
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn summary(c: &Counts) -> String {
    let mut parts = vec![plural(c.rows, "row", "rows")];
    if c.errors > 0 {
        parts.push(plural(c.errors, "error", "errors"));
    } else {
        parts.push(format!("{} new", c.create));
        parts.push(format!("{} updated", c.update));
        parts.push(format!("{} unchanged", c.unchanged));
    }
    parts.join(", ")
}

/// How the people an import created will sign in: with single sign-on
/// (no link needed), and, while password sign-in is open, set-password
/// links for those who need one.
fn new_accounts(
    count: usize,
    sign_in: &crate::auth::model::SignInOptions,
    emailed: bool,
) -> AnyView {
    if emailed {
        let who = if count == 1 {
            "The new person gets".to_string()
        } else {
            format!("Each of the {count} new people gets")
        };
        let how = if sign_in.password_for_everyone {
            "with their own set-password link (valid for 14 days, usable once)"
        } else {
            "saying how to sign in with single sign-on"
        };
        return view! {
            <h2>"How the new people sign in"</h2>
            <p data-testid="welcome-emails">{format!("{who} a welcome email {how}. You do not need to send anything.")}</p>
        }
        .into_any();
    }
    let links = view! {
        <form method="post" action="/admin/import/links.csv">
            <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Download set-password links (CSV)"</button>
        </form>
    };
    if sign_in.providers.is_empty() {
        return view! {
            <h2>"Set-password links"</h2>
            <p>{format!("{count} new accounts have no password yet. Download a link for each person (valid for 14 days, usable once) and send it to them; each download replaces the links not yet used.")}</p>
            {links}
        }
        .into_any();
    }
    let names = sign_in
        .providers
        .iter()
        .map(|p| crate::auth::model::provider_name(&p.label).to_string())
        .collect::<Vec<_>>()
        .join(" or ");
    let who = if count == 1 {
        "1 new account signs in".to_string()
    } else {
        format!("{count} new accounts sign in")
    };
    let sso = format!(
        "{who} with {names}: no set-password link is needed. The first sign-in links each account, matched by what you imported."
    );
    if sign_in.password_for_everyone {
        view! {
            <h2>"How the new people sign in"</h2>
            <p>{sso}</p>
            <p>"For anyone who cannot use single sign-on, download set-password links (valid for 14 days, usable once) and send each to its person."</p>
            {links}
        }
        .into_any()
    } else {
        view! {
            <h2>"How the new people sign in"</h2>
            <p>{sso}</p>
        }
        .into_any()
    }
}

/// One import: the check's results and the button to import, the progress,
/// or the outcome.
#[component]
pub fn ImportJobPage() -> impl IntoView {
    let id = use_params_map()
        .get_untracked()
        .get("id")
        .and_then(|s| s.parse::<i32>().ok())
        .unwrap_or(0);
    let error = StoredValue::new(url_error(CommitImport::PATH));
    page!(
        "/admin/import",
        async move {
            let job = import_job(id).await?;
            let sign_in = crate::auth::api::sign_in_choices().await?;
            Ok::<_, AppError>((job, sign_in))
        },
        |data| {
            let (job, sign_in) = data;
            let errors = error
                .get_value()
                .map(|e| e.field_errors())
                .unwrap_or_default();
            view! {
                <Title text=format!("{} - Import - Skillmap", job.file_name)/>
                <a class="nhsuk-back-link" href="/admin/import">"Back to import organisation data"</a>
                <ErrorSummary errors=errors/>
                <JobDetail job=job sign_in=sign_in/>
            }
        }
    )
}

#[component]
fn JobDetail(job: JobView, sign_in: crate::auth::model::SignInOptions) -> impl IntoView {
    let c = job.counts;
    let noun = job.kind.noun();
    let heading = match job.status {
        Status::Rejected => "The file has problems",
        Status::Ready => "Check what will change",
        Status::Importing => "Importing",
        Status::Imported => "Imported",
        Status::Failed => "The import did not finish",
        Status::Expired => "The file was not imported in time",
    };
    let counts = [
        ("Rows in the file", c.rows.to_string()),
        (
            "New",
            plural(c.create, noun, &format!("{noun}s")).replace("persons", "people"),
        ),
        ("Updated", c.update.to_string()),
        ("Unchanged", c.unchanged.to_string()),
        ("Errors", c.errors.to_string()),
        ("Warnings", c.warnings.to_string()),
    ]
    .into_iter()
    .chain((job.kind == Kind::Staff).then(|| ("New accounts", c.new_accounts.to_string())))
    .map(|(k, v)| {
        view! {
            <div class="nhsuk-summary-list__row">
                <dt class="nhsuk-summary-list__key">{k}</dt>
                <dd class="nhsuk-summary-list__value">{v}</dd>
            </div>
        }
    })
    .collect_view();
    let (errors, warnings): (Vec<Problem>, Vec<Problem>) =
        job.problems.iter().cloned().partition(|p| !p.warning);
    let report = format!("/admin/import/{}/problems.csv", job.id);
    let action = match job.status {
        Status::Rejected => view! {
            <div class="nhsuk-warning-callout">
                <h2 class="nhsuk-warning-callout__label"><span role="text"><span class="nhsuk-u-visually-hidden">"Important: "</span>"Nothing was imported"</span></h2>
                <p>{format!("{} must be fixed first. Correct them in your file and upload it again; Skillmap imports a file only when every row is right.", plural(c.errors, "problem", "problems"))}</p>
            </div>
        }
        .into_any(),
        Status::Ready | Status::Failed => {
            let nothing = c.create + c.update == 0;
            view! {
                {job.failure.clone().map(|f| view! { <div class="nhsuk-warning-callout"><h2 class="nhsuk-warning-callout__label"><span role="text">"Not imported"</span></h2><p>{f}</p></div> })}
                <p>{if nothing {
                    "Everything in the file is already in Skillmap: importing it changes nothing.".to_string()
                } else {
                    format!("Importing makes all of these changes in one go: {} new and {} updated. If anything goes wrong, nothing is changed.", c.create, c.update)
                }}</p>
                <form method="post" action=CommitImport::PATH>
                    <input type="hidden" name="job_id" value=job.id.to_string()/>
                    <button class="nhsuk-button" type="submit">{format!("Import {}", plural(c.rows, "row", "rows"))}</button>
                </form>
            }
            .into_any()
        }
        Status::Expired => view! {
            <div class="nhsuk-warning-callout">
                <h2 class="nhsuk-warning-callout__label"><span role="text"><span class="nhsuk-u-visually-hidden">"Important: "</span>"Nothing was imported"</span></h2>
                <p>"Skillmap keeps a checked file for a limited time only, and this one was not imported in that time, so it was removed. Upload it again to import it."</p>
            </div>
        }
        .into_any(),
        Status::Importing => {
            let p = job.progress.unwrap_or_default();
            view! {
                <ImportProgressBar id=job.id done=p.done total=p.total/>
                <p class="skillmap-muted">"Without JavaScript, "<a href=format!("/admin/import/{}", job.id)>"refresh this page"</a>" to see how far it has got."</p>
            }
            .into_any()
        }
        Status::Imported => {
            let people = (job.kind == Kind::Staff).then(|| view! {
                <p><a href="/people">"Find the people you imported"</a></p>
            });
            view! {
                <div class="nhsuk-inset-text" role="status">
                    <span class="nhsuk-u-visually-hidden">"Information: "</span>
                    <p>{format!(
                        "Imported {}: {} new, {} updated, {} unchanged.",
                        job.finished_at.clone().map(|f| format!("on {f}")).unwrap_or_default(),
                        c.create, c.update, c.unchanged
                    )}</p>
                </div>
                {people}
                {(c.new_accounts > 0).then(|| new_accounts(c.new_accounts, &sign_in, job.welcome_emails))}
            }
            .into_any()
        }
    };
    let shown = errors.len() + warnings.len();
    view! {
        <span class="nhsuk-caption-l">{format!("{}: {}", job.kind.label(), job.file_name)}</span>
        <h1>{heading}</h1>
        <p>{format!("Uploaded by {} on {}.", job.actor, job.created_at)}</p>
        <dl class="nhsuk-summary-list">{counts}</dl>
        {action}
        {job.purged_at.clone().map(|on| view! {
            <p>{format!("The uploaded file and the cell values in its problems were removed on {on}: Skillmap keeps them only as long as they are needed.")}</p>
        })}
        {(!errors.is_empty()).then(|| view! {
            <h2 id="problems">{format!("Errors ({})", c.errors)}</h2>
            <ProblemTable problems=errors caption="Errors: row, column, value and what is wrong"/>
        })}
        {(!warnings.is_empty()).then(|| view! {
            <h2>{format!("Warnings ({})", c.warnings)}</h2>
            <ProblemTable problems=warnings caption="Warnings: these do not stop the import"/>
        })}
        {(c.errors + c.warnings > 0).then(|| view! {
            <p>
                {(c.errors + c.warnings > shown || shown >= PROBLEMS_SHOWN).then(|| format!("Showing the first {shown}. "))}
                <a href=report download="">{format!("Download all {} as CSV", plural(c.errors + c.warnings, "problem", "problems"))}</a>
            </p>
        })}
    }
}

#[component]
fn ProblemTable(problems: Vec<Problem>, caption: &'static str) -> impl IntoView {
    let rows = problems
        .into_iter()
        .map(|p| {
            view! {
                <tr role="row" class="nhsuk-table__row">
                    <Cell head="Row">{p.row.map(|r| r.to_string()).unwrap_or_else(|| "whole file".into())}</Cell>
                    <Cell head="Column">{p.column}</Cell>
                    <td role="cell" class="nhsuk-table__cell skillmap-code"><CellHeading head="Value"/>{super::model::short(&p.value)}</td>
                    <Cell head="Problem">{p.message}</Cell>
                </tr>
            }
        })
        .collect_view();
    view! {
        <Table caption=caption hide_caption=true headers=vec!["Row", "Column", "Value", "Problem"]>
            {rows}
        </Table>
    }
}

/// The progress bar: asks the server how far the import has got and
/// reloads the page when it is done.
#[island]
fn ImportProgressBar(id: i32, done: usize, total: usize) -> impl IntoView {
    let progress = RwSignal::new(Progress { done, total });
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || {
                leptos::task::spawn_local(async move {
                    match import_progress(id).await {
                        Ok((Status::Importing, Some(p))) => progress.set(p),
                        Ok((Status::Importing, None)) => {}
                        Ok(_) | Err(crate::error::AppError::NotFound(_)) => {
                            let _ = window().location().reload();
                        }
                        Err(_) => {}
                    }
                });
            },
            std::time::Duration::from_millis(600),
        );
        on_cleanup(move || {
            if let Ok(h) = handle {
                h.clear();
            }
        });
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (id, import_progress);
    let value = move || progress.get().done.to_string();
    let max = move || progress.get().total.max(1).to_string();
    let text = move || {
        let p = progress.get();
        if p.total == 0 {
            "Checking the file again before importing...".to_string()
        } else {
            format!("{} of {} written ({}%)", p.done, p.total, p.percent())
        }
    };
    view! {
        <div class="nhsuk-form-group">
            <label class="nhsuk-label" for="import-progress">"Import progress"</label>
            <progress id="import-progress" class="skillmap-progress" max=max value=value>{text}</progress>
            <p role="status" aria-live="polite">{text}</p>
        </div>
    }
}
