use leptos::prelude::*;
use leptos_meta::Title;

use super::api::load_home;
use super::model::HomeOverview;
use crate::auth::api::whoami;
use crate::auth::model::Role;
use crate::people::model::PersonSummary;
use crate::people::view::PeopleTable;
use crate::ui::{ErrorPage, Layout, Row, page};

#[component]
pub fn HomePage() -> impl IntoView {
    page!("/", load_home(), |overview| view! {
        <Title text="Home - Skillmap"/>
        <Home overview=overview/>
    })
}

#[component]
fn Home(overview: HomeOverview) -> impl IntoView {
    let HomeOverview {
        display_name,
        role,
        me,
        line_manager,
        direct_reports,
        org,
        progress,
        to_agree,
    } = overview;
    let lead = match role {
        Role::Staff => {
            "Map your digital, data and leadership skills, see the gaps for your role, and find learning that closes them."
        }
        Role::Manager => {
            "See and agree the skills of the people you manage, and where your team needs support."
        }
        Role::Hr => "Keep the organisation, job roles and staff records in Skillmap up to date.",
        Role::Admin => "Manage accounts and the skills framework, and keep Skillmap running well.",
        Role::Lead => {
            "See the capability of every organisation in the system side by side: where the gaps are, where the integrative leaders are, and where staff are being left behind digitally."
        }
    };
    view! {
        <h1>
            <span class="nhsuk-caption-l">{format!("{} home", role.label())}</span>
            {format!("Welcome, {display_name}")}
        </h1>
        <p class="nhsuk-lede-text">{lead}</p>
        {progress.map(|p| {
            let text = if p.all_done == 0 {
                "You have not assessed any skills yet.".to_string()
            } else {
                format!(
                    "You have assessed {} of the {} skills your role needs ({} in all); {} waiting for your manager to agree.",
                    p.required_done, p.required_total, p.all_done, p.pending
                )
            };
            view! {
                <div class="nhsuk-inset-text" data-testid="home-progress">
                    <span class="nhsuk-u-visually-hidden">"Information: "</span>
                    <p>{text}" "<a href="/skills">"Go to my skills"</a></p>
                </div>
            }
        })}
        {(to_agree > 0).then(|| view! {
            <div class="nhsuk-inset-text" data-testid="home-to-agree">
                <span class="nhsuk-u-visually-hidden">"Information: "</span>
                <p>
                    {format!("{to_agree} {} you manage {} levels waiting for you to agree. ", if to_agree == 1 { "person" } else { "people" }, if to_agree == 1 { "has" } else { "have" })}
                    <a href="/team/reviews">"Agree levels"</a>
                </p>
            </div>
        })}
        <div class="nhsuk-grid-row">
            <div class="nhsuk-grid-column-two-thirds">
                {me.clone().map(|me| view! { <YourDetails me=me line_manager=line_manager.clone()/> })}
                <NextSteps role=role has_person=me.is_some() has_reports=!direct_reports.is_empty()/>
                {(!direct_reports.is_empty()).then(|| {
                    let count = direct_reports.len();
                    view! {
                        <h2 id="your-team">"People you manage"</h2>
                        <PeopleTable
                            people=direct_reports
                            caption=format!("{count} people report to you")
                        />
                    }
                })}
                {org.map(|o| view! {
                    <h2>"Your organisation in Skillmap"</h2>
                    <dl class="nhsuk-summary-list">
                        <Row key="Directorates" value=o.directorates.to_string()/>
                        <Row key="Teams" value=o.teams.to_string()/>
                        <Row key="Staff records" value=o.people.to_string()/>
                        <Row key="Job roles" value=o.job_roles.to_string()/>
                        <Row key="Accounts" value=format!("{} ({} disabled)", o.accounts, o.disabled_accounts)/>
                    </dl>
                })}
            </div>
        </div>
    }
}

#[component]
fn YourDetails(me: PersonSummary, line_manager: Option<String>) -> impl IntoView {
    let href = format!("/people/{}", me.id);
    view! {
        <h2>"Your details"</h2>
        <dl class="nhsuk-summary-list">
            <Row key="Job role" value=me.job_title.unwrap_or_else(|| "Not set".into())/>
            <Row key="Team" value=me.team/>
            <Row key="Band" value=me.band/>
            <Row key="Line manager" value=line_manager.unwrap_or_else(|| "None recorded".into())/>
        </dl>
        <p><a href=href>"See all your details"</a></p>
    }
}

#[component]
fn NextSteps(role: Role, has_person: bool, has_reports: bool) -> impl IntoView {
    let mut steps: Vec<(&'static str, &'static str)> = Vec::new();
    if has_person {
        steps.push(("/skills", "Assess your digital, data and leadership skills"));
        steps.push(("/skills/gaps", "See your gaps against your role"));
    }
    if has_reports {
        steps.push(("/team/reviews", "Agree the levels of the people you manage"));
        steps.push(("#your-team", "Check the details of the people you manage"));
    }
    if role == Role::Admin {
        steps.push((
            "/admin/accounts",
            "Manage accounts: find, disable or re-enable",
        ));
    }
    (!steps.is_empty()).then(|| {
        let items = steps
            .into_iter()
            .map(|(href, text)| {
                view! {
                    <li>
                        <div class="nhsuk-action-link">
                            <a class="nhsuk-action-link__link" href=href>
                                <span class="nhsuk-action-link__text">{text}</span>
                            </a>
                        </div>
                    </li>
                }
            })
            .collect_view();
        view! {
            <h2>"What you can do next"</h2>
            <ul class="nhsuk-list">{items}</ul>
        }
    })
}
