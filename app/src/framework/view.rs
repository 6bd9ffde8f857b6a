use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::{
    PublishImport, UploadFramework, current_framework, manage_framework, preview_import,
};
use super::model::{DomainView, FrameworkView, LEVELS};
use crate::auth::api::whoami;
use crate::error::FieldError;
use crate::ui::{ErrorPage, ErrorSummary, FieldErrorMessage, Layout, TextField, page, url_error};

/// Browse and search the framework: domains, skills, descriptors.
#[component]
pub fn FrameworkPage() -> impl IntoView {
    let query = use_query_map().get_untracked();
    let q = StoredValue::new(query.get("q").unwrap_or_default());
    // Some(true) after publishing the organisation's own skills.
    let published = query.get("published").map(|p| p == "own");
    page!("/framework", current_framework(Some(q.get_value())), |f| {
        let banner = match (published, &f.own) {
            (None, _) => None,
            (Some(true), Some(own)) => {
                Some(format!("Published {} version {}.", own.name, own.version))
            }
            (Some(_), _) => Some(format!("Published version {}.", f.version)),
        };
        view! {
            <Title text="Skills framework - Skillmap"/>
            {banner.map(|text| view! {
                <div class="nhsuk-inset-text" role="status">
                    <span class="nhsuk-u-visually-hidden">"Information: "</span>
                    <p>{text}</p>
                </div>
            })}
            <Framework framework=f query=q.get_value()/>
        }
    })
}

/// Domains with their skills, each skill's levels behind a disclosure.
fn domain_list(domains: Vec<DomainView>, searching: bool) -> impl IntoView {
    domains
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
        .collect_view()
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
    let domains = domain_list(framework.domains, searching);
    // The organisation's own skills, after the shared ones: for its
    // people only, and not in the figures that compare organisations.
    let own = framework.own.map(|o| {
        view! {
            <section class="skillmap-own-skills" aria-labelledby="own-skills">
                <span class="nhsuk-caption-m">{format!("Version {}, published {}", o.version, o.published)}</span>
                <h2 class="nhsuk-heading-l" id="own-skills">{o.name}</h2>
                <p>"Your organisation's own skills, added to the shared framework for its staff. The figures that compare organisations count the shared framework's skills only."</p>
                {(!o.description.is_empty()).then(|| view! { <p>{o.description}</p> })}
                {domain_list(o.domains, searching)}
            </section>
        }
    });
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
        {own}
    }
}

/// Administrators: export the framework and their organisation's own
/// skills, and import a new version of either (the shared framework only
/// for whoever may publish it: the workforce lead, or the administrators
/// of a deployment of one organisation).
#[component]
pub fn FrameworkAdminPage() -> impl IntoView {
    let error = StoredValue::new(url_error(UploadFramework::PATH));
    page!("/admin/framework", manage_framework(), |a| {
        // File problems name a line or skill; link them to the file box
        // (a choice of framework to its radios).
        let problems: Vec<FieldError> = error
            .get_value()
            .map(|e| e.field_errors())
            .unwrap_or_default()
            .into_iter()
            .map(|f| match f.field.as_str() {
                "scope" => f,
                "" => FieldError::new("document", f.message),
                field => FieldError::new("document", format!("{field}: {}", f.message)),
            })
            .collect();
        let first_of = |field: &str| {
            problems
                .iter()
                .find(|f| f.field == field)
                .map(|f| f.message.clone())
        };
        let document_error = first_of("document");
        let scope_error = first_of("scope");
        let has_error = document_error.is_some();
        let f = a.framework;
        let in_use = match &f.own {
            Some(o) => format!(
                "In use: {} version {}, published {}, and {} version {}, published {}.",
                f.name, f.version, f.published, o.name, o.version, o.published
            ),
            None => format!(
                "In use: {} version {}, published {}.",
                f.name, f.version, f.published
            ),
        };
        let own_exports = f.own.as_ref().map(|o| {
            let stem = o.code.to_lowercase();
            view! {
                <li><a href="/framework/export.json?own=1" download=format!("{stem}.json")>{format!("Download {} as JSON", o.name)}</a></li>
                <li><a href="/framework/export.csv?own=1" download=format!("{stem}.csv")>{format!("Download {} as CSV", o.name)}</a></li>
            }
        });
        // What the file becomes: a choice where both are open to this
        // account, otherwise said in words.
        let choice = match (a.organisation.clone(), a.shared) {
            (Some(org), true) => {
                let scope_shown = scope_error.is_some();
                view! {
                    <div class="nhsuk-form-group" class:nhsuk-form-group--error=scope_shown>
                        <fieldset class="nhsuk-fieldset" aria-describedby="scope-hint">
                            <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--s">"Which framework is this a new version of?"</legend>
                            <div class="nhsuk-hint" id="scope-hint">"Your own skills add to the shared framework for your staff only: they need codes and domains of their own, and are not foundation skills."</div>
                            <FieldErrorMessage id="scope".to_string() message=scope_error/>
                            <div class="nhsuk-radios">
                                <div class="nhsuk-radios__item">
                                    <input class="nhsuk-radios__input" id="scope" name="scope" type="radio" value="shared" checked=true/>
                                    <label class="nhsuk-label nhsuk-radios__label" for="scope">"The shared framework"</label>
                                </div>
                                <div class="nhsuk-radios__item">
                                    <input class="nhsuk-radios__input" id="scope-own" name="scope" type="radio" value="own"/>
                                    <label class="nhsuk-label nhsuk-radios__label" for="scope-own">{format!("{org}: own skills")}</label>
                                </div>
                            </div>
                        </fieldset>
                    </div>
                }
                .into_any()
            }
            (Some(org), false) => view! {
                <input type="hidden" name="scope" value="own"/>
                <p>{format!("The file becomes the next version of {org}'s own skills, which add to the shared framework for your staff only: they need codes and domains of their own, and are not foundation skills. The ICS workforce lead publishes the shared framework for every organisation.")}</p>
            }
            .into_any(),
            (None, _) => view! {
                <input type="hidden" name="scope" value="shared"/>
                <p>"The file becomes the next version of the shared framework, which every organisation's staff assess themselves against and every organisation's figures count."</p>
            }
            .into_any(),
        };
        view! {
            <Title text="Manage the framework - Skillmap"/>
            <ErrorSummary errors=problems.clone()/>
            <h1>"Manage the framework"</h1>
            <p>{in_use}</p>
            <h2>"Export"</h2>
            <ul class="nhsuk-list">
                <li><a href="/framework/export.json" download="framework.json">"Download the shared framework as JSON (the exchange format)"</a></li>
                <li><a href="/framework/export.csv" download="framework.csv">"Download the shared framework as CSV (one row per skill, for spreadsheets)"</a></li>
                {own_exports}
            </ul>
            <h2>"Import a new version"</h2>
            <p>"Paste the contents of a JSON or CSV file exported from Skillmap (and edited). Skillmap checks all of it and shows what would change before anything is published. Skills keep their identity by code, and earlier assessments stay readable."</p>
            <form method="post" action=UploadFramework::PATH novalidate>
                {choice}
                <TextField label="File name (optional, for your records)" name="source_name" width_class="nhsuk-input--width-20"/>
                <div class="nhsuk-form-group" class:nhsuk-form-group--error=has_error>
                    <label class="nhsuk-label" for="document">"File contents"</label>
                    <FieldErrorMessage id="document".to_string() message=document_error/>
                    <textarea class="nhsuk-textarea skillmap-code" id="document" name="document" rows="12" spellcheck="false"></textarea>
                </div>
                <button class="nhsuk-button" type="submit">"Check the file"</button>
            </form>
        }
        .into_any()
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
                            <p>{match &p.organisation {
                                Some(org) => format!("These are {org}'s own skills: they add to the shared framework for its staff only."),
                                None => "This is the shared framework: every organisation's staff and figures use it.".to_string(),
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
