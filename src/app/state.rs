//! The application's state: the platform, the keys feature's state (which
//! holds it), and Leptos's options. Handlers and server functions take the
//! part they need (`FromRef`, or context).

use std::collections::HashSet;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::keys::KeyState;
use crate::platform::config::Config;
use crate::platform::{Clock, Db, Platform};

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub keys: KeyState,
}

impl std::ops::Deref for AppState {
    type Target = KeyState;

    fn deref(&self) -> &KeyState {
        &self.keys
    }
}

impl AppState {
    pub fn new(
        leptos_options: LeptosOptions,
        db: Db,
        clock: Clock,
        config: Config,
        legacy_keys: HashSet<String>,
    ) -> Self {
        let platform = Platform::new(db, clock, config);
        Self {
            leptos_options,
            keys: KeyState::new(platform, legacy_keys),
        }
    }

    pub fn platform(&self) -> &Platform {
        &self.keys.platform
    }

    /// Gives server functions and pages the parts of the state they take
    /// (`Platform::current`, `KeyState::current`).
    pub fn provide_parts(&self) {
        leptos::prelude::provide_context(self.platform().clone());
        leptos::prelude::provide_context(self.keys.clone());
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl FromRef<AppState> for Platform {
    fn from_ref(state: &AppState) -> Self {
        state.keys.platform.clone()
    }
}

impl FromRef<AppState> for KeyState {
    fn from_ref(state: &AppState) -> Self {
        state.keys.clone()
    }
}
