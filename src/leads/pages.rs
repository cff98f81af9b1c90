//! The Leads page: list, search, create, edit, delete. Drawn by the server,
//! without wasm: search is a GET form, pages are links, and the forms are
//! plain posts that redirect back to the list. A dialog opens from the
//! page's address (`?dialog=new-lead`, `?dialog=edit&id=ID`, `?dialog=delete&id=ID`), keeping
//! its search and page, so every
//! view works, and reloads, with or without JavaScript.

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::domain::{Lead, LeadStatus};
use super::{list_leads, CreateLead, DeleteLead, UpdateLead};
use crate::auth::pages::signed_in;
use crate::error::FieldError;
use crate::platform::clock::format_time;
use crate::web::ui::{
    encode, error_parts, field_error, opened_with, posted, AccessDenied, CancelLink, Cursor,
    CursorPager, ErrorBanner, KeepPlace, Modal,
};

#[component]
pub fn LeadsPage() -> impl IntoView {
    signed_in(|viewer| {
        match viewer.active {
        Some(_) => view! { <LeadsList/> }.into_any(),
        None => view! {
            <AccessDenied title="No organisation" message="You are not a member of any organisation yet. Ask an organisation admin to add you."/>
        }
        .into_any(),
    }
    })
}

/// Which dialog the address opens.
#[derive(Clone, Copy, PartialEq)]
enum Opened {
    None,
    New,
    Edit(i64),
    Delete(i64),
}

impl Opened {
    fn from_query() -> Self {
        let id = opened_with("id").and_then(|v| v.parse().ok());
        match (opened_with("dialog").as_deref(), id) {
            (Some("new-lead"), _) => Self::New,
            (Some("edit"), Some(id)) => Self::Edit(id),
            (Some("delete"), Some(id)) => Self::Delete(id),
            _ => Self::None,
        }
    }
}

#[component]
fn LeadsList() -> impl IntoView {
    let q = opened_with("q").unwrap_or_default();
    let at = Cursor::from_query();
    let opened = Opened::from_query();
    // The list as the reader left it: where dialogs close to.
    let base = format!("/leads?q={}", encode(&q));
    let here = at.href(&base);
    let (search, before) = (q.clone(), at.before);
    let leads = Resource::new(
        move || (search.clone(), before),
        |(q, before)| list_leads(q, before),
    );
    let shown_q = q.clone();
    view! {
        <div class="page-header">
            <div>
                <h1>"Leads"</h1>
                <p class="muted">"Your organisation's leads. The public API reads and changes the same data."</p>
            </div>
            <form method="get" action="/leads" class="bare-form">
                <input type="hidden" name="dialog" value="new-lead"/>
                <button class="button primary" type="submit">"New lead"</button>
            </form>
        </div>
        <form class="toolbar" method="get" action="/leads" role="search">
            <input type="search" name="q" value=shown_q placeholder="Search name, email or company" aria-label="Search leads"/>
            <button class="button small" type="submit">"Search"</button>
        </form>
        <Suspense fallback=|| view! { <p class="muted">"Loading leads…"</p> }>
            {move || {
                let (q, at, base, here) = (q.clone(), at.clone(), base.clone(), here.clone());
                Suspend::new(async move {
                    let page = match leads.await {
                        Err(e) => return view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                        Ok(page) => page,
                    };
                    let find = |id: i64| page.leads.iter().find(|l| l.id == id).cloned();
                    let dialog = match opened {
                        Opened::None => ().into_any(),
                        Opened::New => view! { <LeadForm lead=None back=here.clone()/> }.into_any(),
                        Opened::Edit(id) => find(id)
                            .map(|lead| view! { <LeadForm lead=Some(lead) back=here.clone()/> })
                            .into_any(),
                        Opened::Delete(id) => find(id)
                            .map(|lead| view! { <DeleteLeadDialog lead=lead back=here.clone()/> })
                            .into_any(),
                    };
                    let list = if page.leads.is_empty() {
                        view! {
                            <section class="card empty">
                                <h2>{if q.is_empty() { "No leads yet" } else { "No leads match" }}</h2>
                                <p>"Add one with New lead, or create them through the API."</p>
                            </section>
                        }
                        .into_any()
                    } else {
                        let filters = vec![("q", q.clone())];
                        view! {
                            <div class="table-wrap">
                                <table class="data">
                                    <thead><tr>
                                        <th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Company"</th>
                                        <th scope="col">"Status"</th><th scope="col">"Updated"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                    </tr></thead>
                                    <tbody>
                                        {page.leads.iter().map(|lead| view! {
                                            <tr>
                                                <td data-label="Name">{lead.name.clone()}</td>
                                                <td data-label="Email">{lead.email.clone()}</td>
                                                <td data-label="Company">{lead.company.clone()}</td>
                                                <td data-label="Status"><span class=format!("badge status-{}", lead.status.key())>{lead.status.label()}</span></td>
                                                <td data-label="Updated">{format_time(lead.updated_at)}</td>
                                                <td class="actions">
                                                    <form method="get" action="/leads" class="bare-form">
                                                        <KeepPlace filters=filters.clone() at=at.clone()/>
                                                        <input type="hidden" name="dialog" value="edit"/>
                                                        <input type="hidden" name="id" value=lead.id/>
                                                        <button class="button small" type="submit">"Edit"</button>
                                                    </form>
                                                    <form method="get" action="/leads" class="bare-form">
                                                        <KeepPlace filters=filters.clone() at=at.clone()/>
                                                        <input type="hidden" name="dialog" value="delete"/>
                                                        <input type="hidden" name="id" value=lead.id/>
                                                        <button class="button small danger" type="submit">"Delete"</button>
                                                    </form>
                                                </td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <CursorPager base=base at=at.clone() next=page.next_before/>
                        }
                        .into_any()
                    };
                    view! { {list} {dialog} }.into_any()
                })
            }}
        </Suspense>
    }
}

/// New lead or Edit lead: a plain form post. After an error the page comes
/// back with the form as it was sent (`posted`), and the field's message.
#[component]
fn LeadForm(lead: Option<Lead>, back: String) -> impl IntoView {
    let id = lead.as_ref().map(|l| l.id);
    let create = ServerAction::<CreateLead>::new();
    let update = ServerAction::<UpdateLead>::new();
    let result = match id {
        None => create.value().get_untracked().map(|r| r.map(|_| ())),
        Some(_) => update.value().get_untracked().map(|r| r.map(|_| ())),
    };
    let (general, fields) = error_parts(result);
    let fields: Signal<Vec<FieldError>> = Signal::stored(fields);
    // What the form shows: what was just sent, else the lead, else defaults.
    let value = |field: &str, stored: Option<String>| {
        posted(&format!("draft[{field}]"))
            .or(stored)
            .unwrap_or_default()
    };
    let l = lead.as_ref();
    let name = value("name", l.map(|l| l.name.clone()));
    let email = value("email", l.map(|l| l.email.clone()));
    let company = value("company", l.map(|l| l.company.clone()));
    let phone = value("phone", l.map(|l| l.phone.clone()));
    let source = value("source", l.map(|l| l.source.clone()));
    let notes = value("notes", l.map(|l| l.notes.clone()));
    let status = posted("draft[status]")
        .or(l.map(|l| l.status.key().to_owned()))
        .unwrap_or_else(|| "new".to_owned());
    let title = if id.is_some() {
        "Edit lead"
    } else {
        "New lead"
    };
    let inputs = view! {
        {general.map(|m| view! { <ErrorBanner message=m/> })}
        {id.map(|id| view! { <input type="hidden" name="id" value=id/> })}
        <label for="lead-name">"Name"</label>
        <input id="lead-name" name="draft[name]" required maxlength="200" value=name autofocus/>
        {field_error(fields, "name")}
        <label for="lead-email">"Email"</label>
        <input id="lead-email" name="draft[email]" type="text" inputmode="email" value=email/>
        {field_error(fields, "email")}
        <div class="grid-2">
            <div>
                <label for="lead-company">"Company"</label>
                <input id="lead-company" name="draft[company]" value=company/>
                {field_error(fields, "company")}
            </div>
            <div>
                <label for="lead-phone">"Phone"</label>
                <input id="lead-phone" name="draft[phone]" value=phone/>
                {field_error(fields, "phone")}
            </div>
        </div>
        <div class="grid-2">
            <div>
                <label for="lead-status">"Status"</label>
                <select id="lead-status" name="draft[status]">
                    {LeadStatus::ALL.iter().map(|s| {
                        let key = s.key();
                        view! { <option value=key selected=status == key>{s.label()}</option> }
                    }).collect_view()}
                </select>
                {field_error(fields, "status")}
            </div>
            <div>
                <label for="lead-source">"Source"</label>
                <input id="lead-source" name="draft[source]" value=source/>
                {field_error(fields, "source")}
            </div>
        </div>
        <label for="lead-notes">"Notes"</label>
        <textarea id="lead-notes" name="draft[notes]" rows="3" maxlength="5000">{notes}</textarea>
        {field_error(fields, "notes")}
        <div class="modal-actions">
            <CancelLink href=back.clone()/>
            <button class="button primary" type="submit">"Save lead"</button>
        </div>
    };
    let form = match id {
        None => view! { <ActionForm action=create>{inputs}</ActionForm> }.into_any(),
        Some(_) => view! { <ActionForm action=update>{inputs}</ActionForm> }.into_any(),
    };
    view! {
        <Modal title=title id="lead-form" close_href=back>
            {form}
        </Modal>
    }
}

#[component]
fn DeleteLeadDialog(lead: Lead, back: String) -> impl IntoView {
    let delete = ServerAction::<DeleteLead>::new();
    let (general, _) = error_parts(delete.value().get_untracked());
    view! {
        <Modal title="Delete lead" id="delete-lead" close_href=back.clone()>
            <p>"Delete " <strong>{lead.name.clone()}</strong> "? This cannot be undone."</p>
            {general.map(|m| view! { <ErrorBanner message=m/> })}
            <ActionForm action=delete>
                <input type="hidden" name="id" value=lead.id/>
                <div class="modal-actions">
                    <CancelLink href=back/>
                    <button class="button danger" type="submit" autofocus>"Delete"</button>
                </div>
            </ActionForm>
        </Modal>
    }
}
