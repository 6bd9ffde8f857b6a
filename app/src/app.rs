//! The HTML shell and the one route table.

use leptos::prelude::*;
use leptos_meta::{MetaTags, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::audit::view::{AuditTrailPage, JobsPage};
use crate::auth::api::whoami;
use crate::auth::view::{AccountsPage, LoginPage, SetPasswordPage};
use crate::error::AppError;
use crate::expertise::view::{FindPage, InterestsPage};
use crate::framework::view::{FrameworkAdminPage, FrameworkPage, ImportPreviewPage};
use crate::home::view::HomePage;
use crate::import::view::{ImportHistoryPage, ImportJobPage, ImportPage};
use crate::notifications::view::{InboxPage, PreferencesPage};
use crate::pathways::view::{
    CataloguePage, MyLearningPage, ResourceEditPage, TeamLearningPage, UptakePage,
};
use crate::people::view::{MovePage, PeoplePage, PersonPage};
use crate::privacy::view::{ErasePage, MyDataPage, PassportPage, RetentionPage};
use crate::profile::view::{
    AssessSkillPage, GapsPage, HistoryPage, MySkillsPage, PersonSkillsPage, ReviewCyclePage,
    ReviewsPage, SkillsReviewPage,
};
use crate::recognition::view::{
    AwardKindsPage, GivePage, MyRecognitionPage, PersonRecognitionPage, RecognisePage,
    RecognitionReportPage, TeamRecognitionPage, VerifyPage,
};
use crate::roles::view::{NewRolePage, RolePage, RolesPage};
use crate::team::view::{OrganisationPage, PipelinePeoplePage, TeamPage};
use crate::ui::{ErrorPage, Layout, SiteAssets};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/assets/images/favicon.svg" type="image/svg+xml"/>
                <SiteAssets options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Every page renders completely on the server before it is sent
/// (`SsrMode::Async`), so each works with JavaScript off; islands add the
/// interactive parts.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=HomePage ssr=SsrMode::Async/>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/set-password") view=SetPasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/people") view=PeoplePage ssr=SsrMode::Async/>
                <Route path=path!("/people/:id") view=PersonPage ssr=SsrMode::Async/>
                <Route path=path!("/people/:id/erase") view=ErasePage ssr=SsrMode::Async/>
                <Route path=path!("/people/:id/move") view=MovePage ssr=SsrMode::Async/>
                <Route path=path!("/my-data") view=MyDataPage ssr=SsrMode::Async/>
                <Route path=path!("/my-data/passport/:id") view=PassportPage ssr=SsrMode::Async/>
                <Route path=path!("/notifications") view=InboxPage ssr=SsrMode::Async/>
                <Route path=path!("/notifications/settings") view=PreferencesPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/jobs") view=JobsPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/retention") view=RetentionPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/accounts") view=AccountsPage ssr=SsrMode::Async/>
                <Route path=path!("/framework") view=FrameworkPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/framework") view=FrameworkAdminPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/framework/imports/:id") view=ImportPreviewPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/import") view=ImportPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/import/history") view=ImportHistoryPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/import/:id") view=ImportJobPage ssr=SsrMode::Async/>
                <Route path=path!("/roles") view=RolesPage ssr=SsrMode::Async/>
                <Route path=path!("/roles/new") view=NewRolePage ssr=SsrMode::Async/>
                <Route path=path!("/roles/:id") view=RolePage ssr=SsrMode::Async/>
                <Route path=path!("/skills") view=MySkillsPage ssr=SsrMode::Async/>
                <Route path=path!("/skills/review") view=SkillsReviewPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/reviews") view=ReviewCyclePage ssr=SsrMode::Async/>
                <Route path=path!("/skills/gaps") view=GapsPage ssr=SsrMode::Async/>
                <Route path=path!("/skills/history") view=HistoryPage ssr=SsrMode::Async/>
                <Route path=path!("/skills/interests") view=InterestsPage ssr=SsrMode::Async/>
                <Route path=path!("/skills/:code") view=AssessSkillPage ssr=SsrMode::Async/>
                <Route path=path!("/team/reviews") view=ReviewsPage ssr=SsrMode::Async/>
                <Route path=path!("/team") view=TeamPage ssr=SsrMode::Async/>
                <Route path=path!("/organisation") view=OrganisationPage ssr=SsrMode::Async/>
                <Route path=path!("/organisation/pipeline") view=PipelinePeoplePage ssr=SsrMode::Async/>
                <Route path=path!("/find") view=FindPage ssr=SsrMode::Async/>
                <Route path=path!("/team/learning") view=TeamLearningPage ssr=SsrMode::Async/>
                <Route path=path!("/learning") view=MyLearningPage ssr=SsrMode::Async/>
                <Route path=path!("/learning/catalogue") view=CataloguePage ssr=SsrMode::Async/>
                <Route path=path!("/learning/catalogue/new") view=ResourceEditPage ssr=SsrMode::Async/>
                <Route path=path!("/learning/catalogue/:id") view=ResourceEditPage ssr=SsrMode::Async/>
                <Route path=path!("/learning/uptake") view=UptakePage ssr=SsrMode::Async/>
                <Route path=path!("/recognition") view=MyRecognitionPage ssr=SsrMode::Async/>
                // The page's first address, kept for links already shared.
                <Route path=path!("/badges") view=MyRecognitionPage ssr=SsrMode::Async/>
                <Route path=path!("/recognition/report") view=RecognitionReportPage ssr=SsrMode::Async/>
                <Route path=path!("/recognise") view=RecognisePage ssr=SsrMode::Async/>
                <Route path=path!("/recognise/:id") view=GivePage ssr=SsrMode::Async/>
                <Route path=path!("/team/recognition") view=TeamRecognitionPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/awards") view=AwardKindsPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/audit") view=AuditTrailPage ssr=SsrMode::Async/>
                <Route path=path!("/people/:id/recognition") view=PersonRecognitionPage ssr=SsrMode::Async/>
                <Route path=path!("/people/:id/badges") view=PersonRecognitionPage ssr=SsrMode::Async/>
                <Route path=path!("/verify") view=VerifyPage ssr=SsrMode::Async/>
                <Route path=path!("/people/:id/skills") view=PersonSkillsPage ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    let user = Resource::new(|| (), |_| whoami());
    view! {
        <leptos_meta::Title text="Page not found - Skillmap"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let user = user.await.ok().flatten();
                view! {
                    <Layout user=user current="">
                        <ErrorPage error=AppError::NotFound("The page you asked for".into())/>
                    </Layout>
                }
            })}
        </Suspense>
    }
}

/// The server functions anyone may call without signing in: each says
/// why where it is defined (a `public_endpoint:` comment). Everything else
/// answers 401 to an anonymous caller before anything about its input.
pub fn is_public_server_fn(path: &str) -> bool {
    use leptos::server_fn::ServerFn;
    [
        crate::auth::api::Login::PATH,
        crate::auth::api::Whoami::PATH,
        crate::auth::api::SetPassword::PATH,
        crate::auth::api::SignInChoices::PATH,
        crate::recognition::api::VerifyCredential::PATH,
    ]
    .contains(&path)
}
