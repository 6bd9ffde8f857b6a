use leptos::prelude::*;
use leptos::server_fn::ServerFn;
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
        moves,
        other_organisations,
    } = detail;
    let count = direct_reports.len();
    let moves = (!moves.is_empty()).then(|| {
        let items = moves
            .into_iter()
            .map(|m| view! { <li>{format!("Moved from {} to {} on {}", m.from, m.to, m.on)}</li> })
            .collect_view();
        view! {
            <h2>"Moves between organisations"</h2>
            <p>"Their agreed skill levels, with who agreed them and when, and their badges came with them."</p>
            <ul data-testid="moves">{items}</ul>
        }
    });
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
            {(hr && other_organisations).then(|| view! {
                " \u{b7} "
                <a href=format!("/people/{}/move", summary.id)>"Move to another organisation"</a>
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
        {moves}
    }
}

/// HR: move someone to another organisation of the system, with their
/// skills record.
#[component]
pub fn MovePage() -> impl IntoView {
    use super::api::{MovePerson, preview_move};
    let id = use_params_map()
        .get_untracked()
        .get("id")
        .and_then(|v| v.parse::<i32>().ok())
        .unwrap_or_default();
    let error = StoredValue::new(crate::ui::url_error(MovePerson::PATH));
    page!("/people", preview_move(id), |preview| {
        let error = error.get_value();
        view! { <Move preview=preview error=error/> }
    })
}

#[component]
fn Move(preview: super::model::MovePreview, error: Option<AppError>) -> impl IntoView {
    use super::api::MovePerson;
    use crate::ui::{ErrorSummary, SelectField, TextField};
    let errors = error.as_ref().map(|e| e.field_errors()).unwrap_or_default();
    let to_error = error.as_ref().and_then(|e| e.message_for("to"));
    let confirm_error = error.as_ref().and_then(|e| e.message_for("confirm"));
    let title = if error.is_none() {
        format!("Move {} - Skillmap", preview.name)
    } else {
        format!("Error: Move {} - Skillmap", preview.name)
    };
    let mut stays = Vec::new();
    if preview.direct_reports > 0 {
        stays.push(format!(
            "{} {} them as line manager and will have none recorded until you set one.",
            preview.direct_reports,
            if preview.direct_reports == 1 {
                "person has"
            } else {
                "people have"
            }
        ));
    }
    if let Some(role) = &preview.elevated_role {
        stays.push(format!(
            "Their account's {role} role stays here: they become staff there, until their new organisation gives them a role."
        ));
    }
    let stays = stays
        .into_iter()
        .map(|s| view! { <li>{s}</li> })
        .collect_view();
    let options: Vec<(String, String)> = preview.destinations.clone();
    view! {
        <Title text=title/>
        <ErrorSummary errors=errors/>
        <a class="nhsuk-back-link" href=format!("/people/{}", preview.person_id)>"Back to the person"</a>
        <h1><span class="nhsuk-caption-l">"Move to another organisation"</span>{preview.name.clone()}</h1>
        <p>{format!(
            "When someone leaves {} for another organisation of the system, their skills record goes with them. You will no longer see them; the new organisation's HR team is told and places them in a unit and job role.",
            preview.from
        )}</p>
        <h2>"What goes with them"</h2>
        <dl class="nhsuk-summary-list">
            <div class="nhsuk-summary-list__row">
                <dt class="nhsuk-summary-list__key">"Agreed skill levels, with who agreed them and when"</dt>
                <dd class="nhsuk-summary-list__value">{preview.agreed_levels}</dd>
            </div>
            <div class="nhsuk-summary-list__row">
                <dt class="nhsuk-summary-list__key">"Badges (they stay issued by the organisation that issued them, and keep verifying)"</dt>
                <dd class="nhsuk-summary-list__value">{preview.badges}</dd>
            </div>
        </dl>
        <h2>"What stays here"</h2>
        <ul>
            <li>"Their job role: job roles are each organisation's own."</li>
            <li>"Their line manager."</li>
            {stays}
        </ul>
        <form method="post" action=MovePerson::PATH data-testid="move-form">
            <input type="hidden" name="person_id" value=preview.person_id.to_string()/>
            <SelectField
                label="The organisation they are moving to"
                name="to"
                options=options
                selected=""
                none="Choose an organisation"
                error=to_error
            />
            <TextField
                label=format!("Type their employee number ({}) to confirm", preview.employee_number)
                name="confirm"
                error=confirm_error
                width_class="nhsuk-input--width-10"
                autocomplete="off"
            />
            <button class="nhsuk-button" type="submit">"Move them and their skills record"</button>
        </form>
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
    let moved = leptos_router::hooks::use_query_map()
        .get_untracked()
        .get("moved")
        .is_some();
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
            {moved.then(|| view! {
                <div class="nhsuk-inset-text" role="status" data-testid="moved">
                    <span class="nhsuk-u-visually-hidden">"Information: "</span>
                    <p>"They have moved, with their skills record. Their new organisation's HR team has been told, and the audit trail records it."</p>
                </div>
            })}
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
