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
    links.push(NavLink::new("/find", "Find expertise"));
    if user.role == Role::Manager {
        links.push(NavLink::new("/team/reviews", "Levels to agree"));
    }
    if user.is_one_of(&[Role::Manager, Role::Hr, Role::Admin]) {
        links.push(NavLink::new("/team", "Team capability"));
        links.push(NavLink::new("/organisation", "Organisation"));
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
    if user.role == Role::Admin {
        links.push(NavLink::new("/admin/accounts", "Accounts"));
        links.push(NavLink::new("/admin/framework", "Manage framework"));
        links.push(NavLink::new("/admin/awards", "Award kinds"));
        links.push(NavLink::new("/admin/reviews", "Review cycle"));
        links.push(NavLink::new("/admin/jobs", "Background jobs"));
    }
    links
}

/// The header navigation. On narrow screens it folds behind a "Menu" button
/// once the page is interactive; without JavaScript it simply stays open.
#[island]
pub fn PrimaryNav(links: Vec<NavLink>, current: String) -> impl IntoView {
    let open = RwSignal::new(true);
    let hydrated = RwSignal::new(false);
    // Effects run only in the browser: fold the menu and mark the page as
    // interactive (the browser tests wait for this).
    Effect::new(move |_| {
        open.set(false);
        hydrated.set(true);
    });
    let items = links
        .into_iter()
        .map(|link| {
            let is_current = link.href == current;
            view! {
                <li class="nhsuk-header__navigation-item" class:nhsuk-header__navigation-item--current=is_current>
                    <a
                        class="nhsuk-header__navigation-link"
                        href=link.href
                        aria-current=is_current.then_some("page")
                    >
                        {link.label}
                    </a>
                </li>
            }
        })
        .collect_view();
    view! {
        <nav
            class="nhsuk-header__navigation skillmap-nav"
            aria-label="Menu"
            data-hydrated=move || if hydrated.get() { "true" } else { "false" }
        >
            <div class="nhsuk-header__navigation-container nhsuk-width-container">
                <button
                    class="skillmap-nav__toggle"
                    type="button"
                    aria-controls="primary-navigation"
                    aria-expanded=move || if open.get() { "true" } else { "false" }
                    on:click=move |_| open.update(|o| *o = !*o)
                >
                    "Menu"
                </button>
                <ul
                    class="nhsuk-header__navigation-list skillmap-nav__list"
                    class:skillmap-nav__list--folded=move || !open.get()
                    id="primary-navigation"
                >
                    {items}
                </ul>
            </div>
        </nav>
    }
}
