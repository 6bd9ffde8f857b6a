use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// None for a system-level account (the ICS workforce lead).
    pub organisation_id: Option<i32>,
    /// Lower-cased.
    #[sea_orm(unique)]
    pub email: String,
    /// PHC string (argon2id).
    pub password_hash: String,
    /// "staff", "manager", "hr" or "admin".
    pub role: String,
    pub disabled: bool,
    pub person_id: Option<i32>,
    pub created_at: DateTimeUtc,
    pub last_login_at: Option<DateTimeUtc>,
    /// When it was last disabled (none while enabled, and for accounts
    /// disabled before this was recorded).
    pub disabled_at: Option<DateTimeUtc>,
    /// An administrator who may sign in with a password when password
    /// sign-in is off for everyone else.
    pub break_glass: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
