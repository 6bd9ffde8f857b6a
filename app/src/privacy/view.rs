//! The data-rights pages: "Your data" (download everything), erasing a
//! leaver (HR), and the retention review (HR).

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::{ErasePerson, preview_erasure, retention_review};
use super::model::{ErasePreview, Retention};
use crate::auth::api::whoami;
use crate::error::AppError;
use crate::ui::{Cell, ErrorPage, ErrorSummary, Layout, Table, TextField, page, url_error};

/// Where a person downloads their data (a plain GET route, `privacy::download`).
pub const DOWNLOAD_PATH: &str = "/my-data/skillmap-my-data.zip";

#[component]
pub fn MyDataPage() -> impl IntoView {
    page!(
        "/my-data",
        async { Ok::<_, AppError>(()) },
        |_nothing| view! {
            <Title text="Your data - Skillmap"/>
            <h1>"Your data"</h1>
            <p>"You can download everything Skillmap holds about you, at any time. It comes as one zip file with:"</p>
            <ul class="nhsuk-list nhsuk-list--bullet">
                <li>"your staff record and your sign-in account (never your password)"</li>
                <li>"your skill levels and evidence, with every change and who made it"</li>
                <li>"your learning pathways and their steps"</li>
                <li>"endorsements and awards you received and gave, and your badges"</li>
                <li>"your notifications and what you chose to get email about"</li>
                <li>"the audit trail of what you did in Skillmap, and what others did to your records"</li>
            </ul>
            <p>"Other people appear in it by name and role only, never by their sign-in details or internet addresses."</p>
            <p>"Each part is a CSV file you can open in a spreadsheet, and all of it is also in one JSON file. A README in the zip explains each file."</p>
            <a class="nhsuk-button" href=DOWNLOAD_PATH download="skillmap-my-data.zip">"Download my data"</a>
            <h2>"Correcting or erasing your data"</h2>
            <p>"Your skill levels and evidence are yours to change on My skills. For anything in your staff record, ask your HR team: they can correct it, and erase your data when you leave."</p>
        }
    )
}

#[component]
pub fn ErasePage() -> impl IntoView {
    let id = use_params_map()
        .get_untracked()
        .get("id")
        .and_then(|v| v.parse::<i32>().ok())
        .unwrap_or_default();
    let error = StoredValue::new(url_error(ErasePerson::PATH));
    page!("/people", preview_erasure(id), |preview| {
        let error = error.get_value();
        view! { <Erase preview=preview error=error/> }
    })
}

#[component]
fn Erase(preview: ErasePreview, error: Option<AppError>) -> impl IntoView {
    let errors = error.as_ref().map(|e| e.field_errors()).unwrap_or_default();
    let confirm_error = error.as_ref().and_then(|e| e.message_for("confirm"));
    let title = if errors.is_empty() {
        format!("Erase {} - Skillmap", preview.name)
    } else {
        format!("Error: Erase {} - Skillmap", preview.name)
    };
    let counts = [
        (
            "Skill assessments, with their evidence and history",
            preview.assessments,
        ),
        ("Endorsements and awards received", preview.recognition),
        ("Badges", preview.badges),
        ("Learning pathway steps", preview.pathway_steps),
    ]
    .into_iter()
    .map(|(what, n)| {
        view! {
            <div class="nhsuk-summary-list__row">
                <dt class="nhsuk-summary-list__key">{what}</dt>
                <dd class="nhsuk-summary-list__value">{n}</dd>
            </div>
        }
    })
    .collect_view();
    let account = preview
        .account
        .clone()
        .unwrap_or_else(|| "No sign-in account".into());
    let reports = (preview.direct_reports > 0).then(|| {
        view! {
            <p>{format!(
                "{} {} this person as their line manager. They will have none recorded until you import or set a new one.",
                preview.direct_reports,
                if preview.direct_reports == 1 { "person has" } else { "people have" }
            )}</p>
        }
    });
    let action = match preview.blocker() {
        Some(why) => {
            let href = format!("/admin/accounts?q={}", preview.account.clone().unwrap_or_default());
            view! {
                <div class="nhsuk-warning-callout" data-testid="erase-blocked">
                    <h2 class="nhsuk-warning-callout__label">
                        <span role="text"><span class="nhsuk-u-visually-hidden">"Important: "</span>"Not yet"</span>
                    </h2>
                    <p>{why}</p>
                    <p><a href=href>"Go to their account"</a></p>
                </div>
            }
            .into_any()
        }
        None => view! {
            <form method="post" action=ErasePerson::PATH data-testid="erase-form">
                <input type="hidden" name="person_id" value=preview.person_id.to_string()/>
                <TextField
                    label=format!("Type their employee number ({}) to confirm", preview.employee_number)
                    name="confirm"
                    error=confirm_error
                    width_class="nhsuk-input--width-10"
                    autocomplete="off"
                />
                <button class="nhsuk-button nhsuk-button--warning" type="submit">"Erase this person's data"</button>
            </form>
        }
        .into_any(),
    };
    view! {
        <Title text=title/>
        <ErrorSummary errors=errors/>
        <a class="nhsuk-back-link" href=format!("/people/{}", preview.person_id)>"Back to the person"</a>
        <h1><span class="nhsuk-caption-l">"Erase a leaver's data"</span>{preview.name.clone()}</h1>
        <p>"Erasing removes this person's staff record, their sign-in account and everything below, for good. It cannot be undone: if they may need a copy, they can download their data from their account before it is disabled."</p>
        <dl class="nhsuk-summary-list">
            <div class="nhsuk-summary-list__row">
                <dt class="nhsuk-summary-list__key">"Account"</dt>
                <dd class="nhsuk-summary-list__value">{account}</dd>
            </div>
            {counts}
        </dl>
        <p>"What stays: the organisation's figures over time, the recognition, level agreements and mentoring they gave others (shown as from \u{201c}a former colleague\u{201d}, also on badges downloaded later), and the audit trail, which records that an erasure happened without their personal data or the internet addresses they used."</p>
        {reports}
        {action}
    }
}

#[component]
pub fn RetentionPage() -> impl IntoView {
    let erased = use_query_map().get_untracked().get("erased").is_some();
    page!("/admin/retention", retention_review(), |review| view! {
        <Title text="Retention review - Skillmap"/>
        {erased.then(|| view! {
            <div class="nhsuk-inset-text" role="status" data-testid="erased">
                <span class="nhsuk-u-visually-hidden">"Information: "</span>
                <p>"The person's data was erased. The audit trail records that it happened."</p>
            </div>
        })}
        <h1>"Retention review"</h1>
        <Review review=review/>
    })
}

#[component]
fn Review(review: Retention) -> impl IntoView {
    let intro = format!(
        "Accounts disabled for more than {} months, oldest first. For each, check whether the person has left; if they have, erase their data. The period is the SKILLMAP_RETENTION_MONTHS setting.",
        review.months
    );
    if review.rows.is_empty() {
        return view! {
            <p>{intro}</p>
            <p data-testid="retention-empty">"No account is due for review."</p>
        }
        .into_any();
    }
    let rows = review
        .rows
        .into_iter()
        .map(|r| {
            let who = r.name.clone().unwrap_or_else(|| "No staff record".into());
            let since = r
                .disabled_since
                .unwrap_or_else(|| "Before dates were recorded".into());
            let action = match r.person_id {
                Some(id) => {
                    let label = format!("Review and erase: {who}");
                    view! { <a href=format!("/people/{id}/erase") aria-label=label>"Review and erase"</a> }.into_any()
                }
                None => "Nothing held beyond the account".into_any(),
            };
            view! {
                <tr role="row" class="nhsuk-table__row" data-testid="retention-row">
                    <Cell head="Name">{who}</Cell>
                    <Cell head="Email">{r.email}</Cell>
                    <Cell head="Disabled since">{since}</Cell>
                    <Cell head="Action">{action}</Cell>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p>{intro}</p>
        <Table caption="Accounts due for review" headers=vec!["Name", "Email", "Disabled since", "Action"]>
            {rows}
        </Table>
    }
    .into_any()
}
