//! The audit trail page: filters as a GET form (so every search is a link
//! that can be shared and works without JavaScript), a page of events, and
//! the CSV download of everything the filters match.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::api::audit_search;
use super::model::{Action, AuditPage, AuditQuery, TARGET_KINDS, target_href};
use crate::auth::api::whoami;
use crate::error::{AppError, FieldError};
use crate::ui::{
    Cell, CellHeading, ErrorPage, ErrorSummary, Layout, SelectField, Table, TextField, page,
};

fn query_from_url() -> AuditQuery {
    let q = use_query_map().get_untracked();
    let get = |k: &str| q.get(k).filter(|v| !v.trim().is_empty());
    AuditQuery {
        action: get("action"),
        actor: get("actor"),
        target_kind: get("target_kind"),
        target_id: get("target_id"),
        from: get("from"),
        to: get("to"),
        before: get("before").and_then(|b| b.parse().ok()),
    }
}

#[component]
pub fn AuditTrailPage() -> impl IntoView {
    let query = StoredValue::new(query_from_url());
    page!(
        "/admin/audit",
        {
            let q = query.get_value();
            async move {
                Ok::<_, AppError>(
                    audit_search(
                        q.action,
                        q.actor,
                        q.target_kind,
                        q.target_id,
                        q.from,
                        q.to,
                        q.before,
                    )
                    .await,
                )
            }
        },
        |found| {
            let q = query.get_value();
            match found {
                Ok(events) => view! {
                    <Title text="Audit trail - Skillmap"/>
                    <h1>"Audit trail"</h1>
                    <Intro/>
                    <Filters query=q.clone() errors=vec![]/>
                    <Events events=events query=q/>
                }
                .into_any(),
                Err(AppError::Validation(errors)) => view! {
                    <Title text="Error: Audit trail - Skillmap"/>
                    <ErrorSummary errors=errors.clone()/>
                    <h1>"Audit trail"</h1>
                    <Intro/>
                    <Filters query=q errors=errors/>
                }
                .into_any(),
                Err(e) => view! {
                    <Title text="Problem - Skillmap"/>
                    <ErrorPage error=e/>
                }
                .into_any(),
            }
        }
    )
}

#[component]
fn Intro() -> impl IntoView {
    view! {
        <p>"Every sign-in, refusal and change to people, accounts, roles, the framework, levels, imports and recognition, newest first. Times are UTC. Nobody can change or delete an entry."</p>
        <p>"Failed sign-ins and refusals repeated within a minute from one network are one entry, which says how many times they happened."</p>
    }
}

#[component]
fn Filters(query: AuditQuery, errors: Vec<FieldError>) -> impl IntoView {
    let error_for = |field: &str| {
        errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
    };
    let actions: Vec<(String, String)> = Action::ALL
        .iter()
        .map(|a| (a.code().to_string(), a.label().to_string()))
        .collect();
    let kinds: Vec<(String, String)> = TARGET_KINDS
        .iter()
        .map(|(code, label)| (code.to_string(), label.to_string()))
        .collect();
    view! {
        <form method="get" action="/admin/audit" class="skillmap-search" role="search" aria-label="Filter the audit trail">
            <SelectField label="What happened" name="action" options=actions selected=query.action.clone().unwrap_or_default() none="Anything" error=error_for("action")/>
            <TextField label="Who (part of their email address)" name="actor" value=query.actor.clone().unwrap_or_default() error=error_for("actor") width_class="nhsuk-input--width-20"/>
            <SelectField label="Kind of record" name="target_kind" options=kinds selected=query.target_kind.clone().unwrap_or_default() none="Any" error=error_for("target_kind")/>
            <TextField label="Record number" name="target_id" value=query.target_id.clone().unwrap_or_default() error=error_for("target_id") width_class="nhsuk-input--width-5"/>
            // Text, not type=date: a mistyped date comes back as typed,
            // with its error, rather than blanked by the browser.
            <TextField label="From (UTC)" name="from" value=query.from.clone().unwrap_or_default() error=error_for("from") hint="Year-month-day, for example 2026-11-01" width_class="nhsuk-input--width-10"/>
            <TextField label="To (UTC)" name="to" value=query.to.clone().unwrap_or_default() error=error_for("to") hint="Year-month-day, for example 2026-11-30" width_class="nhsuk-input--width-10"/>
            <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Search"</button>
        </form>
    }
}

#[component]
fn Events(events: AuditPage, query: AuditQuery) -> impl IntoView {
    let filters = query.to_query_string();
    let csv = if filters.is_empty() {
        "/admin/audit.csv".to_string()
    } else {
        format!("/admin/audit.csv?{filters}")
    };
    let older = events.older.map(|before| {
        let href = if filters.is_empty() {
            format!("/admin/audit?before={before}")
        } else {
            format!("/admin/audit?{filters}&before={before}")
        };
        view! { <p><a class="nhsuk-link" href=href>"Older events"</a></p> }
    });
    let newest = query.before.map(|_| {
        let href = if filters.is_empty() {
            "/admin/audit".to_string()
        } else {
            format!("/admin/audit?{filters}")
        };
        view! { <p><a class="nhsuk-link" href=href>"Back to the newest events"</a></p> }
    });
    let download = view! {
        <p>
            <a class="nhsuk-button nhsuk-button--secondary" href=csv download="skillmap-audit.csv">
                "Download these events (CSV)"
            </a>
        </p>
    };
    if events.rows.is_empty() {
        return view! {
            {newest}
            <p data-testid="audit-empty">"No events match these filters."</p>
        }
        .into_any();
    }
    let shown = events.rows.len();
    let rows = events
        .rows
        .into_iter()
        .map(|r| {
            let target = r.target_text();
            let target = match (r.target_kind.as_deref(), r.target_id) {
                (Some(kind), Some(id)) => match target_href(kind, id) {
                    Some(href) => view! { <a class="nhsuk-link" href=href>{target}</a> }.into_any(),
                    None => target.into_any(),
                },
                _ => target.into_any(),
            };
            // Repeats within a minute from one network are one entry.
            let what = match r.count {
                0 | 1 => r.action_label,
                n => format!("{} ({n} times that minute)", r.action_label),
            };
            view! {
                <tr role="row" class="nhsuk-table__row" data-action=r.action.clone()>
                    <Cell head="When (UTC)">{r.at}</Cell>
                    <Cell head="Who">{r.actor}</Cell>
                    <Cell head="What">{what}</Cell>
                    <Cell head="Record">{target}</Cell>
                    <Cell head="Detail">{r.detail}</Cell>
                    <Cell head="From">{r.ip.unwrap_or_default()}</Cell>
                </tr>
            }
        })
        .collect_view();
    let caption = format!(
        "{shown} event{}{}",
        if shown == 1 { "" } else { "s" },
        if query.before.is_some() {
            ", older"
        } else {
            ", newest first"
        }
    );
    view! {
        {download}
        {newest}
        <div data-testid="audit-events">
            <Table caption=caption headers=vec!["When (UTC)", "Who", "What", "Record", "Detail", "From"]>
                {rows}
            </Table>
        </div>
        {older}
    }
    .into_any()
}

/// `/admin/jobs`: the background job queue, and the jobs that failed.
#[component]
pub fn JobsPage() -> impl IntoView {
    let retried = use_query_map().get_untracked().get("retried").is_some();
    page!("/admin/jobs", super::api::job_queue(), |q| view! {
        <JobQueue queue=q retried=retried/>
    })
}

#[component]
fn JobQueue(queue: super::model::QueueView, retried: bool) -> impl IntoView {
    use leptos::server_fn::ServerFn;
    let banner = retried.then(|| {
        view! {
            <div class="nhsuk-inset-text" role="status" data-testid="job-retried">
                <span class="nhsuk-u-visually-hidden">"Information: "</span>
                <p>"The job will be tried again shortly."</p>
            </div>
        }
    });
    let summary = format!(
        "{} waiting (of which {} to try again after a failure), {} running, {} failed for good. {} emails waiting to be sent.",
        queue.queued, queue.retrying, queue.running, queue.dead, queue.email_waiting
    );
    let rows = queue
        .jobs
        .into_iter()
        .map(|j| {
            let state = if j.dead {
                "Failed for good".to_string()
            } else {
                format!("Trying again at {}", j.next_or_died)
            };
            let action = j.dead.then(|| {
                view! {
                    <form method="post" action=super::api::RetryJob::PATH>
                        <input type="hidden" name="id" value=j.id.to_string()/>
                        <button class="nhsuk-button nhsuk-button--secondary nhsuk-u-margin-bottom-0" type="submit" data-testid="retry-job">
                            "Try again"<span class="nhsuk-u-visually-hidden">{format!(": job {}", j.id)}</span>
                        </button>
                    </form>
                }
            });
            let added = format!("Job {}, added {}", j.id, j.created_at);
            let attempts = format!("{} of {}", j.attempts, j.max_attempts);
            view! {
                <tr role="row" class="nhsuk-table__row" data-testid="job-row">
                    <Cell head="Job">{j.what}<br/><span class="nhsuk-body-s">{added}</span></Cell>
                    <Cell head="State">{state}</Cell>
                    <Cell head="Attempts">{attempts}</Cell>
                    <td role="cell" class="nhsuk-table__cell skillmap-wrap"><CellHeading head="Last error"/>{j.last_error}</td>
                    <Cell head="Action">{action}</Cell>
                </tr>
            }
        })
        .collect_view();
    view! {
        <Title text="Background jobs - Skillmap"/>
        <h1>"Background jobs"</h1>
        {banner}
        <p>"Imports, emails, daily summaries and clean-up run in the background, on whichever Skillmap server is free. A job that fails is tried again later, waiting longer each time; one that fails every time stops here, for you to try again once the cause is fixed (for example, the mail server is back)."</p>
        <p data-testid="queue-summary">{summary}</p>
        <Table caption="Jobs that failed" headers=vec!["Job", "State", "Attempts", "Last error", "Action"]>
            {rows}
        </Table>
    }
}
