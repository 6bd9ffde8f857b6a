use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::{PublishImport, UploadFramework, current_framework, preview_import};
use super::model::{FrameworkView, LEVELS};
use crate::auth::api::whoami;
use crate::auth::model::Role;
use crate::error::FieldError;
use crate::ui::{ErrorPage, ErrorSummary, FieldErrorMessage, Layout, TextField, page, url_error};

/// Browse and search the framework: domains, skills, descriptors.
#[component]
pub fn FrameworkPage() -> impl IntoView {
    let query = use_query_map().get_untracked();
    let q = StoredValue::new(query.get("q").unwrap_or_default());
    let published = query.get("published").is_some();
    page!(
        "/framework",
        current_framework(Some(q.get_value())),
        |f| view! {
            <Title text="Skills framework - Skillmap"/>
            {published.then(|| view! {
                <div class="nhsuk-inset-text" role="status">
                    <span class="nhsuk-u-visually-hidden">"Information: "</span>
                    <p>{format!("Published version {}.", f.version)}</p>
                </div>
            })}
            <Framework framework=f query=q.get_value()/>
        }
    )
}

#[component]
fn Framework(framework: FrameworkView, query: String) -> impl IntoView {
    let count = framework.skills().count();
    let searching = !query.trim().is_empty();
    let result = if searching {
        Some(if count == 0 {
            format!("No skills match \u{201c}{query}\u{201d}.")
        } else {
            format!(
                "{count} skill{} match \u{201c}{query}\u{201d}.",
                if count == 1 { "" } else { "s" }
            )
        })
    } else {
        None
    };
    let scale = LEVELS
        .iter()
        .map(|(l, n)| view! { <li>{format!("{l} {n}")}</li> })
        .collect_view();
    let domains = framework
        .domains
        .into_iter()
        .map(|d| {
            let skills = d
                .skills
                .into_iter()
                .map(|s| {
                    let levels = s
                        .descriptors
                        .iter()
                        .enumerate()
                        .map(|(i, text)| {
                            view! {
                                <div class="nhsuk-summary-list__row">
                                    <dt class="nhsuk-summary-list__key">{format!("{} {}", i + 1, LEVELS[i + 1].1)}</dt>
                                    <dd class="nhsuk-summary-list__value">{text.clone()}</dd>
                                </div>
                            }
                        })
                        .collect_view();
                    view! {
                        <details class="nhsuk-details" id=format!("skill-{}", s.code) open=searching>
                            <summary class="nhsuk-details__summary">
                                <span class="nhsuk-details__summary-text">
                                    {s.name.clone()}
                                    {s.foundation.then(|| view! { <span class="skillmap-foundation">" (foundation)"</span> })}
                                </span>
                            </summary>
                            <div class="nhsuk-details__text">
                                <p>{s.description.clone()}<span class="skillmap-muted">{format!(" Code {}", s.code)}</span></p>
                                <dl class="nhsuk-summary-list">{levels}</dl>
                            </div>
                        </details>
                    }
                })
                .collect_view();
            view! {
                <h2>{d.name}</h2>
                <p>{d.description}</p>
                {skills}
            }
        })
        .collect_view();
    view! {
        <span class="nhsuk-caption-l">{format!("Version {}, published {}", framework.version, framework.published)}</span>
        <h1>{framework.name}</h1>
        <p class="nhsuk-lede-text">{framework.description}</p>
        <p>"Each skill has five levels:"</p>
        <ul class="nhsuk-list nhsuk-list--bullet">{scale}</ul>
        <p>"Foundation skills are the digital basics every member of staff needs."</p>
        <form method="get" action="/framework" class="skillmap-search" role="search">
            <TextField label="Search skills" name="q" value=query width_class="nhsuk-input--width-20"/>
            <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Search"</button>
        </form>
        {result.map(|r| view! { <p role="status">{r}</p> })}
        {domains}
    }
}

/// Administrators: export the framework, and import a new version.
#[component]
pub fn FrameworkAdminPage() -> impl IntoView {
    let error = StoredValue::new(url_error(UploadFramework::PATH));
    page!("/admin/framework", current_framework(None), |user, f| {
        if !user.as_ref().is_some_and(|u| u.role == Role::Admin) {
            view! { <ErrorPage error=crate::error::AppError::Forbidden/> }.into_any()
        } else {
            // File problems name a line or skill; link them all to the file box.
            let problems: Vec<FieldError> = error
                .get_value()
                .map(|e| e.field_errors())
                .unwrap_or_default()
                .into_iter()
                .map(|f| {
                    FieldError::new(
                        "document",
                        if f.field.is_empty() {
                            f.message
                        } else {
                            format!("{}: {}", f.field, f.message)
                        },
                    )
                })
                .collect();
            let has_error = !problems.is_empty();
            let first = problems.first().map(|f| f.message.clone());
            view! {
                            <Title text="Manage the framework - Skillmap"/>
                            <ErrorSummary errors=problems/>
                            <h1>"Manage the framework"</h1>
                            <p>{format!("In use: {} version {}, published {}.", f.name, f.version, f.published)}</p>
                            <h2>"Export"</h2>
                            <ul class="nhsuk-list">
                                <li><a href="/framework/export.json" download="framework.json">"Download as JSON (the exchange format)"</a></li>
                                <li><a href="/framework/export.csv" download="framework.csv">"Download as CSV (one row per skill, for spreadsheets)"</a></li>
                            </ul>
                            <h2>"Import a new version"</h2>
                            <p>"Paste the contents of a JSON or CSV file exported from Skillmap (and edited). Skillmap checks all of it and shows what would change before anything is published. Skills keep their identity by code, and earlier assessments stay readable."</p>
                            <form method="post" action=UploadFramework::PATH novalidate>
                                <TextField label="File name (optional, for your records)" name="source_name" width_class="nhsuk-input--width-20"/>
                                <div class="nhsuk-form-group" class:nhsuk-form-group--error=has_error>
                                    <label class="nhsuk-label" for="document">"File contents"</label>
                                    <FieldErrorMessage id="document".to_string() message=first/>
                                    <textarea class="nhsuk-textarea skillmap-code" id="document" name="document" rows="12" spellcheck="false"></textarea>
                                </div>
                                <button class="nhsuk-button" type="submit">"Check the file"</button>
                            </form>
                        }
                        .into_any()
        }
    })
}

#[component]
pub fn ImportPreviewPage() -> impl IntoView {
    let id = use_params_map()
        .get_untracked()
        .get("id")
        .and_then(|s| s.parse::<i32>().ok())
        .unwrap_or(0);
    let error = StoredValue::new(url_error(PublishImport::PATH));
    page!("/admin/framework", preview_import(id), |p| {
        let list = |title: &'static str, items: Vec<String>| {
            (!items.is_empty()).then(|| {
                let count = items.len();
                let items = items
                    .into_iter()
                    .map(|i| view! { <li>{i}</li> })
                    .collect_view();
                view! {
                    <h2>{format!("{title} ({count})")}</h2>
                    <ul class="nhsuk-list nhsuk-list--bullet">{items}</ul>
                }
            })
        };
        let nothing = p.added.is_empty() && p.changed.is_empty() && p.removed.is_empty();
        let action = match p.published_version {
                            Some(v) => view! { <p role="status">{format!("Published as version {v}.")}</p> }.into_any(),
                            None => view! {
                                <form method="post" action=PublishImport::PATH>
                                    <input type="hidden" name="draft_id" value=p.draft_id.to_string()/>
                                    <button class="nhsuk-button" type="submit">{format!("Publish as version {}", p.next_version)}</button>
                                </form>
                            }
                            .into_any(),
                        };
        view! {
                            <Title text="Check the import - Skillmap"/>
                            <a class="nhsuk-back-link" href="/admin/framework">"Back to manage the framework"</a>
                            <ErrorSummary errors=error.get_value().map(|e| e.field_errors()).unwrap_or_default()/>
                            <span class="nhsuk-caption-l">{p.source_name.clone()}</span>
                            <h1>"Check what will change"</h1>
                            <p>{match p.current_version {
                                Some(v) => format!("The file is valid. Publishing it makes {} version {} (now version {v}).", p.name, p.next_version),
                                None => format!("The file is valid. Publishing it makes {} version 1.", p.name),
                            }}</p>
                            {nothing.then(|| view! { <p>"No skill changes: every skill is the same as now."</p> })}
                            {list("New skills", p.added)}
                            {list("Changed skills", p.changed)}
                            {list("Removed skills (earlier assessments of them stay readable)", p.removed)}
                            <p>{format!("{} skills unchanged.", p.unchanged)}</p>
                            {action}
                        }
                        .into_any()
    })
}
