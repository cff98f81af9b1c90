//! Static files served like a production site: the build's `/pkg` files
//! (content-hashed, precompressed) cached for a year, the public files
//! (favicon, robots.txt) for a day, and everything else, HTML above all, never
//! stored by a cache, since it can carry someone's data.

use std::path::{Path, PathBuf};

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use leptos::config::LeptosOptions;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `/pkg` files without a hash in their name (a build without `hash-files`)
/// must be revalidated, or a browser keeps running an old wasm.
pub const REVALIDATE: &str = "no-cache";
pub const PUBLIC_FILE: &str = "public, max-age=86400";
pub const NEVER_STORE: &str = "no-store";

/// Whether the `/pkg` names carry content hashes: `LEPTOS_HASH_FILES` when
/// set, else whether cargo-leptos wrote its `hash.txt` beside the binary.
pub fn detect_hashed_files(options: &mut LeptosOptions) {
    if std::env::var_os("LEPTOS_HASH_FILES").is_some() {
        return;
    }
    options.hash_files = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(&*options.hash_file)))
        .is_some_and(|hash_file| hash_file.is_file());
}

/// Routes for `/pkg/*` and for each file at the top of the site root.
pub fn router<S: Clone + Send + Sync + 'static>(options: &LeptosOptions) -> Router<S> {
    let root = PathBuf::from(&*options.site_root);
    let pkg_dir = options.site_pkg_dir.trim_matches('/').to_owned();
    let pkg_policy = if options.hash_files {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    let pkg = Router::new()
        .nest_service(
            &format!("/{pkg_dir}"),
            ServeDir::new(root.join(&pkg_dir))
                .precompressed_br()
                .precompressed_gzip(),
        )
        .layer(cache_layer(pkg_policy));
    let mut public = Router::new();
    for (name, path) in top_level_files(&root) {
        public = public.route_service(
            &format!("/{name}"),
            ServeFile::new(path).precompressed_br().precompressed_gzip(),
        );
    }
    pkg.merge(public.layer(cache_layer(PUBLIC_FILE)))
}

/// The files directly in the site root (copied there from `public/`).
fn top_level_files(root: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return vec![];
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            // The precompressed copies are served through their original.
            let precompressed = name.ends_with(".br") || name.ends_with(".gz");
            (!precompressed).then(|| (name, e.path()))
        })
        .collect();
    files.sort();
    files
}

/// Sets `policy` on successful responses that have none of their own; an
/// error (a missing file) must not be cached for a year.
fn cache_layer(
    policy: &'static str,
) -> SetResponseHeaderLayer<impl Fn(&Response) -> Option<HeaderValue> + Clone> {
    SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, move |response: &Response| {
        let status = response.status();
        (status.is_success() || status == StatusCode::NOT_MODIFIED)
            .then(|| HeaderValue::from_static(policy))
    })
}

/// Every other response (HTML pages, server functions, the API, errors) is
/// private and current: never stored.
pub async fn never_store_by_default(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static(NEVER_STORE));
    response
}
