//! Shared components in the NHS.UK frontend style.

mod assets;
mod form;
mod layout;
mod menu;

pub use assets::{AssetNames, SiteAssets};
pub use form::{
    Cell, CellHeading, ErrorSummary, FieldErrorMessage, SelectField, Table, TextField, group_class,
    url_error,
};
pub use layout::{ErrorPage, Layout, Row};
pub use menu::{NavLink, PrimaryNav, nav_for};

/// A signed-in page: on the server, loads the user (for the layout) and the
/// page's data, then shows `body` in the layout, or the error page. The call
/// site imports `Layout`, `ErrorPage` and `whoami`.
///
/// `page!(current, load, |data| body)`, or `|user, data|` to use the user
/// (an `Option<CurrentUser>`) in the body; `current` (the navigation entry
/// to mark) may use the user too.
macro_rules! page {
    ($current:expr, $data:expr, |$value:ident| $body:expr) => {
        $crate::ui::page!($current, $data, |_user, $value| $body)
    };
    ($current:expr, $data:expr, |$user:ident, $value:ident| $body:expr) => {{
        let user_resource = Resource::new(|| (), |_| whoami());
        let data = Resource::new(|| (), move |_| $data);
        view! {
            <Suspense fallback=|| view! { <p>"Loading..."</p> }>
                {move || Suspend::new(async move {
                    let $user = user_resource.await.ok().flatten();
                    let body = match data.await {
                        Ok($value) => $body.into_any(),
                        Err(e) => view! {
                            <leptos_meta::Title text="Problem - Skillmap"/>
                            <ErrorPage error=e/>
                        }
                        .into_any(),
                    };
                    let current = $current;
                    view! { <Layout user=$user current=current>{body}</Layout> }
                })}
            </Suspense>
        }
    }};
}
pub(crate) use page;
