//! Who the client is: the TCP peer, or, when the peer is one of our trusted
//! reverse proxies (`LEADLINE_TRUSTED_PROXIES`), the address the proxies
//! put in `X-Forwarded-For`. Never taken from that header otherwise: any
//! client can write it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap};
use ipnet::IpNet;

/// Parses `LEADLINE_TRUSTED_PROXIES`: comma-separated CIDRs or addresses.
pub fn parse_trusted_proxies(raw: &str) -> Result<Vec<IpNet>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("LEADLINE_TRUSTED_PROXIES: {s:?} is not an address or CIDR"))
        })
        .collect()
}

/// The client's address for this request.
pub fn client_ip(headers: &HeaderMap, extensions: &Extensions, trusted: &[IpNet]) -> IpAddr {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(addr)| {
            addr.ip()
        });
    forwarded_client(peer, headers, trusted)
}

fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    trusted.iter().any(|net| net.contains(&ip))
}

/// Walks `X-Forwarded-For` from the right (the hop nearest us) past our own
/// proxies; the first address that is not one of them is the client. A
/// malformed entry stops the walk at the last good hop.
fn forwarded_client(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    if !is_trusted(peer, trusted) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(ip, trusted) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn xff(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        headers
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_header_counts_only_when_a_trusted_proxy_sends_it() {
        let trusted = parse_trusted_proxies("10.0.0.0/8, 192.0.2.1").unwrap();
        let headers = xff("203.0.113.5");
        assert_eq!(
            forwarded_client(ip("198.51.100.9"), &headers, &trusted),
            ip("198.51.100.9")
        );
        assert_eq!(
            forwarded_client(ip("10.1.2.3"), &headers, &trusted),
            ip("203.0.113.5")
        );
        assert_eq!(
            forwarded_client(ip("192.0.2.1"), &headers, &trusted),
            ip("203.0.113.5")
        );
        assert_eq!(
            forwarded_client(ip("10.1.2.3"), &HeaderMap::new(), &trusted),
            ip("10.1.2.3")
        );
    }

    #[test]
    fn a_client_cannot_spoof_past_the_proxies() {
        let trusted = parse_trusted_proxies("10.0.0.0/8").unwrap();
        // The client wrote "1.2.3.4" itself; our proxies appended the real address.
        let headers = xff("1.2.3.4, 203.0.113.5, 10.0.0.7");
        assert_eq!(
            forwarded_client(ip("10.0.0.2"), &headers, &trusted),
            ip("203.0.113.5")
        );
        let garbage = xff("1.2.3.4, not-an-ip, 10.0.0.7");
        assert_eq!(
            forwarded_client(ip("10.0.0.2"), &garbage, &trusted),
            ip("10.0.0.7")
        );
    }

    #[test]
    fn bad_settings_are_refused_with_a_clear_message() {
        assert!(parse_trusted_proxies("10.0.0.0/33").is_err());
        assert!(parse_trusted_proxies("proxy.internal")
            .unwrap_err()
            .contains("proxy.internal"));
        assert!(parse_trusted_proxies("").unwrap().is_empty());
        assert_eq!(parse_trusted_proxies("::1, 127.0.0.1").unwrap().len(), 2);
    }
}
