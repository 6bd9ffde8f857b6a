//! Email: the letters (plain text and HTML, in the NHS.UK style), and
//! sending them over SMTP from the queue. A letter says only what its
//! recipient may see in Skillmap, links to the page to act on, and says how
//! to change what they get.

use std::time::Duration;

use chrono::Utc;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::model::Kind;
use super::service::email_state;
use crate::entities::{account, notification, person};
use crate::kernel::settings::{SmtpSettings, SmtpTls};

/// Where preferences are changed: every letter links to it.
pub const PREFERENCES_PATH: &str = "/notifications/settings";

/// Why a letter was not sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later (the server is down, busy, or said 4xx).
    #[error("{0}")]
    Transient(String),
    /// Trying again will not help (the server said 5xx, or the address is
    /// not one).
    #[error("{0}")]
    Permanent(String),
}

impl From<sea_orm::DbErr> for SendError {
    fn from(e: sea_orm::DbErr) -> Self {
        SendError::Transient(format!("database: {e}"))
    }
}

/// The mail server, with a pool of connections.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// For Message-IDs: the sender's domain.
    domain: String,
}

impl Mailer {
    pub fn new(s: &SmtpSettings) -> Result<Self, String> {
        let from: Mailbox = s
            .from
            .parse()
            .map_err(|e| format!("SKILLMAP_MAIL_FROM {:?}: {e}", s.from))?;
        let builder = match s.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
            SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host)
                .map_err(|e| format!("SKILLMAP_SMTP_HOST {:?}: {e}", s.host))?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host)
                .map_err(|e| format!("SKILLMAP_SMTP_HOST {:?}: {e}", s.host))?,
        };
        let mut builder = builder.port(s.port).timeout(Some(Duration::from_secs(30)));
        if let (Some(user), Some(password)) = (&s.username, &s.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Self {
            transport: builder.build(),
            domain: from.email.domain().to_string(),
            from,
        })
    }

    /// Sends one letter. Its Message-ID is fixed by the caller, so that the
    /// rare letter sent twice (Skillmap stopped after the server took it,
    /// before recording that) is one message to the recipient's mail
    /// system.
    pub async fn send(
        &self,
        to_address: &str,
        to_name: &str,
        letter: &Letter,
        message_id: &str,
    ) -> Result<(), SendError> {
        let address = to_address
            .parse()
            .map_err(|e| SendError::Permanent(format!("not an email address: {e}")))?;
        let name = Some(to_name.trim().to_string()).filter(|n| !n.is_empty());
        let message = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(name, address))
            .subject(letter.subject.clone())
            .message_id(Some(format!("<{message_id}@{}>", self.domain)))
            .multipart(MultiPart::alternative_plain_html(
                letter.text.clone(),
                letter.html.clone(),
            ))
            .map_err(|e| SendError::Permanent(format!("could not build the message: {e}")))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            Err(e) => Err(SendError::Transient(e.to_string())),
        }
    }
}

/// A letter ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// One notice as a letter says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub title: String,
    pub body: String,
    /// A local path.
    pub link: String,
}

/// The letter for one notice. `extra` is a further paragraph with a link of
/// its own (a welcome's set-password link).
pub fn letter(base: &str, name: &str, item: &Item, extra: Option<(&str, &str)>) -> Letter {
    let url = format!("{base}{}", item.link);
    let prefs = format!("{base}{PREFERENCES_PATH}");
    let greeting = greeting(name);
    let mut text = format!("{greeting}\n\n{}\n\n{}\n\n", item.title, item.body);
    let mut html_body = format!(
        "<h1 style=\"{H1}\">{}</h1><p style=\"{P}\">{}</p>",
        escape(&item.title),
        escape(&item.body)
    );
    match extra {
        Some((words, link)) => {
            text.push_str(&format!("{words}\n{link}\n\n"));
            html_body.push_str(&format!(
                "<p style=\"{P}\">{}</p>{}",
                escape(words),
                button(link, "Choose your password")
            ));
        }
        None => {
            text.push_str(&format!("Open Skillmap: {url}\n\n"));
            html_body.push_str(&button(&url, "Open in Skillmap"));
        }
    }
    text.push_str(&footer_text(&prefs));
    Letter {
        subject: item.title.clone(),
        text,
        html: page(&greeting, &html_body, &prefs),
    }
}

/// The daily digest: every notice since the last one, in one letter.
pub fn digest(base: &str, name: &str, items: &[Item]) -> Letter {
    let prefs = format!("{base}{PREFERENCES_PATH}");
    let greeting = greeting(name);
    let count = items.len();
    let subject = if count == 1 {
        "Skillmap: 1 new notification".to_string()
    } else {
        format!("Skillmap: {count} new notifications")
    };
    let mut text =
        format!("{greeting}\n\nHere is what happened in Skillmap since your last summary.\n\n");
    let mut html_body = format!(
        "<h1 style=\"{H1}\">{}</h1><p style=\"{P}\">Here is what happened in Skillmap since your last summary.</p>",
        escape(&subject)
    );
    for item in items {
        let url = format!("{base}{}", item.link);
        text.push_str(&format!("- {}\n  {}\n  {url}\n\n", item.title, item.body));
        html_body.push_str(&format!(
            "<h2 style=\"{H2}\"><a style=\"{A}\" href=\"{}\">{}</a></h2><p style=\"{P}\">{}</p>",
            escape(&url),
            escape(&item.title),
            escape(&item.body)
        ));
    }
    let inbox = format!("{base}/notifications");
    text.push_str(&format!("All your notifications: {inbox}\n\n"));
    html_body.push_str(&button(&inbox, "See all your notifications"));
    text.push_str(&footer_text(&prefs));
    Letter {
        subject,
        text,
        html: page(&greeting, &html_body, &prefs),
    }
}

fn greeting(name: &str) -> String {
    match name.trim() {
        "" => "Hello,".to_string(),
        name => format!("Dear {name},"),
    }
}

fn footer_text(prefs: &str) -> String {
    format!(
        "You get this email because you have a Skillmap account. To choose what you get email about, or to get one summary a day, go to {prefs}\n"
    )
}

const H1: &str = "font-size:28px;line-height:1.2;margin:0 0 16px;color:#212b32";
const H2: &str = "font-size:20px;line-height:1.3;margin:24px 0 8px";
const P: &str = "font-size:19px;line-height:1.5;margin:0 0 16px;color:#212b32";
const A: &str = "color:#005eb8";

/// A link styled as the NHS.UK button (a link, so it works in every client).
fn button(href: &str, label: &str) -> String {
    format!(
        "<p style=\"margin:24px 0\"><a href=\"{}\" style=\"display:inline-block;background:#007f3b;color:#ffffff;font-size:19px;font-weight:600;padding:12px 16px;text-decoration:none;border-radius:4px;box-shadow:0 4px 0 #00401e\">{}</a></p>",
        escape(href),
        escape(label)
    )
}

/// The NHS.UK frame: a blue header, the content, a grey footer.
fn page(greeting: &str, body: &str, prefs: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>Skillmap</title></head>\
<body style=\"margin:0;background:#f0f4f5;font-family:Frutiger W01,Arial,sans-serif\">\
<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\"><tr><td style=\"background:#005eb8;padding:16px 24px\">\
<span style=\"color:#ffffff;font-size:24px;font-weight:700\">Skillmap</span></td></tr>\
<tr><td style=\"background:#ffffff;padding:24px\"><p style=\"{P}\">{}</p>{body}</td></tr>\
<tr><td style=\"padding:16px 24px;font-size:16px;line-height:1.5;color:#4c6272\">You get this email because you have a Skillmap account. \
<a style=\"{A}\" href=\"{}\">Choose what you get email about</a>, or get one summary a day.</td></tr></table></body></html>",
        escape(greeting),
        escape(prefs)
    )
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Who a letter goes to: their address and name, unless the account is
/// gone or disabled.
async fn recipient(
    db: &impl ConnectionTrait,
    account_id: i32,
) -> Result<Option<(String, String, bool)>, SendError> {
    let Some(a) = account::Entity::find_by_id(account_id).one(db).await? else {
        return Ok(None);
    };
    if a.disabled {
        return Ok(None);
    }
    let name = match a.person_id {
        Some(p) => person::Entity::find_by_id(p)
            .one(db)
            .await?
            .map(|p| crate::people::model::full_name(&p.given_name, &p.family_name))
            .unwrap_or_default(),
        None => String::new(),
    };
    Ok(Some((a.email, name, a.password_hash.is_empty())))
}

async fn set_state(
    db: &impl ConnectionTrait,
    ids: &[i32],
    from: &str,
    to: &str,
) -> Result<(), SendError> {
    let mut q = notification::Entity::update_many()
        .col_expr(notification::Column::EmailState, Expr::value(to))
        .filter(notification::Column::Id.is_in(ids.iter().copied()))
        .filter(notification::Column::EmailState.eq(from));
    if to == email_state::SENT {
        q = q.col_expr(
            notification::Column::EmailedAt,
            Expr::value(Some(Utc::now())),
        );
    }
    q.exec(db).await?;
    Ok(())
}

/// How a welcome letter says to sign in the first time.
pub enum FirstSignIn {
    /// A set-password link, made when the letter is sent.
    Link(String),
    /// Single sign-on: the sign-in page.
    SignInPage,
}

/// Sends the email of one notice, unless it went already (a job may run
/// twice) or is no longer wanted. `first_sign_in` is asked, only for a
/// welcome to an account with no password, how the letter should say to
/// sign in.
pub async fn send_notice<C, F, Fut>(
    db: &C,
    mailer: &Mailer,
    base: &str,
    id: i32,
    first_sign_in: F,
) -> Result<(), SendError>
where
    C: ConnectionTrait,
    F: FnOnce(i32) -> Fut,
    Fut: std::future::Future<Output = Result<FirstSignIn, SendError>>,
{
    let Some(n) = notification::Entity::find_by_id(id).one(db).await? else {
        return Ok(());
    };
    // Sent already (a job run twice), or not to be sent. A failed one is
    // sent when an administrator tries its job again.
    let from = n.email_state.clone();
    if from != email_state::QUEUED && from != email_state::FAILED {
        return Ok(());
    }
    let Some((address, name, no_password)) = recipient(db, n.account_id).await? else {
        set_state(db, &[id], &from, email_state::NONE).await?;
        return Ok(());
    };
    let item = Item {
        title: n.title,
        body: n.body,
        link: n.link,
    };
    let letter = if Kind::parse(&n.kind) == Some(Kind::Welcome) && no_password {
        match first_sign_in(n.account_id).await? {
            FirstSignIn::Link(url) => letter(
                base,
                &name,
                &item,
                Some((
                    "To sign in for the first time, choose your password with this link. It works once, for 14 days, and only for you: do not forward this email.",
                    &url,
                )),
            ),
            FirstSignIn::SignInPage => letter(base, &name, &item, None),
        }
    } else {
        letter(base, &name, &item, None)
    };
    let message_id = format!("notice-{id}.{}", n.created_at.timestamp());
    mailer.send(&address, &name, &letter, &message_id).await?;
    set_state(db, &[id], &from, email_state::SENT).await
}

/// A notice whose email will never go (its job is dead).
pub async fn mark_failed(db: &impl ConnectionTrait, id: i32) -> Result<(), SendError> {
    set_state(db, &[id], email_state::QUEUED, email_state::FAILED).await
}

/// Sends one person's digest of everything waiting for it.
pub async fn send_digest(
    db: &impl ConnectionTrait,
    mailer: &Mailer,
    base: &str,
    account_id: i32,
) -> Result<usize, SendError> {
    let waiting = notification::Entity::find()
        .filter(notification::Column::AccountId.eq(account_id))
        .filter(notification::Column::EmailState.eq(email_state::DIGEST))
        .order_by_asc(notification::Column::Id)
        .limit(100)
        .all(db)
        .await?;
    if waiting.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i32> = waiting.iter().map(|n| n.id).collect();
    let Some((address, name, _)) = recipient(db, account_id).await? else {
        set_state(db, &ids, email_state::DIGEST, email_state::NONE).await?;
        return Ok(0);
    };
    let items: Vec<Item> = waiting
        .into_iter()
        .map(|n| Item {
            title: n.title,
            body: n.body,
            link: n.link,
        })
        .collect();
    let letter = digest(base, &name, &items);
    let last = ids.last().copied().unwrap_or_default();
    mailer
        .send(
            &address,
            &name,
            &letter,
            &format!("digest-{account_id}.{last}"),
        )
        .await?;
    set_state(db, &ids, email_state::DIGEST, email_state::SENT).await?;
    Ok(ids.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_letter_escapes_what_people_wrote_and_links_to_the_page_and_preferences() {
        let item = Item {
            title: "Sam endorsed you".into(),
            body: "For <b>data</b> & \"care\"".into(),
            link: "/recognition".into(),
        };
        let l = letter("https://skillmap.example", "Jo Bloggs", &item, None);
        assert_eq!(l.subject, "Sam endorsed you");
        assert!(l.text.starts_with("Dear Jo Bloggs,"));
        assert!(l.text.contains("https://skillmap.example/recognition"));
        assert!(
            l.text
                .contains("https://skillmap.example/notifications/settings")
        );
        assert!(
            l.html
                .contains("For &lt;b&gt;data&lt;/b&gt; &amp; &quot;care&quot;")
        );
        assert!(!l.html.contains("<b>data"));
        assert!(
            l.html
                .contains("href=\"https://skillmap.example/recognition\"")
        );
    }

    #[test]
    fn a_digest_lists_every_notice() {
        let items = vec![
            Item {
                title: "One".into(),
                body: "a".into(),
                link: "/a".into(),
            },
            Item {
                title: "Two".into(),
                body: "b".into(),
                link: "/b".into(),
            },
        ];
        let l = digest("http://x", "", &items);
        assert_eq!(l.subject, "Skillmap: 2 new notifications");
        assert!(l.text.starts_with("Hello,"));
        assert!(l.text.contains("http://x/a") && l.text.contains("http://x/b"));
    }
}
