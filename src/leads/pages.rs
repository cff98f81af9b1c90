//! The Leads page: list, search, create, edit, delete.

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::domain::{Lead, LeadDraft, LeadStatus};
use super::{list_leads, CreateLead, DeleteLead, UpdateLead};
use crate::error::{AppError, FieldError};
use crate::ui::{
    error_parts, field_error, format_time, opened_with, reloading, signed_in, AccessDenied,
    CancelLink, ErrorBanner, Modal,
};

#[component]
pub fn LeadsPage() -> impl IntoView {
    signed_in(|viewer| {
        match viewer.active {
        Some(_) => {
            let leads = Resource::new(|| (), |_| list_leads(String::new(), None));
            view! {
                <Suspense fallback=|| view! { <p class="muted">"Loading leads…"</p> }>
                    {move || Suspend::new(async move { view! { <LeadsList initial=leads.await/> } })}
                </Suspense>
            }
            .into_any()
        }
        None => view! {
            <AccessDenied title="No organisation" message="You are not a member of any organisation yet. Ask an organisation admin to add you."/>
        }
        .into_any(),
    }
    })
}

/// Which form is open: none, "new", editing a lead, or (opened from the URL
/// before the list has loaded) editing the lead with this id.
#[derive(Clone, PartialEq)]
enum Editing {
    Closed,
    New,
    Lead(Lead),
    LeadId(i64),
}

/// The Leads page's live part: an island, loaded as its own wasm chunk.
#[island(lazy)]
fn LeadsList(initial: Result<super::LeadsPage, AppError>) -> impl IntoView {
    crate::ui::island_start();
    let q = RwSignal::new(String::new());
    let before = RwSignal::new(None::<i64>);
    let history = RwSignal::new(Vec::<Option<i64>>::new());
    let version = RwSignal::new(0u32);
    let leads = reloading(
        initial,
        move || (q.get(), before.get(), version.get()),
        |(q, before, _)| list_leads(q, before),
    );
    // The forms open from the URL too, so that they work before hydration.
    let editing = RwSignal::new(
        match (opened_with("dialog").as_deref(), opened_with("edit")) {
            (Some("new-lead"), _) => Editing::New,
            (_, Some(id)) => id.parse().map(Editing::LeadId).unwrap_or(Editing::Closed),
            _ => Editing::Closed,
        },
    );
    let delete = ServerAction::<DeleteLead>::new();
    let confirm_delete = RwSignal::new(None::<Lead>);
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            confirm_delete.set(None);
            version.update(|v| *v += 1);
        }
    });

    view! {
        <div class="page-header">
            <div>
                <h1>"Leads"</h1>
                <p class="muted">"Your organisation's leads. The public API reads and changes the same data."</p>
            </div>
            <form method="get" action="/leads" class="bare-form"
                on:submit=move |ev| { ev.prevent_default(); editing.set(Editing::New); }>
                <input type="hidden" name="dialog" value="new-lead"/>
                <button class="button primary" type="submit">"New lead"</button>
            </form>
        </div>
        <div class="toolbar">
            <input
                type="search"
                placeholder="Search name, email or company"
                aria-label="Search leads"
                on:input=move |ev| {
                    before.set(None);
                    history.set(vec![]);
                    q.set(event_target_value(&ev));
                }
            />
        </div>
        {move || {
                match leads.get() {
                    Err(e) => view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                    Ok(page) if page.leads.is_empty() => view! {
                        <section class="card empty">
                            <h2>"No leads yet"</h2>
                            <p>"Add one with New lead, or create them through the API."</p>
                        </section>
                    }.into_any(),
                    Ok(page) => {
                        let next = page.next_before;
                        view! {
                            <div class="table-wrap">
                                <table class="data">
                                    <thead><tr>
                                        <th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Company"</th>
                                        <th scope="col">"Status"</th><th scope="col">"Updated"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                    </tr></thead>
                                    <tbody>
                                        {page.leads.into_iter().map(|lead| {
                                            let for_edit = lead.clone();
                                            let for_delete = lead.clone();
                                            view! {
                                                <tr>
                                                    <td data-label="Name">{lead.name.clone()}</td>
                                                    <td data-label="Email">{lead.email.clone()}</td>
                                                    <td data-label="Company">{lead.company.clone()}</td>
                                                    <td data-label="Status"><span class=format!("badge status-{}", lead.status.key())>{lead.status.label()}</span></td>
                                                    <td data-label="Updated">{format_time(lead.updated_at)}</td>
                                                    <td class="actions">
                                                        <form method="get" action="/leads" class="bare-form"
                                                            on:submit=move |ev| { ev.prevent_default(); editing.set(Editing::Lead(for_edit.clone())); }>
                                                            <input type="hidden" name="edit" value=lead.id/>
                                                            <button class="button small" type="submit">"Edit"</button>
                                                        </form>
                                                        <button class="button small danger" type="button" on:click=move |_| confirm_delete.set(Some(for_delete.clone()))>"Delete"</button>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <div class="pager">
                                <button class="button small" type="button" disabled=move || history.get().is_empty()
                                    on:click=move |_| {
                                        let mut h = history.get();
                                        let prev = h.pop().flatten();
                                        history.set(h);
                                        before.set(prev);
                                    }>"Previous"</button>
                                <button class="button small" type="button" disabled=next.is_none()
                                    on:click=move |_| {
                                        history.update(|h| h.push(before.get_untracked()));
                                        before.set(next);
                                    }>"Next"</button>
                            </div>
                        }.into_any()
                    }
                }
            }}
        {move || {
            let on_close = Callback::new(move |saved: bool| {
                editing.set(Editing::Closed);
                if saved { version.update(|v| *v += 1); }
            });
            match editing.get() {
                Editing::Closed => ().into_any(),
                Editing::New => view! { <LeadForm lead=None on_close=on_close/> }.into_any(),
                Editing::Lead(lead) => view! { <LeadForm lead=Some(lead) on_close=on_close/> }.into_any(),
                Editing::LeadId(id) => {
                    let lead = leads.with(|p| p.as_ref().ok().and_then(|p| p.leads.iter().find(|l| l.id == id).cloned()));
                    lead.map(|lead| view! { <LeadForm lead=Some(lead) on_close=on_close/> }).into_any()
                }
            }
        }}
        {move || confirm_delete.get().map(|lead| {
            let id = lead.id;
            let (general, _) = error_parts(delete.value().get());
            view! {
                <Modal title="Delete lead" id="delete-lead" on_close=Callback::new(move |_| confirm_delete.set(None))>
                    <p>"Delete " <strong>{lead.name.clone()}</strong> "? This cannot be undone."</p>
                    {general.map(|m| view! { <ErrorBanner message=m/> })}
                    <div class="modal-actions">
                        <button class="button" type="button" on:click=move |_| confirm_delete.set(None)>"Cancel"</button>
                        <button class="button danger" type="button" on:click=move |_| { delete.dispatch(DeleteLead { id }); }>"Delete"</button>
                    </div>
                </Modal>
            }
        })}
    }
}

/// A real HTML form (URL-encoded post), so that it saves before the wasm has
/// loaded too.
#[component]
fn LeadForm(lead: Option<Lead>, on_close: Callback<bool>) -> impl IntoView {
    let id = lead.as_ref().map(|l| l.id);
    let start = lead
        .map(|l| LeadDraft {
            name: l.name,
            email: l.email,
            company: l.company,
            phone: l.phone,
            status: l.status.key().to_owned(),
            source: l.source,
            notes: l.notes,
        })
        .unwrap_or_else(|| LeadDraft {
            status: "new".into(),
            ..Default::default()
        });
    let create = ServerAction::<CreateLead>::new();
    let update = ServerAction::<UpdateLead>::new();
    let result = Signal::derive(move || {
        let r: Option<Result<(), AppError>> = match id {
            None => create.value().get().map(|r| r.map(|_| ())),
            Some(_) => update.value().get().map(|r| r.map(|_| ())),
        };
        r
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = result.get() {
            on_close.run(true);
        }
    });
    let fields: Signal<Vec<FieldError>> = Signal::derive(move || error_parts(result.get()).1);
    let general = move || error_parts(result.get()).0;
    let title = if id.is_some() {
        "Edit lead"
    } else {
        "New lead"
    };
    let status = start.status.clone();
    let inputs = view! {
        {move || general().map(|m| view! { <ErrorBanner message=m/> })}
        {id.map(|id| view! { <input type="hidden" name="id" value=id/> })}
        <label for="lead-name">"Name"</label>
        <input id="lead-name" name="draft[name]" required maxlength="200" value=start.name autofocus/>
        {field_error(fields, "name")}
        <label for="lead-email">"Email"</label>
        <input id="lead-email" name="draft[email]" type="text" inputmode="email" value=start.email/>
        {field_error(fields, "email")}
        <div class="grid-2">
            <div>
                <label for="lead-company">"Company"</label>
                <input id="lead-company" name="draft[company]" value=start.company/>
                {field_error(fields, "company")}
            </div>
            <div>
                <label for="lead-phone">"Phone"</label>
                <input id="lead-phone" name="draft[phone]" value=start.phone/>
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
                <input id="lead-source" name="draft[source]" value=start.source/>
                {field_error(fields, "source")}
            </div>
        </div>
        <label for="lead-notes">"Notes"</label>
        <textarea id="lead-notes" name="draft[notes]" rows="3" maxlength="5000">{start.notes}</textarea>
        {field_error(fields, "notes")}
        <div class="modal-actions">
            <CancelLink href="/leads" on_close=Callback::new(move |_| on_close.run(false))/>
            <button class="button primary" type="submit">"Save lead"</button>
        </div>
    };
    let form = match id {
        None => view! { <ActionForm action=create>{inputs}</ActionForm> }.into_any(),
        Some(_) => view! { <ActionForm action=update>{inputs}</ActionForm> }.into_any(),
    };
    view! {
        <Modal title=title id="lead-form" on_close=Callback::new(move |_| on_close.run(false)) close_href="/leads">
            {form}
        </Modal>
    }
}
