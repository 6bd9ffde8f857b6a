use leptos::prelude::*;

use serde::{Deserialize, Serialize};

use crate::auth::model::{CurrentUser, Role};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NavLink {
    pub href: String,
    pub label: String,
}

impl NavLink {
    fn new(href: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            href: href.into(),
            label: label.into(),
        }
    }
}

/// The navigation a role sees. Only pages the role may open are listed.
pub fn nav_for(user: &CurrentUser) -> Vec<NavLink> {
    let mut links = vec![NavLink::new("/", "Home")];
    if user.person_id.is_some() {
        links.push(NavLink::new("/skills", "My skills"));
        links.push(NavLink::new("/learning", "My learning"));
        links.push(NavLink::new("/recognition", "My recognition"));
    }
    // Finding people is within one's own organisation: a system account
    // has none.
    if user.organisation_id.is_some() {
        links.push(NavLink::new("/find", "Find expertise"));
    }
    if user.role == Role::Manager {
        links.push(NavLink::new("/team/reviews", "Levels to agree"));
    }
    if user.is_one_of(&[Role::Manager, Role::Hr, Role::Admin]) {
        links.push(NavLink::new("/team", "Team capability"));
        links.push(NavLink::new("/organisation", "Organisation"));
    }
    if user.role == Role::Lead {
        links.push(NavLink::new("/organisation", "The system"));
    }
    if user.is_one_of(&[Role::Hr, Role::Admin]) {
        links.push(NavLink::new("/people", "People"));
        links.push(NavLink::new("/roles", "Job roles"));
        links.push(NavLink::new("/admin/import", "Import"));
        links.push(NavLink::new("/learning/catalogue", "Learning catalogue"));
        links.push(NavLink::new("/recognition/report", "Recognition"));
        links.push(NavLink::new("/admin/audit", "Audit trail"));
    }
    links.push(NavLink::new("/framework", "Framework"));
    // The workforce lead looks after the shared framework.
    if user.role == Role::Lead {
        links.push(NavLink::new("/admin/framework", "Manage framework"));
    }
    if user.role == Role::Admin {
        links.push(NavLink::new("/admin/accounts", "Accounts"));
        links.push(NavLink::new("/admin/framework", "Manage framework"));
        links.push(NavLink::new("/admin/awards", "Award kinds"));
        links.push(NavLink::new("/admin/reviews", "Review cycle"));
        links.push(NavLink::new("/admin/jobs", "Background jobs"));
    }
    links
}

/// The header navigation, with no wasm: on wide screens a row of links; on
/// narrow ones the same links folded under a "Menu" disclosure (`<details>`,
/// which browsers open and close from the keyboard and announce as
/// expanded or collapsed by themselves). Only one of the two is displayed
/// at a time (style/main.css), so a screen reader meets one list.
#[component]
pub fn PrimaryNav(links: Vec<NavLink>, current: String) -> impl IntoView {
    let items = move || {
        links
            .iter()
            .map(|link| {
                let is_current = link.href == current;
                view! {
                    <li class="nhsuk-header__navigation-item" class:nhsuk-header__navigation-item--current=is_current>
                        <a
                            class="nhsuk-header__navigation-link"
                            href=link.href.clone()
                            aria-current=is_current.then_some("page")
                        >
                            {link.label.clone()}
                        </a>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <nav class="nhsuk-header__navigation skillmap-nav" aria-label="Menu">
            <div class="nhsuk-header__navigation-container nhsuk-width-container">
                <ul class="nhsuk-header__navigation-list skillmap-nav__wide">{items()}</ul>
                <details class="skillmap-nav__narrow">
                    <summary class="skillmap-nav__toggle">"Menu"</summary>
                    <ul class="nhsuk-header__navigation-list skillmap-nav__list" id="primary-navigation">
                        {items()}
                    </ul>
                </details>
            </div>
        </nav>
    }
}
