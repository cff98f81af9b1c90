//! Leads: the organisation's data, edited in the dashboard and through the API.

#[cfg(feature = "ssr")]
pub mod data;
pub mod domain;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::web::forms::{finish, Then};
use domain::{Lead, LeadDraft};

pub const LEADS_PAGE_SIZE: i64 = 25;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadsPage {
    pub leads: Vec<Lead>,
    pub next_before: Option<i64>,
}

#[cfg(feature = "ssr")]
async fn member() -> Result<(crate::platform::Platform, crate::auth::session::OrgScope), AppError> {
    let granted = crate::auth::session::guard(crate::auth::session::Need::Member).await?;
    Ok((granted.state, granted.org))
}

#[server(input = Json)]
pub async fn list_leads(q: String, before: Option<i64>) -> Result<LeadsPage, AppError> {
    let (state, org) = member().await?;
    let org = org.id;
    let q = domain::SearchText::parse(&q).map_err(|e| AppError::Validation(vec![e]))?;
    let filter = domain::LeadFilter {
        q,
        before_id: before,
        ..Default::default()
    };
    let mut leads = data::list(&state.db, org, &filter, LEADS_PAGE_SIZE + 1).await?;
    let next_before = crate::platform::db::next_cursor(&mut leads, LEADS_PAGE_SIZE, |l| l.id);
    Ok(LeadsPage { leads, next_before })
}

/// Form posts (URL-encoded), so that the lead forms work before the wasm has
/// loaded. A new lead is shown at the top of the whole list; an edit or a
/// deletion goes back to the list as it was (its search and page).
#[server]
pub async fn create_lead(draft: LeadDraft) -> Result<Lead, AppError> {
    finish(Then::Go("/leads"), async {
        let (state, org) = member().await?;
        let actor = service::Actor::User(&org.actor);
        service::create(&state, org.id, &draft, actor).await
    })
    .await
}

#[server]
pub async fn update_lead(id: i64, draft: LeadDraft) -> Result<Lead, AppError> {
    finish(Then::Back, async {
        let (state, org) = member().await?;
        let patch = domain::LeadPatch {
            name: Some(draft.name),
            email: Some(draft.email),
            company: Some(draft.company),
            phone: Some(draft.phone),
            status: Some(draft.status),
            source: Some(draft.source),
            notes: Some(draft.notes),
        };
        let actor = service::Actor::User(&org.actor);
        service::update(&state, org.id, id, patch, actor).await
    })
    .await
}

#[server]
pub async fn delete_lead(id: i64) -> Result<(), AppError> {
    finish(Then::Back, async {
        let (state, org) = member().await?;
        service::delete(&state, org.id, id, service::Actor::User(&org.actor)).await
    })
    .await
}
