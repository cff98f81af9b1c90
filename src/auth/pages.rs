//! The sign-in page.

use leptos::prelude::*;

use super::SignIn;
use crate::ui::reload_to;

#[component]
pub fn SignInPage() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
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
            <form
                class="card sign-in"
                on:submit=move |ev| {
                    ev.prevent_default();
                    action.dispatch(SignIn { email: email.get(), password: password.get() });
                }
            >
                <h1>"Sign in to Leadline"</h1>
                {move || error().map(|m| view! { <div class="banner error" role="alert">{m}</div> })}
                <label for="email">"Email"</label>
                <input id="email" type="email" autocomplete="username" required bind:value=email/>
                <label for="password">"Password"</label>
                <input id="password" type="password" autocomplete="current-password" required bind:value=password/>
                <button class="button primary" type="submit" disabled=move || action.pending().get()>
                    "Sign in"
                </button>
                <p class="muted small">"New here? Ask your organisation's admin to add you."</p>
            </form>
        </main>
    }
}
