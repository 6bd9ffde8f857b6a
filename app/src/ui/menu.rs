use leptos::prelude::*;

use super::layout::NavLink;

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
