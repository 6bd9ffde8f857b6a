//! The team heatmap (`/team`) and the organisation view
//! (`/organisation`). Both are plain server-rendered pages: every filter,
//! sort and drill-down is a link or a GET form, so they work without
//! JavaScript and each view has an address to share.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::api::{
    get_pipeline_people, legend_first_view, organisation_report, team_heatmap, team_managers,
};
use super::model::{
    Cell, Choice, Gap, GroupRow, HEAT_PAGE_SIZE, HeatPaging, HeatQuery, Heatmap, MIN_GROUP,
    OrgReport, Share, StatCell, TrendPoint, level_abbr,
};
use crate::auth::api::whoami;
use crate::auth::model::Role;
use crate::error::AppError;
use crate::framework::model::{LEVELS, level_name};
use crate::ui::{Cell, CellHeading, ErrorPage, Layout, Table, page};

fn query_from_url() -> HeatQuery {
    let q = use_query_map().get_untracked();
    let text = |k: &str| q.get(k).filter(|v| !v.trim().is_empty());
    let flag = |k: &str| q.get(k).is_some_and(|v| v == "true" || v == "on");
    HeatQuery {
        manager: text("manager").and_then(|v| v.trim().parse().ok()),
        all: flag("all"),
        sort: text("sort"),
        domain: text("domain"),
        role: text("role"),
        required: flag("required"),
        interest: text("interest"),
        page: text("page").and_then(|v| v.trim().parse().ok()),
    }
}

/// What the team page shows: HR and administrators without a team of their
/// own first choose one.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct TeamData {
    managers: Vec<Choice>,
    map: Option<Heatmap>,
    /// The key is open the first time, folded after.
    legend_open: bool,
}

async fn load_team(query: HeatQuery) -> Result<TeamData, AppError> {
    let user = whoami().await?.ok_or(AppError::Unauthorized)?;
    let hr = user.is_one_of(&[Role::Hr, Role::Admin]);
    let managers = if hr { team_managers().await? } else { vec![] };
    let map = if hr && query.manager.is_none() {
        None
    } else {
        Some(
            team_heatmap(
                query.manager,
                Some(query.all),
                query.sort,
                query.domain,
                query.role,
                Some(query.required),
                query.interest,
                query.page,
            )
            .await?,
        )
    };
    let legend_open = map.is_some() && legend_first_view().await?;
    Ok(TeamData {
        managers,
        map,
        legend_open,
    })
}

#[component]
pub fn TeamPage() -> impl IntoView {
    let query = StoredValue::new(query_from_url());
    page!("/team", load_team(query.get_value()), |data| {
        let picker = (!data.managers.is_empty())
            .then(|| view! { <ManagerPicker managers=data.managers.clone() current=query.get_value().manager/> });
        let body = match data.map {
            Some(map) => view! { <HeatmapView map=map legend_open=data.legend_open/> }.into_any(),
            None => view! {
                <h1>"Team capability"</h1>
                <p>"Choose a manager to see their team's capability against their job roles."</p>
            }
            .into_any(),
        };
        view! {
            <Title text="Team capability - Skillmap"/>
            {picker}
            {body}
        }
    })
}

/// What a page about one manager's team shows: the manager picker (for HR
/// and administrators, who have no team of their own to default to) and the
/// chosen team's data. Team learning and team recognition use it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct TeamChoice<T> {
    pub managers: Vec<Choice>,
    pub team: Option<T>,
}

impl<T> TeamChoice<T> {
    /// Loads the picker (HR and administrators) and, once a manager is
    /// chosen (or the caller is one), their team with `team`.
    pub async fn load<F>(
        manager: Option<i32>,
        team: impl FnOnce(Option<i32>) -> F,
    ) -> Result<Self, AppError>
    where
        F: std::future::Future<Output = Result<T, AppError>>,
    {
        let user = whoami().await?.ok_or(AppError::Unauthorized)?;
        let hr = user.is_one_of(&[Role::Hr, Role::Admin]);
        let managers = if hr { team_managers().await? } else { vec![] };
        let team = if hr && manager.is_none() {
            None
        } else {
            Some(team(manager).await?)
        };
        Ok(Self { managers, team })
    }

    /// The picker, then the team as `show` draws it, or `heading` and
    /// `prompt` asking to choose a manager.
    pub fn show<V: IntoView + 'static>(
        self,
        current: Option<i32>,
        action: &'static str,
        heading: &'static str,
        prompt: &'static str,
        show: impl FnOnce(T) -> V,
    ) -> impl IntoView {
        let picker = (!self.managers.is_empty()).then(|| {
            view! { <ManagerPicker managers=self.managers current=current action=action/> }
        });
        let body = match self.team {
            Some(t) => show(t).into_any(),
            None => view! {
                <h1>{heading}</h1>
                <p>{prompt}</p>
            }
            .into_any(),
        };
        view! {
            <Title text=format!("{heading} - Skillmap")/>
            <a class="nhsuk-back-link" href="/team">"Back to team capability"</a>
            {picker}
            {body}
        }
    }
}

/// Choosing whose team to see (HR and administrators); `action` is the
/// page to show it on.
#[component]
pub fn ManagerPicker(
    managers: Vec<Choice>,
    current: Option<i32>,
    #[prop(default = "/team")] action: &'static str,
) -> impl IntoView {
    let current = current.map(|c| c.to_string());
    let options = managers
        .into_iter()
        .map(|m| {
            let selected = current.as_deref() == Some(m.code.as_str());
            view! { <option value=m.code selected=selected>{m.label}</option> }
        })
        .collect_view();
    view! {
        <form method="get" action=action class="skillmap-search">
            <div class="nhsuk-form-group">
                <label class="nhsuk-label" for="team-manager">"Team of"</label>
                <select class="nhsuk-select" id="team-manager" name="manager">{options}</select>
            </div>
            <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Show team"</button>
        </form>
    }
}

fn select(
    id: &'static str,
    label: &'static str,
    any: &'static str,
    choices: Vec<Choice>,
    current: Option<String>,
) -> impl IntoView {
    let options = choices
        .into_iter()
        .map(|c| {
            let selected = current.as_deref() == Some(c.code.as_str());
            view! { <option value=c.code selected=selected>{c.label}</option> }
        })
        .collect_view();
    view! {
        <div class="nhsuk-form-group">
            <label class="nhsuk-label" for=id>{label}</label>
            <select class="nhsuk-select" id=id name=id>
                <option value="">{any}</option>
                {options}
            </select>
        </div>
    }
}

#[component]
fn Legend(open: bool) -> impl IntoView {
    let levels = LEVELS
        .iter()
        .map(|(l, n)| format!("{} = {l} {n}", level_abbr(*l)))
        .collect::<Vec<_>>()
        .join(", ");
    let gaps = [Gap::Meets, Gap::OneShort, Gap::TwoOrMoreShort, Gap::NotRequired]
        .into_iter()
        .map(|g| {
            view! {
                <li>
                    <span class=format!("skillmap-swatch {}", g.class()) aria-hidden="true">{g.symbol()}</span>
                    {g.label()}
                </li>
            }
        })
        .collect_view();
    view! {
        <details class="nhsuk-details" open=open>
            <summary class="nhsuk-details__summary">
                <span class="nhsuk-details__summary-text">"How to read the heatmap"</span>
            </summary>
            <div class="nhsuk-details__text">
                <ul class="skillmap-legend">
                    {gaps}
                    <li><span class="skillmap-swatch skillmap-cell--unagreed" aria-hidden="true">"Pr*"</span>"a star and a dashed border: self-assessed, not yet agreed"</li>
                    <li><span class="skillmap-swatch" aria-hidden="true">"\u{2013}"</span>"not assessed yet"</li>
                </ul>
                <p>{format!("Levels: {levels}.")}</p>
            </div>
        </details>
    }
}

/// `s` with the characters that mean something in HTML escaped, for text
/// and for attribute values in double quotes.
fn escaped(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(['&', '<', '>', '"', '\'']) {
        return s.into();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out.into()
}

/// The heatmap's rows as HTML. A page has 1,350 cells of a few dozen kinds
/// and nothing in them is interactive, so they are written straight into
/// one string (each kind's texts made once) instead of being built as a
/// view of 6,750 elements: that was about half of the page's time on the
/// server. Every name, title and code is escaped.
fn body_rows(map: &Heatmap) -> String {
    use std::fmt::Write;
    let mut kinds: HashMap<Cell, String> = HashMap::new();
    let codes: Vec<_> = map.skills.iter().map(|s| escaped(&s.code)).collect();
    let mut out = String::with_capacity(map.rows.len() * (400 + 250 * map.skills.len()));
    for r in &map.rows {
        let _ = write!(
            out,
            "<tr><th scope=\"row\" class=\"skillmap-heatmap__person\">\
             <a href=\"/people/{id}/skills\">{name}</a>\
             <span class=\"skillmap-heatmap__role\">{role}</span></th>\
             <td class=\"skillmap-heatmap__total\">{gap}</td>",
            id = r.person_id,
            name = escaped(&r.name),
            role = escaped(r.role_title.as_deref().unwrap_or("No job role")),
            gap = r.total_gap(),
        );
        for (c, code) in r.cells.iter().zip(&codes) {
            let inside = kinds.entry(*c).or_insert_with(|| {
                format!(
                    "<span aria-hidden=\"true\">{} {}</span>\
                     <span class=\"nhsuk-u-visually-hidden\">{}</span>",
                    escaped(&c.text()),
                    c.gap().symbol(),
                    escaped(&c.spoken())
                )
            });
            let _ = write!(
                out,
                "<td class=\"{}\"><a href=\"/people/{}/skills",
                c.class(),
                r.person_id
            );
            if c.level.is_some() {
                let _ = write!(out, "#review-{code}");
            }
            let _ = write!(out, "\">{inside}</a></td>");
        }
        out.push_str("</tr>");
    }
    out
}

#[component]
fn HeatmapView(map: Heatmap, legend_open: bool) -> impl IntoView {
    let q = map.query.clone();
    let paging = map.paging.clone();
    let summary = paging.summary.clone();
    let shown = map.rows.len();
    let title = format!("{}'s team", map.manager_name);
    let csv_href = q.href("/team/heatmap.csv", |q| {
        q.manager = Some(map.manager_id);
        q.page = None;
    });
    let sort_key = q.sort.clone().unwrap_or_else(|| "name".into());
    let sort_link = |key: String, label: String| {
        let href = q.href("/team", |q| {
            q.sort = Some(key.clone());
            q.manager = Some(map.manager_id);
            q.page = None;
        });
        let active = sort_key == key;
        view! {
            <a href=href aria-current=active.then_some("true")>
                {label}
                <span class="nhsuk-u-visually-hidden">{if active { " (sorted)" } else { ", sort by this" }}</span>
            </a>
        }
    };
    let aria_sort = |key: &str| {
        (sort_key == key).then_some(if key == "name" {
            "ascending"
        } else {
            "descending"
        })
    };
    // Domain headings over their skills.
    let mut groups: Vec<(String, usize)> = Vec::new();
    for s in &map.skills {
        match groups.last_mut() {
            Some((name, n)) if *name == s.domain_name => *n += 1,
            _ => groups.push((s.domain_name.clone(), 1)),
        }
    }
    let domain_heads = groups
        .into_iter()
        .map(|(name, n)| view! { <th scope="colgroup" colspan=n.to_string() class="skillmap-heatmap__domain">{name}</th> })
        .collect_view();
    let skill_heads = map
        .skills
        .iter()
        .map(|s| {
            view! {
                <th scope="col" class="skillmap-heatmap__skill" aria-sort=aria_sort(&s.code)>
                    {sort_link(s.code.clone(), s.name.clone())}
                </th>
            }
        })
        .collect_view();
    let rows = body_rows(&map);
    let foot = summary
        .iter()
        .map(|s| {
            let text = if s.required == 0 {
                "\u{2013}".to_string()
            } else {
                format!("{} of {}", s.meeting, s.required)
            };
            view! { <td class="skillmap-heatmap__summary">{text}</td> }
        })
        .collect_view();
    let people = |n: usize| if n == 1 { "person" } else { "people" };
    let status = if map.team_size == 0 {
        format!("{} does not manage anyone yet.", map.manager_name)
    } else if shown == 0 && q.interest.is_some() {
        "No one in the team matches these filters: no one shown has said they would like to develop that skill.".to_string()
    } else if shown == 0 {
        "No one in the team matches these filters.".to_string()
    } else if paging.pages > 1 {
        format!(
            "Showing {} to {} of the {} {} who match, of {} in the team, and {} skills (page {} of {}).",
            paging.before + 1,
            paging.before + shown,
            paging.matching,
            people(paging.matching),
            map.team_size,
            map.skills.len(),
            paging.page,
            paging.pages
        )
    } else {
        format!(
            "Showing {shown} of {} {} and {} skills.",
            map.team_size,
            people(map.team_size),
            map.skills.len()
        )
    };
    let pager = (paging.pages > 1).then(|| pager(&q, map.manager_id, &paging, shown));
    let interest_choices: Vec<Choice> = map
        .skills
        .iter()
        .map(|s| Choice {
            code: s.code.clone(),
            label: s.name.clone(),
        })
        .collect();
    let has_table = shown > 0 && !map.skills.is_empty();
    let scope_options = [("false", "Direct reports"), ("true", "Everyone below them")]
        .into_iter()
        .map(|(v, label)| {
            let selected = (v == "true") == q.all;
            view! { <option value=v selected=selected>{label}</option> }
        })
        .collect_view();
    view! {
        <span class="nhsuk-caption-l">"Team capability"</span>
        <h1>{title.clone()}</h1>
        <form method="get" action="/team" class="skillmap-search" aria-label="Filter the heatmap">
            <input type="hidden" name="manager" value=map.manager_id.to_string()/>
            <input type="hidden" name="sort" value=sort_key.clone()/>
            <div class="nhsuk-form-group">
                <label class="nhsuk-label" for="all">"People"</label>
                <select class="nhsuk-select" id="all" name="all">{scope_options}</select>
            </div>
            {select("domain", "Domain", "All domains", map.domains.clone(), q.domain.clone())}
            {select("role", "Job role", "All job roles", map.roles.clone(), q.role.clone())}
            {select("interest", "Interested in developing", "Anyone", interest_choices, q.interest.clone())}
            <div class="nhsuk-form-group">
                <div class="nhsuk-checkboxes__item">
                    <input class="nhsuk-checkboxes__input" id="required" name="required" type="checkbox" value="true" checked=q.required/>
                    <label class="nhsuk-label nhsuk-checkboxes__label" for="required">"Required skills only"</label>
                </div>
            </div>
            <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Apply"</button>
        </form>
        <p role="status" data-testid="heatmap-status">{status}</p>
        <Legend open=legend_open/>
        {has_table.then(|| view! {
            <p><a href=csv_href download="">"Download this heatmap as CSV"</a>" \u{b7} "<a href=format!("/team/learning?manager={}", map.manager_id)>"See this team's learning pathways"</a>" \u{b7} "<a href=format!("/team/recognition?manager={}", map.manager_id)>"See this team's recognition"</a></p>
            <div class="skillmap-heatmap skillmap-heatmap--wide" role="region" aria-labelledby="heatmap-caption" tabindex="0">
                <table class="skillmap-heatmap__table">
                    <caption id="heatmap-caption" class="nhsuk-table__caption">
                        {format!("Capability of {title} against their job roles")}
                    </caption>
                    <thead>
                        <tr>
                            <th scope="col" rowspan="2" aria-sort=aria_sort("name")>{sort_link("name".into(), "Person".into())}</th>
                            <th scope="col" rowspan="2" aria-sort=aria_sort("gap")>{sort_link("gap".into(), "Total gap".into())}</th>
                            {domain_heads}
                        </tr>
                        <tr>{skill_heads}</tr>
                    </thead>
                    <tbody inner_html=rows></tbody>
                    <tfoot>
                        <tr>
                            <th scope="row">{if paging.pages > 1 { "Meeting the requirement (everyone who matches)" } else { "Meeting the requirement" }}</th>
                            <td></td>
                            {foot}
                        </tr>
                    </tfoot>
                </table>
            </div>
            {pager}
        })}
    }
}

/// Links to the pages before and after this one, naming the people on
/// them, as the NHS design system's pagination does.
fn pager(q: &HeatQuery, manager: i32, paging: &HeatPaging, shown: usize) -> impl IntoView + use<> {
    let size = HEAT_PAGE_SIZE;
    let link = |page: usize| {
        q.href("/team", |q| {
            q.manager = Some(manager);
            q.page = Some(page);
        })
    };
    let span = |page: usize| {
        let first = (page - 1) * size + 1;
        let last = (page * size).min(paging.matching);
        format!("People {first} to {last} of {}", paging.matching)
    };
    let prev = (paging.page > 1).then(|| {
        let href = link(paging.page - 1);
        let label = span(paging.page - 1);
        view! {
            <li class="nhsuk-pagination-item--previous">
                <a class="nhsuk-pagination__link nhsuk-pagination__link--prev" href=href rel="prev">
                    <span class="nhsuk-pagination__title">"Previous"</span>
                    <span class="nhsuk-u-visually-hidden">":"</span>
                    <span class="nhsuk-pagination__page">{label}</span>
                </a>
            </li>
        }
    });
    let next = (paging.page < paging.pages).then(|| {
        let href = link(paging.page + 1);
        let label = span(paging.page + 1);
        view! {
            <li class="nhsuk-pagination-item--next">
                <a class="nhsuk-pagination__link nhsuk-pagination__link--next" href=href rel="next">
                    <span class="nhsuk-pagination__title">"Next"</span>
                    <span class="nhsuk-u-visually-hidden">":"</span>
                    <span class="nhsuk-pagination__page">{label}</span>
                </a>
            </li>
        }
    });
    let here = format!(
        "Page {} of {}: people {} to {}",
        paging.page,
        paging.pages,
        paging.before + 1,
        paging.before + shown
    );
    view! {
        <nav class="nhsuk-pagination" role="navigation" aria-label="Pages of people">
            <p class="nhsuk-body-s" data-testid="heatmap-page">{here}</p>
            <ul class="nhsuk-list nhsuk-pagination__list">{prev}{next}</ul>
        </nav>
    }
}

// ---------------------------------------------------------------------------

#[component]
pub fn OrganisationPage() -> impl IntoView {
    let q = use_query_map().get_untracked();
    let unit = q.get("unit").and_then(|v| v.trim().parse::<i32>().ok());
    let domain = q.get("domain").filter(|d| !d.is_empty());
    let load = move || {
        let domain = domain.clone();
        async move { organisation_report(unit, domain).await }
    };
    page!("/organisation", load(), |report| {
        view! { <OrgView report=report/> }
    })
}

/// The people behind one figure of the integrative-leader pipeline: HR,
/// administrators and the unit's leaders (the server decides).
#[component]
pub fn PipelinePeoplePage() -> impl IntoView {
    let q = use_query_map().get_untracked();
    let unit = q.get("unit").and_then(|v| v.trim().parse::<i32>().ok());
    let group = q.get("group").unwrap_or_default();
    let load = move || {
        let group = group.clone();
        async move {
            let Some(unit) = unit else {
                return Err(AppError::NotFound("That part of the organisation".into()));
            };
            get_pipeline_people(unit, group).await
        }
    };
    page!("/organisation", load(), |found| {
        let title = format!("{}: {}", found.group.title(), found.unit.name);
        let rows = found
            .people
            .iter()
            .map(|p| {
                // Owned values: a `Cell`'s children are a `'static` closure.
                let href = format!("/people/{}/skills", p.id);
                let name = p.name.clone();
                let job_title = p.job_title.clone().unwrap_or_else(|| "No job role".into());
                let team = p.team.clone();
                let led = format!("{} of {}", p.lead_domains, found.domains);
                let interested = if p.interested { "Yes" } else { "No" };
                view! {
                    <tr role="row" class="nhsuk-table__row">
                        <Cell head="Name"><a href=href>{name}</a></Cell>
                        <Cell head="Job title">{job_title}</Cell>
                        <Cell head="Team">{team}</Cell>
                        <Cell head="Domains led">{led}</Cell>
                        <Cell head="Interested">{interested}</Cell>
                    </tr>
                }
            })
            .collect_view();
        let count = found.people.len();
        let status = match count {
            0 => "No one here is in this group yet.".to_string(),
            1 => "1 person.".to_string(),
            n if n >= crate::team::model::PIPELINE_PEOPLE_MAX => {
                format!("The first {n} people, by family name.")
            }
            n => format!("{n} people."),
        };
        view! {
            <Title text=format!("{title} - Skillmap")/>
            <a class="nhsuk-back-link" href=format!("/organisation?unit={}#pipeline", found.unit.id)>"Back to the organisation view"</a>
            <span class="nhsuk-caption-l">"Integrative-leader pipeline"</span>
            <h1>{title}</h1>
            <p>"\u{201c}Domains led\u{201d} counts the domains where the person's level is agreed at Practitioner or above in at least one skill. \u{201c}Interested\u{201d} means they would like to develop a skill of a domain they do not lead yet."</p>
            <p role="status" data-testid="pipeline-status">{status}</p>
            {(count > 0).then(|| view! {
                <Table caption=format!("{} in {}", found.group.title(), found.unit.name) hide_caption=true headers=vec!["Name", "Job title", "Team", "Domains led", "Interested"]>
                    {rows}
                </Table>
            })}
        }
    })
}

/// How many profiles here are up to date with the review cycle: hidden for
/// fewer than `MIN_GROUP` people unless the viewer sees everything.
fn review_summary(c: crate::profile::model::ReviewCounts, sees_all: bool) -> impl IntoView {
    if c.off {
        return None;
    }
    let text = if c.hidden || (c.total < MIN_GROUP as u64 && !sees_all) {
        format!("Skills reviews: fewer than {MIN_GROUP} people here, so not shown.")
    } else {
        let pct = (c.up_to_date * 100).checked_div(c.total).unwrap_or(0);
        let mut text = format!(
            "Skills reviews: {} of {} profiles up to date ({pct}%); {} due soon, {} overdue, {} not started.",
            c.up_to_date, c.total, c.due_soon, c.overdue, c.not_started
        );
        if c.cycles_off > 0 {
            let who = if c.cycles_off == 1 {
                "1 person".to_string()
            } else {
                format!("{} people", c.cycles_off)
            };
            text.push_str(&format!(
                " Not counted: {who} of organisations with skills reviews turned off."
            ));
        }
        text
    };
    Some(view! { <p class="nhsuk-body" data-testid="review-counts">{text}</p> })
}

fn org_href(unit: i32, domain: &str) -> String {
    format!("/organisation?unit={unit}&domain={domain}")
}

fn share_cell(s: Share, head: String) -> impl IntoView {
    view! { <td role="cell" class="nhsuk-table__cell"><CellHeading head=head/>{s.text()}</td> }
}

fn stat_cell(c: StatCell, head: String) -> impl IntoView {
    if c.suppressed {
        return view! { <td role="cell" class="nhsuk-table__cell skillmap-suppressed"><CellHeading head=head/>{format!("fewer than {MIN_GROUP}")}</td> }.into_any();
    }
    let share = match c.meeting.percent() {
        Some(p) => format!("{p}% meet"),
        None => "none required".into(),
    };
    let median = c
        .median
        .map(|m| format!("median {}", level_name(m)))
        .unwrap_or_else(|| "no one assessed".into());
    view! {
        <td role="cell" class="nhsuk-table__cell">
            <CellHeading head=head/>
            <strong>{share}</strong>
            <span class="skillmap-stat__detail">{median}</span>
            <span class="skillmap-stat__detail">{format!("{} assessed", c.assessed)}</span>
        </td>
    }
    .into_any()
}

fn people_text(n: u32, suppressed: bool) -> String {
    if suppressed {
        format!("fewer than {MIN_GROUP}")
    } else {
        n.to_string()
    }
}

fn group_table(
    caption: String,
    first: &'static str,
    second: &'static str,
    rows: Vec<GroupRow>,
    first_label: &'static str,
) -> impl IntoView {
    let third = rows.iter().any(|r| r.third.is_some());
    let drills = rows.iter().any(|r| r.unit.is_some());
    let body = rows
        .into_iter()
        .map(|r| {
            let people = people_text(r.people, r.first.suppressed);
            let third_cell = third.then(|| share_cell(r.third.unwrap_or_default(), "Interested, one domain short".into()));
            let drill_cell = drills.then(|| {
                let links = r.unit.map(|u| {
                    let link = |group: &'static str, text: &'static str| {
                        view! { <a href=format!("/organisation/pipeline?unit={u}&group={group}")>{text}<span class="nhsuk-u-visually-hidden">{format!(" in {}", r.label)}</span></a> }
                    };
                    view! { {link("leaders", "Leaders")}" \u{b7} "{link("near", "Near")}" \u{b7} "{link("interested", "Interested")} }
                });
                view! { <Cell head="See the people">{links}</Cell> }
            });
            let label = if r.highlight {
                view! { <th role="rowheader" scope="row" class="nhsuk-table__header"><CellHeading head="Group"/>{r.label}<strong class="nhsuk-tag nhsuk-tag--orange skillmap-tag">{first_label}</strong></th> }.into_any()
            } else {
                view! { <th role="rowheader" scope="row" class="nhsuk-table__header"><CellHeading head="Group"/>{r.label}</th> }.into_any()
            };
            view! {
                <tr role="row" class="nhsuk-table__row">
                    {label}
                    <Cell head="People">{people}</Cell>
                    {share_cell(r.first, first.into())}
                    {share_cell(r.second, second.into())}
                    {third_cell}
                    {drill_cell}
                </tr>
            }
        })
        .collect_view();
    view! {
        <table role="table" class="nhsuk-table nhsuk-table--responsive">
            <caption class="nhsuk-table__caption nhsuk-table__caption--s">{caption}</caption>
            <thead role="rowgroup" class="nhsuk-table__head">
                <tr role="row" class="nhsuk-table__row">
                    <th role="columnheader" scope="col" class="nhsuk-table__header">"Group"</th>
                    <th role="columnheader" scope="col" class="nhsuk-table__header">"People"</th>
                    <th role="columnheader" scope="col" class="nhsuk-table__header">{first}</th>
                    <th role="columnheader" scope="col" class="nhsuk-table__header">{second}</th>
                    {third.then(|| view! { <th role="columnheader" scope="col" class="nhsuk-table__header">"Interested, one domain short"</th> })}
                    {drills.then(|| view! { <th role="columnheader" scope="col" class="nhsuk-table__header">"See the people"</th> })}
                </tr>
            </thead>
            <tbody class="nhsuk-table__body">{body}</tbody>
        </table>
    }
}

#[component]
fn OrgView(report: OrgReport) -> impl IntoView {
    let reviews = report.reviews;
    let domain = report.domain.clone();
    let domain_name = report
        .domains
        .iter()
        .find(|d| d.code == domain)
        .map(|d| d.label.clone())
        .unwrap_or_default();
    let crumbs = report
        .path
        .iter()
        .map(|u| {
            view! {
                <li class="nhsuk-breadcrumb__item"><a class="nhsuk-breadcrumb__link" href=org_href(u.id, &domain)>{u.name.clone()}</a></li>
            }
        })
        .collect_view();
    let tabs = report
        .domains
        .iter()
        .map(|d| {
            let current = d.code == domain;
            view! {
                <li><a href=org_href(report.unit.id, &d.code) aria-current=current.then_some("page")>{d.label.clone()}</a></li>
            }
        })
        .collect_view();
    let skill_heads = report
        .skills
        .iter()
        .map(|s| view! { <th role="columnheader" scope="col" class="nhsuk-table__header">{s.name.clone()}</th> })
        .collect_view();
    let unit_row = |r: super::model::UnitRow, total: bool| {
        let suppressed = r.hidden;
        let name = if total {
            view! { <th role="rowheader" scope="row" class="nhsuk-table__header"><CellHeading head="Unit"/>{format!("All of {}", r.unit.name)}</th> }.into_any()
        } else if r.has_children || r.people > 0 || r.hidden {
            view! { <th role="rowheader" scope="row" class="nhsuk-table__header"><CellHeading head="Unit"/><a href=org_href(r.unit.id, &domain)>{r.unit.name.clone()}</a></th> }.into_any()
        } else {
            view! { <th role="rowheader" scope="row" class="nhsuk-table__header"><CellHeading head="Unit"/>{r.unit.name.clone()}</th> }
                .into_any()
        };
        let people = people_text(r.people, suppressed);
        // One cell per skill of `report.skills`, headed by the skill's name.
        let cells = r
            .cells
            .into_iter()
            .zip(report.skills.iter())
            .map(|(c, s)| stat_cell(c, s.name.clone()))
            .collect_view();
        view! {
            <tr role="row" class="nhsuk-table__row">
                {name}
                <Cell head="People">{people}</Cell>
                {cells}
            </tr>
        }
    };
    let total_row = unit_row(report.total.clone(), true);
    let child_rows = report
        .children
        .clone()
        .into_iter()
        .map(|r| unit_row(r, false))
        .collect_view();
    let privacy = (!report.sees_all).then(|| view! {
        <div class="nhsuk-inset-text">
            <span class="nhsuk-u-visually-hidden">"Information: "</span>
            <p>{format!("To protect people's privacy, figures about fewer than {MIN_GROUP} people are hidden and shown as \u{201c}fewer than {MIN_GROUP}\u{201d}; where a hidden figure could be worked out from the others, the next smallest is hidden too.")}</p>
        </div>
    });
    let heatmap_link = report.leader_heatmap.map(|id| view! {
        <p><a href=format!("/team?manager={id}&all=true")>{format!("See everyone in {} on the team heatmap", report.unit.name)}</a></p>
    });
    let domain_names: Vec<String> = report.domains.iter().map(|d| d.label.clone()).collect();
    view! {
        <Title text=format!("{} - Organisation - Skillmap", report.unit.name)/>
        <nav class="nhsuk-breadcrumb" aria-label="Breadcrumb">
            <ol class="nhsuk-breadcrumb__list">{crumbs}</ol>
        </nav>
        <span class="nhsuk-caption-l">{if report.system { "System view: every organisation" } else { "Organisation view" }}</span>
        <h1>{report.unit.name.clone()}</h1>
        {privacy}
        {review_summary(reviews, report.sees_all)}
        {heatmap_link}
        <h2 id="capability">"Capability by unit"</h2>
        <p>"Per skill: the share of people whose job role requires it who meet the requirement, the median level of those who assessed it, and how many assessed it. Choose a unit to see the units within it."</p>
        <nav aria-label="Domains"><ul class="skillmap-tabs">{tabs}</ul></nav>
        <div class="skillmap-heatmap" role="region" aria-labelledby="org-caption" tabindex="0">
            <table role="table" class="nhsuk-table nhsuk-table--responsive skillmap-org-table">
                <caption id="org-caption" class="nhsuk-table__caption nhsuk-table__caption--s">{format!("{domain_name} skills by unit")}</caption>
                <thead role="rowgroup" class="nhsuk-table__head">
                    <tr role="row" class="nhsuk-table__row">
                        <th role="columnheader" scope="col" class="nhsuk-table__header">"Unit"</th>
                        <th role="columnheader" scope="col" class="nhsuk-table__header">"People"</th>
                        {skill_heads}
                    </tr>
                </thead>
                <tbody class="nhsuk-table__body">{total_row}{child_rows}</tbody>
            </table>
        </div>
        <h2 id="pipeline">"Integrative-leader pipeline"</h2>
        <p>"Integrative leaders bridge clinical, managerial and digital work: people with an agreed Practitioner level or above in at least one skill of every domain. \u{201c}Near\u{201d} means one domain short; \u{201c}interested, one domain short\u{201d} are those of them who said they would like to develop a skill of the domain they are short in: the next leaders to support."</p>
        {report.names.then(|| view! {
            <p>{format!("The people behind these figures for all of {}: ", report.unit.name)}
                <a href=format!("/organisation/pipeline?unit={}&group=leaders", report.unit.id)>"integrative leaders"</a>", "
                <a href=format!("/organisation/pipeline?unit={}&group=near", report.unit.id)>"one domain short"</a>", "
                <a href=format!("/organisation/pipeline?unit={}&group=interested", report.unit.id)>"interested, one domain short"</a>"."
            </p>
        })}
        {group_table("By unit".into(), "Integrative leaders", "Near", drill_downs(report.pipeline_units.clone(), report.names), "")}
        {group_table("By staff group".into(), "Integrative leaders", "Near", report.pipeline_groups.clone(), "")}
        <h2 id="inclusion">"Digital inclusion"</h2>
        <p>"People below Working on any foundation skill of the framework they have assessed, of those who assessed one. The groups where support is most needed are marked."</p>
        {group_table("By unit".into(), "Below Working", "Assessed", report.inclusion_units.clone(), "Most support needed")}
        {group_table("By band".into(), "Below Working", "Assessed", report.inclusion_bands.clone(), "Most support needed")}
        {group_table("By staff group".into(), "Below Working", "Assessed", report.inclusion_groups.clone(), "Most support needed")}
        <h2 id="trends">"Trends"</h2>
        <TrendChart points=report.trend.clone() domains=domain_names/>
    }
}

/// The rows, without their links to the people behind a figure for a
/// viewer who may not open them.
fn drill_downs(mut rows: Vec<GroupRow>, names: bool) -> Vec<GroupRow> {
    if !names {
        for row in &mut rows {
            row.unit = None;
        }
    }
    rows
}

const DASHES: [&str; 6] = ["", "8 4", "2 4", "12 4 2 4", "4 2", "16 4"];
const MARKS: [&str; 6] = [
    "\u{25cf}", "\u{25a0}", "\u{25b2}", "\u{25c6}", "\u{25bc}", "\u{2605}",
];

#[component]
fn TrendChart(points: Vec<TrendPoint>, domains: Vec<String>) -> impl IntoView {
    if points.is_empty() {
        return view! { <p>"No assessments yet, so there is no trend to show."</p> }.into_any();
    }
    if points.iter().all(|p| p.shares.iter().all(|s| s.suppressed)) {
        return view! { <p>{format!("The trend is hidden: it is about fewer than {MIN_GROUP} people.")}</p> }.into_any();
    }
    let (w, h, left, bottom, top, right) = (640.0_f64, 240.0_f64, 44.0, 30.0, 10.0, 150.0);
    let n = points.len();
    let x = move |i: usize| {
        if n <= 1 {
            left + (w - left - right) / 2.0
        } else {
            left + (w - left - right) * i as f64 / (n - 1) as f64
        }
    };
    let y = move |p: u32| top + (h - top - bottom) * (1.0 - f64::from(p) / 100.0);
    let grid = [0u32, 25, 50, 75, 100]
        .into_iter()
        .map(|p| {
            view! {
                <line x1=left x2=w - right y1=y(p) y2=y(p) class="skillmap-chart__grid"/>
                <text x=left - 6.0 y=y(p) + 4.0 text-anchor="end" class="skillmap-chart__label">{format!("{p}%")}</text>
            }
        })
        .collect_view();
    let month_labels = points
        .iter()
        .enumerate()
        .filter(|(i, _)| n <= 6 || i % 2 == 0 || *i == n - 1)
        .map(|(i, p)| view! { <text x=x(i) y=h - 8.0 text-anchor="middle" class="skillmap-chart__label">{p.month.clone()}</text> })
        .collect_view();
    let lines = domains
        .iter()
        .enumerate()
        .map(|(d, name)| {
            let coords: Vec<(f64, f64)> = points
                .iter()
                .enumerate()
                .filter_map(|(i, p)| p.shares.get(d).and_then(|s| s.percent()).map(|v| (x(i), y(v))))
                .collect();
            let path = coords
                .iter()
                .map(|(a, b)| format!("{a:.1},{b:.1}"))
                .collect::<Vec<_>>()
                .join(" ");
            let last = coords.last().copied();
            let marks = coords
                .iter()
                .map(|(a, b)| view! { <text x=*a y=*b + 4.0 text-anchor="middle" class=format!("skillmap-chart__mark skillmap-chart__series-{}", d % MARKS.len())>{MARKS[d % MARKS.len()]}</text> })
                .collect_view();
            view! {
                <polyline points=path fill="none" stroke-dasharray=DASHES[d % DASHES.len()] class=format!("skillmap-chart__line skillmap-chart__series-{}", d % MARKS.len())/>
                {marks}
                {last.map(|(a, b)| view! { <text x=a + 8.0 y=b + 4.0 class="skillmap-chart__label">{format!("{} {name}", MARKS[d % MARKS.len()])}</text> })}
            }
        })
        .collect_view();
    let heads = domains
        .iter()
        .enumerate()
        .map(|(d, name)| view! { <th role="columnheader" scope="col" class="nhsuk-table__header">{format!("{} {name}", MARKS[d % MARKS.len()])}</th> })
        .collect_view();
    let rows = points
        .iter()
        .map(|p| {
            // One share per domain of `domains`, headed as its column is.
            let cells = p
                .shares
                .iter()
                .zip(domains.iter())
                .enumerate()
                .map(|(d, (s, name))| share_cell(*s, format!("{} {name}", MARKS[d % MARKS.len()])))
                .collect_view();
            view! { <tr role="row" class="nhsuk-table__row"><th role="rowheader" scope="row" class="nhsuk-table__header"><CellHeading head="Month"/>{p.month.clone()}</th>{cells}</tr> }
        })
        .collect_view();
    view! {
        <p id="trend-desc">"The share of role requirements met, per domain, at the end of each month. The table below the chart gives the same figures."</p>
        <svg class="skillmap-chart" viewBox=format!("0 0 {w} {h}") role="img" aria-labelledby="trend-title" aria-describedby="trend-desc">
            <title id="trend-title">"Share of requirements met by month, per domain"</title>
            {grid}
            {month_labels}
            {lines}
        </svg>
        <table role="table" class="nhsuk-table nhsuk-table--responsive">
            <caption class="nhsuk-table__caption nhsuk-table__caption--s">"Share of requirements met by month"</caption>
            <thead role="rowgroup" class="nhsuk-table__head"><tr role="row" class="nhsuk-table__row"><th role="columnheader" scope="col" class="nhsuk-table__header">"Month"</th>{heads}</tr></thead>
            <tbody class="nhsuk-table__body">{rows}</tbody>
        </table>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::team::model::{HeatRow, HeatSkill};

    #[test]
    fn rows_are_written_escaped_with_every_cell() {
        let skill = |code: &str| HeatSkill {
            code: code.into(),
            name: code.into(),
            domain_code: "DIG".into(),
            domain_name: "Digital".into(),
        };
        let map = Heatmap {
            manager_id: 1,
            manager_name: "M".into(),
            query: HeatQuery::default(),
            team_size: 1,
            paging: HeatPaging::default(),
            skills: vec![skill("DIG-FOUND"), skill("DAT-LIT")],
            rows: vec![HeatRow {
                person_id: 7,
                name: "Ann <b>O'Neil</b> & co".into(),
                role_code: None,
                role_title: None,
                cells: vec![
                    Cell {
                        level: Some(1),
                        agreed: false,
                        required: Some(3),
                        essential: true,
                    },
                    Cell::default(),
                ],
            }],
            domains: vec![],
            roles: vec![],
            interested: None,
        };
        let html = body_rows(&map);
        assert!(
            html.contains(
                "<a href=\"/people/7/skills\">Ann &lt;b&gt;O&#39;Neil&lt;/b&gt; &amp; co</a>"
            ),
            "{html}"
        );
        assert!(html.contains("No job role"), "{html}");
        assert!(html.contains(
            "<td class=\"skillmap-cell skillmap-gap--two skillmap-cell--unagreed\">\
             <a href=\"/people/7/skills#review-DIG-FOUND\"><span aria-hidden=\"true\">Aw* \u{25bc}</span>\
             <span class=\"nhsuk-u-visually-hidden\">Awareness, self-assessed, not yet agreed; \
             role essentially needs Practitioner: two or more levels short</span></a></td>"
        ), "{html}");
        // Not assessed: a link to the profile, not to a review.
        assert!(
            html.contains(
                "<td class=\"skillmap-cell skillmap-gap--none\"><a href=\"/people/7/skills\">\
             <span aria-hidden=\"true\">\u{2013} </span>"
            ),
            "{html}"
        );
        assert_eq!(html.matches("<td class=\"skillmap-cell").count(), 2);
        assert!(html.starts_with("<tr>") && html.ends_with("</tr>"));
    }
}
