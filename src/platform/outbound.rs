//! Requests this server makes to addresses its users give it (webhook
//! endpoints), guarded against server-side request forgery: https only
//! (plain http to loopback alone); never to a loopback, private,
//! link-local or otherwise non-public address unless the operator allows
//! it (`LEADLINE_WEBHOOK_ALLOW_PRIVATE`), checked on the addresses actually
//! connected to (the resolver hands the client only checked ones, so a
//! name that resolves differently later is checked again); no redirects,
//! no proxy, short timeouts, and at most a few kilobytes of the answer read.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use reqwest::Url;

/// Longest endpoint URL accepted.
pub const URL_MAX: usize = 2000;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const TIMEOUT: Duration = Duration::from_secs(10);
/// The most of an answer's body read (and then dropped).
const BODY_READ_MAX: usize = 4096;

/// Whether an address is on the public internet: not loopback, private,
/// link-local, shared (CGNAT), unspecified, multicast, broadcast,
/// documentation or reserved; IPv4 inside IPv6 is judged as IPv4.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let segments = v6.segments();
            // NAT64 (64:ff9b::/96) carries an IPv4 address.
            if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                let [a, b] = segments[6].to_be_bytes();
                let [c, d] = segments[7].to_be_bytes();
                return is_public_v4(Ipv4Addr::new(a, b, c, d));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (segments[0] & 0xfe00) == 0xfc00 // unique local
                || (segments[0] & 0xffc0) == 0xfe80 // link-local
                || (segments[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
                || (segments[0] == 0x2001 && segments[1] == 0xdb8)) // documentation
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_unspecified()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240) // reserved
}

fn loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// An endpoint URL's shape: absolute https (http for loopback only), a
/// host, no user or password, at most [`URL_MAX`] characters. The message
/// says what to change.
pub fn check_url(raw: &str) -> Result<Url, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(
            "Enter the endpoint's URL, such as https://example.com/webhooks/leadline.".into(),
        );
    }
    if raw.chars().count() > URL_MAX {
        return Err(format!("Use at most {URL_MAX} characters."));
    }
    let url = Url::parse(raw).map_err(|_| {
        "Enter a full URL, such as https://example.com/webhooks/leadline.".to_owned()
    })?;
    if url.host().is_none() {
        return Err("The URL needs a host name.".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "Leave the user name and password out of the URL: every delivery is signed instead."
                .into(),
        );
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback_host(&url) => Ok(url),
        "http" => Err("Use https: only loopback addresses may use plain http.".into()),
        _ => Err("Use an https URL.".into()),
    }
}

/// The answer to a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub latency_ms: i64,
}

/// Why a delivery got no answer; `latency_ms` when it got as far as
/// trying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoAnswer {
    pub reason: String,
    pub latency_ms: Option<i64>,
}

#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// The client's resolver: only the checked addresses of a name.
struct CheckedResolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| allow_private || is_public(a.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(Box::new(Refused(format!(
                    "{host} resolves only to private or reserved addresses"
                )))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

pub struct Outbound {
    client: reqwest::Client,
    allow_private: bool,
}

impl Outbound {
    pub fn new(allow_private: bool) -> Self {
        let client = reqwest::Client::builder()
            .dns_resolver(std::sync::Arc::new(CheckedResolver { allow_private }))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TIMEOUT)
            .user_agent(concat!("Leadline-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the webhook client's settings are fixed");
        Self {
            client,
            allow_private,
        }
    }

    /// Whether `url`'s host may be reached: an address in the URL is judged
    /// as it is; a name by every address it resolves to now (deliveries
    /// check again, on each connection).
    pub async fn check_target(&self, url: &Url) -> Result<(), String> {
        if self.allow_private {
            return Ok(());
        }
        let refused = || {
            "That address is private, loopback or link-local, which webhooks may not reach. Use a public https address.".to_owned()
        };
        match url.host() {
            Some(url::Host::Ipv4(ip)) if !is_public(ip.into()) => Err(refused()),
            Some(url::Host::Ipv6(ip)) if !is_public(ip.into()) => Err(refused()),
            Some(url::Host::Domain(name)) => {
                let port = url.port_or_known_default().unwrap_or(443);
                let found: Vec<SocketAddr> = tokio::net::lookup_host((name, port))
                    .await
                    .map_err(|_| format!("{name} could not be resolved. Check the host name."))?
                    .collect();
                if found.is_empty() || found.iter().any(|a| !is_public(a.ip())) {
                    Err(refused())
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        }
    }

    /// POSTs `body` as JSON with `headers`: the answer's status and how
    /// long it took, or why there was none.
    pub async fn post(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: String,
    ) -> Result<Answer, NoAnswer> {
        let refused = |reason: String| NoAnswer {
            reason,
            latency_ms: None,
        };
        let url = check_url(url).map_err(refused)?;
        // A literal address is never resolved, so it is judged here.
        let literal: Option<IpAddr> = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(ip.into()),
            Some(url::Host::Ipv6(ip)) => Some(ip.into()),
            _ => None,
        };
        if literal.is_some_and(|ip| !self.allow_private && !is_public(ip)) {
            return Err(refused(
                "the address is private, loopback or link-local".into(),
            ));
        }
        let started = Instant::now();
        let mut request = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let elapsed =
            |started: Instant| i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        match request.body(body).send().await {
            Ok(mut response) => {
                let status = response.status().as_u16();
                // Read a little of the body, so the connection ends cleanly,
                // and never more.
                let mut read = 0;
                while read < BODY_READ_MAX {
                    match response.chunk().await {
                        Ok(Some(chunk)) => read += chunk.len(),
                        _ => break,
                    }
                }
                Ok(Answer {
                    status,
                    latency_ms: elapsed(started),
                })
            }
            Err(error) => Err(NoAnswer {
                reason: describe(&error),
                latency_ms: Some(elapsed(started)),
            }),
        }
    }
}

/// A failed request in a few words, with its cause (the resolver's refusal).
fn describe(error: &reqwest::Error) -> String {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut cause: Option<&dyn std::error::Error> = std::error::Error::source(error);
    let mut deepest = None;
    while let Some(c) = cause {
        deepest = Some(c.to_string());
        cause = c.source();
    }
    match deepest {
        Some(detail) => format!("{what}: {detail}"),
        None => what.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2001:db8::1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn urls_are_https_but_for_loopback_and_carry_no_credentials() {
        assert!(check_url("https://hooks.example.com/leadline").is_ok());
        assert!(check_url("http://127.0.0.1:8080/hook").is_ok());
        assert!(check_url("http://localhost/hook").is_ok());
        assert!(check_url("http://[::1]:9000/").is_ok());
        for bad in [
            "",
            "hooks.example.com",
            "http://hooks.example.com/",
            "ftp://hooks.example.com/",
            "https://user:pw@hooks.example.com/",
            "javascript:alert(1)",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        let long = format!("https://example.com/{}", "a".repeat(URL_MAX));
        assert!(check_url(&long).unwrap_err().contains("2000"));
    }

    #[tokio::test]
    async fn private_targets_are_refused_unless_allowed() {
        let guarded = Outbound::new(false);
        for url in [
            "http://127.0.0.1:9/",
            "https://10.0.0.1/",
            "https://[fe80::1]/",
            "http://localhost:9/",
        ] {
            let url = check_url(url).unwrap();
            assert!(guarded.check_target(&url).await.is_err(), "{url}");
        }
        let refused = guarded
            .post("http://127.0.0.1:9/", &[], "{}".into())
            .await
            .unwrap_err();
        assert!(refused.reason.contains("private"), "{refused:?}");
        let by_name = guarded
            .post("http://localhost:9/", &[], "{}".into())
            .await
            .unwrap_err();
        assert!(by_name.reason.contains("private"), "{by_name:?}");
        let allowed = Outbound::new(true);
        assert!(allowed
            .check_target(&check_url("http://127.0.0.1:9/").unwrap())
            .await
            .is_ok());
    }
}
