//! The sign-in page. A real HTML form: it signs in before the wasm has
//! loaded, and without JavaScript at all.

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::SignIn;
use crate::ui::reload_to;

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            reload_to("/leads");
        }
    });
    let error = move || {
        action
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    };
    view! {
        <main class="centered">
            <ActionForm action=action attr:class="card sign-in">
                <h1>"Sign in to Leadline"</h1>
                {move || error().map(|m| view! { <div class="banner error" role="alert">{m}</div> })}
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" required maxlength="254"/>
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"/>
                <button class="button primary" type="submit" disabled=move || action.pending().get()>
                    "Sign in"
                </button>
                <p class="muted small">"New here? Ask your organisation's admin to add you."</p>
            </ActionForm>
        </main>
    }
}
