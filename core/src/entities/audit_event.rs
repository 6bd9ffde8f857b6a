use sea_orm::entity::prelude::*;

/// One line of the audit trail. Append-only: the database refuses updates
/// and deletes, but for setting `ip` to null (erasing a person forgets the
/// addresses their account used). Ids only, so erasing a person leaves no
/// personal data here.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The organisation whose data the event concerns; none for the
    /// deployment itself.
    pub organisation_id: Option<i32>,
    pub at: DateTimeUtc,
    /// The signed-in account that acted; none for the system or a stranger.
    pub actor_id: Option<i32>,
    /// An `audit::model::Action` code.
    pub action: String,
    pub target_kind: Option<String>,
    pub target_id: Option<i32>,
    /// What changed, in the application's own words (codes, counts, field
    /// names): never text a user typed.
    pub detail: String,
    pub ip: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
