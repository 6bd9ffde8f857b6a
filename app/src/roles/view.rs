use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::api::{RemoveRequirement, SaveRole, SetRequirement, list_roles, role_detail};
use super::model::{BANDS, JobRoleDetail, JobRoleRow, STAFF_GROUPS};
use crate::auth::api::whoami;
use crate::auth::model::Role;
use crate::error::{AppError, FieldError};
use crate::framework::model::{LEVELS, level_label};
use crate::ui::{Cell, ErrorPage, ErrorSummary, Layout, Table, TextField, page, url_error};

#[component]
pub fn RolesPage() -> impl IntoView {
    page!("/roles", list_roles(), |user, rows| {
        let can_edit = user
            .as_ref()
            .is_some_and(|u| u.is_one_of(&[Role::Hr, Role::Admin]));
        view! {
            <Title text="Job roles - Skillmap"/>
            <RolesList rows=rows can_edit=can_edit/>
        }
    })
}

#[component]
fn RolesList(rows: Vec<JobRoleRow>, can_edit: bool) -> impl IntoView {
    let count = rows.len();
    let body = rows
        .into_iter()
        .map(|r| {
            let href = format!("/roles/{}", r.id);
            view! {
                <tr role="row" class="nhsuk-table__row">
                    <Cell head="Job role"><a href=href>{r.title}</a></Cell>
                    <Cell head="Code">{r.code}</Cell>
                    <Cell head="Staff group">{r.staff_group}</Cell>
                    <Cell head="Band">{r.band}</Cell>
                    <Cell head="Skills required">{r.requirements}</Cell>
                    <Cell head="People">{r.people}</Cell>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h1>"Job roles"</h1>
        <p>"Each job role says which skills it needs, and at what level. Everyone's gaps are measured against their role."</p>
        {can_edit.then(|| view! { <a class="nhsuk-button" href="/roles/new">"Add a job role"</a> })}
        <Table caption=format!("{count} job roles") headers=vec!["Job role", "Code", "Staff group", "Band", "Skills required", "People"]>{body}</Table>
    }
}

fn select(
    label: &'static str,
    name: &'static str,
    options: &[&'static str],
    current: &str,
    error: Option<String>,
) -> AnyView {
    let opts =
        std::iter::once(view! { <option value="">"Choose"</option> }.into_any())
            .chain(options.iter().map(|o| {
                view! { <option value=*o selected=*o == current>{*o}</option> }.into_any()
            }))
            .collect_view();
    let has_error = error.is_some();
    view! {
        <div class="nhsuk-form-group" class:nhsuk-form-group--error=has_error>
            <label class="nhsuk-label" for=name>{label}</label>
            <crate::ui::FieldErrorMessage id=name.to_string() message=error/>
            <select class="nhsuk-select" id=name name=name>{opts}</select>
        </div>
    }
    .into_any()
}

/// The job role details form (new or existing).
fn role_form(role: Option<&JobRoleRow>, error: Option<&AppError>) -> AnyView {
    let msg = |f: &str| error.and_then(|e| e.message_for(f));
    let (code, title, group, band) = role
        .map(|r| {
            (
                r.code.clone(),
                r.title.clone(),
                r.staff_group.clone(),
                r.band.clone(),
            )
        })
        .unwrap_or_default();
    view! {
        <form method="post" action=SaveRole::PATH novalidate>
            {role.map(|r| view! { <input type="hidden" name="role_id" value=r.id.to_string()/> })}
            <TextField label="Job title" name="title" value=title error=msg("title")/>
            <TextField label="Code" name="code" value=code hint="A short unique code, like NUR-RN5" width_class="nhsuk-input--width-10" error=msg("code")/>
            {select("Staff group", "staff_group", &STAFF_GROUPS, &group, msg("staff_group"))}
            {select("Band or grade", "band", &BANDS, &band, msg("band"))}
            <button class="nhsuk-button" type="submit">{if role.is_some() { "Save changes" } else { "Add job role" }}</button>
        </form>
    }
    .into_any()
}

#[component]
pub fn NewRolePage() -> impl IntoView {
    let user = Resource::new(|| (), |_| whoami());
    let error = StoredValue::new(url_error(SaveRole::PATH));
    view! {
        <Title text="Add a job role - Skillmap"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let user = user.await.ok().flatten();
                let allowed = user.as_ref().is_some_and(|u| u.is_one_of(&[Role::Hr, Role::Admin]));
                let error = error.get_value();
                let body = if allowed {
                    view! {
                        <a class="nhsuk-back-link" href="/roles">"Back to job roles"</a>
                        <ErrorSummary errors=error.as_ref().map(AppError::field_errors).unwrap_or_default()/>
                        <h1>"Add a job role"</h1>
                        {role_form(None, error.as_ref())}
                    }
                    .into_any()
                } else {
                    view! { <ErrorPage error=AppError::Forbidden/> }.into_any()
                };
                view! { <Layout user=user current="/roles">{body}</Layout> }
            })}
        </Suspense>
    }
}

#[component]
pub fn RolePage() -> impl IntoView {
    let id = use_params_map()
        .get_untracked()
        .get("id")
        .and_then(|s| s.parse::<i32>().ok());
    let load = move || async move {
        match id {
            Some(id) => role_detail(id).await,
            None => Err(AppError::NotFound("That job role".into())),
        }
    };
    let errors = StoredValue::new(
        [
            url_error(SaveRole::PATH),
            url_error(SetRequirement::PATH),
            url_error(RemoveRequirement::PATH),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<AppError>>(),
    );
    page!("/roles", load(), |detail| view! {
        <RoleDetail detail=detail errors=errors.get_value()/>
    })
}

#[component]
fn RoleDetail(detail: JobRoleDetail, errors: Vec<AppError>) -> impl IntoView {
    let JobRoleDetail {
        role,
        requirements,
        other_skills,
        editable,
    } = detail;
    let summary: Vec<FieldError> = errors.iter().flat_map(AppError::field_errors).collect();
    let mut headers = vec!["Skill", "Level", "Need"];
    if editable {
        headers.push("Action");
    }
    let role_id = role.id.to_string();
    let rows = requirements
        .into_iter()
        .map(|r| {
            let remove = editable.then(|| {
                let label = format!("Remove {} from this role", r.skill_name);
                view! {
                    <form method="post" action=RemoveRequirement::PATH class="skillmap-inline-form">
                        <input type="hidden" name="role_id" value=role_id.clone()/>
                        <input type="hidden" name="skill_code" value=r.skill_code.clone()/>
                        <button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small skillmap-table-button" type="submit" aria-label=label>"Remove"</button>
                    </form>
                }
            });
            view! {
                <tr role="row" class="nhsuk-table__row">
                    <Cell head="Skill">{r.skill_name}<span class="nhsuk-body-s skillmap-muted">{format!(" {}", r.domain)}</span></Cell>
                    <Cell head="Level">{level_label(r.level)}</Cell>
                    <Cell head="Need">{if r.essential { "Essential" } else { "Desirable" }}</Cell>
                    {editable.then(|| view! { <Cell head="Action">{remove}</Cell> })}
                </tr>
            }
        })
        .collect_view();
    let add = editable.then(|| {
        let skills = other_skills
            .into_iter()
            .map(|(code, name)| view! { <option value=code>{name}</option> })
            .collect_view();
        let levels = LEVELS[1..]
            .iter()
            .map(|(l, n)| view! { <option value=l.to_string()>{format!("{l} {n}")}</option> })
            .collect_view();
        view! {
            <h2>"Require another skill"</h2>
            <form method="post" action=SetRequirement::PATH novalidate>
                <input type="hidden" name="role_id" value=role_id.clone()/>
                <div class="nhsuk-form-group">
                    <label class="nhsuk-label" for="skill_code">"Skill"</label>
                    <select class="nhsuk-select" id="skill_code" name="skill_code">{skills}</select>
                </div>
                <div class="nhsuk-form-group">
                    <label class="nhsuk-label" for="level">"Required level"</label>
                    <select class="nhsuk-select" id="level" name="level">{levels}</select>
                </div>
                <div class="nhsuk-form-group">
                    <div class="nhsuk-checkboxes">
                        <div class="nhsuk-checkboxes__item">
                            <input class="nhsuk-checkboxes__input" id="essential" name="essential" type="checkbox" value="true" checked=true/>
                            <label class="nhsuk-label nhsuk-checkboxes__label" for="essential">"Essential (untick for desirable)"</label>
                        </div>
                    </div>
                </div>
                <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Add requirement"</button>
            </form>
            <h2>"Change the job role's details"</h2>
            {role_form(Some(&role), errors.first())}
        }
    });
    view! {
        <Title text=format!("{} - Job roles - Skillmap", role.title)/>
        <a class="nhsuk-back-link" href="/roles">"Back to job roles"</a>
        <ErrorSummary errors=summary/>
        <span class="nhsuk-caption-l">{format!("{} \u{2013} {} \u{2013} {}", role.code, role.staff_group, role.band)}</span>
        <h1>{role.title.clone()}</h1>
        <p>{format!("{} people hold this role.", role.people)}</p>
        <h2>"Required skills"</h2>
        <Table caption="Required skills" hide_caption=true headers=headers>{rows}</Table>
        {add}
    }
}
