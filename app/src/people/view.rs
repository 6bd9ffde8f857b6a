use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::api::get_person;
use super::model::{PersonDetail, PersonSummary};
use crate::auth::api::whoami;
use crate::auth::model::Role;
use crate::error::AppError;
use crate::ui::Row;
use crate::ui::{Cell, ErrorPage, Layout, Table, page};

#[component]
pub fn PersonPage() -> impl IntoView {
    let id = use_params_map()
        .get_untracked()
        .get("id")
        .and_then(|s| s.parse::<i32>().ok());
    let load = move || async move {
        match id {
            Some(id) => get_person(id).await,
            None => Err(AppError::NotFound("That person".into())),
        }
    };
    page!(
        match (&user, id) {
            (Some(u), Some(id)) if u.person_id == Some(id) => "/skills",
            _ => "",
        },
        load(),
        |user, detail| {
            let hr = user
                .as_ref()
                .is_some_and(|u| u.is_one_of(&[Role::Hr, Role::Admin]));
            view! { <Person detail=detail hr=hr/> }
        }
    )
}

#[component]
fn Person(detail: PersonDetail, hr: bool) -> impl IntoView {
    let PersonDetail {
        summary,
        email,
        line_manager,
        org_path,
        direct_reports,
    } = detail;
    let count = direct_reports.len();
    view! {
        <Title text=format!("{} - Skillmap", summary.name)/>
        <h1>
            <span class="nhsuk-caption-l">{summary.job_title.clone().unwrap_or_default()}</span>
            {summary.name.clone()}
        </h1>
        <p>
            <a href=format!("/people/{}/skills", summary.id)>"Skills"</a>
            " \u{b7} "
            <a href=format!("/people/{}/recognition", summary.id)>"Recognition"</a>
            {hr.then(|| view! {
                " \u{b7} "
                <a href=format!("/admin/audit?target_kind=person&target_id={}", summary.id)>"Audit trail"</a>
                " \u{b7} "
                <a href=format!("/people/{}/erase", summary.id)>"Erase this leaver's data"</a>
            })}
        </p>
        <dl class="nhsuk-summary-list">
            <Row key="Employee number" value=summary.employee_number/>
            <Row key="Email" value=email.unwrap_or_else(|| "Not recorded".into())/>
            <Row key="Job role" value=summary.job_title.unwrap_or_else(|| "Not set".into())/>
            <Row key="Staff group" value=summary.staff_group/>
            <Row key="Band" value=summary.band/>
            <Row key="Where" value=org_path.join(" \u{203a} ")/>
            <div class="nhsuk-summary-list__row">
                <dt class="nhsuk-summary-list__key">"Line manager"</dt>
                <dd class="nhsuk-summary-list__value">
                    {match line_manager {
                        Some(m) => m.name.into_any(),
                        None => "None recorded".into_any(),
                    }}
                </dd>
            </div>
        </dl>
        {(count > 0).then(|| view! {
            <h2>"Direct reports"</h2>
            <PeopleTable people=direct_reports caption=format!("{count} direct reports")/>
        })}
    }
}

/// People as a table: name (linked), job role, band, team.
#[component]
pub fn PeopleTable(people: Vec<PersonSummary>, #[prop(into)] caption: String) -> impl IntoView {
    let rows = people
        .into_iter()
        .map(|p| {
            let href = format!("/people/{}", p.id);
            view! {
                <tr role="row" class="nhsuk-table__row">
                    <Cell head="Name"><a href=href>{p.name}</a></Cell>
                    <Cell head="Job role">{p.job_title.unwrap_or_else(|| "Not set".into())}</Cell>
                    <Cell head="Band">{p.band}</Cell>
                    <Cell head="Team">{p.team}</Cell>
                </tr>
            }
        })
        .collect_view();
    view! {
        <Table caption=caption hide_caption=true headers=vec!["Name", "Job role", "Band", "Team"]>{rows}</Table>
    }
}

/// HR and administrators: find anyone in the organisation.
#[component]
pub fn PeoplePage() -> impl IntoView {
    use super::api::search_people;
    use crate::ui::TextField;
    let q = StoredValue::new(
        leptos_router::hooks::use_query_map()
            .get_untracked()
            .get("q")
            .unwrap_or_default(),
    );
    page!("/people", search_people(Some(q.get_value())), |found| {
        let (people, total) = found;
        let query = q.get_value();
        let shown = people.len() as u64;
        let status = if query.trim().is_empty() {
            format!("{total} people in the organisation.")
        } else if total == 0 {
            format!("No one matches \u{201c}{query}\u{201d}.")
        } else {
            format!(
                "{total} {} \u{201c}{query}\u{201d}{}.",
                if total == 1 {
                    "person matches"
                } else {
                    "people match"
                },
                if shown < total {
                    format!(", showing the first {shown}")
                } else {
                    String::new()
                }
            )
        };
        view! {
            <Title text="People - Skillmap"/>
            <h1>"People"</h1>
            <p><a href="/admin/retention">"Retention review: accounts disabled for a long time"</a></p>
            <form method="get" action="/people" class="skillmap-search" role="search">
                <TextField label="Search by name, employee number or email" name="q" value=query width_class="nhsuk-input--width-20"/>
                <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Search"</button>
            </form>
            <p role="status">{status}</p>
            {(!people.is_empty()).then(|| view! { <PeopleTable people=people caption="People found"/> })}
        }
    })
}
