use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::api::current_framework;
use super::model::{FrameworkView, LEVELS};
use crate::auth::api::whoami;
use crate::ui::{ErrorPage, Layout, TextField};

/// Browse and search the framework: domains, skills, descriptors.
#[component]
pub fn FrameworkPage() -> impl IntoView {
    let q = use_query_map().get_untracked().get("q").unwrap_or_default();
    let query = q.clone();
    let user = Resource::new(|| (), |_| whoami());
    let fw = Resource::new(
        || (),
        move |_| {
            let q = query.clone();
            async move { current_framework(Some(q)).await }
        },
    );
    view! {
        <Title text="Skills framework - Skillmap"/>
        <Suspense fallback=|| view! { <p>"Loading..."</p> }>
            {move || {
                let q = q.clone();
                Suspend::new(async move {
                    let user = user.await.ok().flatten();
                    let body = match fw.await {
                        Ok(f) => view! { <Framework framework=f query=q/> }.into_any(),
                        Err(e) => view! { <ErrorPage error=e/> }.into_any(),
                    };
                    view! { <Layout user=user current="/framework">{body}</Layout> }
                })
            }}
        </Suspense>
    }
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
