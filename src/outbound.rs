//! The one guard every outbound HTTP call goes through: helpdesks, the Shopify store, the LLM
//! server and Twilio.
//!
//! Managers choose some of these addresses (a helpdesk's `base_url`), so an outbound call must
//! not become a way into the engine's own network. The guard refuses loopback, private
//! (10/8, 172.16/12, 192.168/16), shared (100.64/10), link-local, unique-local, unspecified,
//! multicast, broadcast and reserved addresses, their IPv4-mapped IPv6 forms, and the engine's
//! own listen address, whatever the spelling (`127.1`, `2130706433`, `0x7f.1`,
//! `[::ffff:127.0.0.1]`). It decides on the *resolved* address: clients built here resolve names
//! through [`Outbound`]'s resolver, which drops the addresses it refuses, so a name that points
//! at 127.0.0.1 cannot smuggle a call inside. reqwest does not resolve IP literals, so
//! [`Outbound::send`] checks the URL itself, and followed redirects are checked hop by hop.
//!
//! A deployment that does need an internal address (a helpdesk on the office network, a local
//! LLM) lists it in `SANGDAM_OUTBOUND_ALLOW`: CIDR ranges, single addresses or host names.
//!
//! Errors say as little as an attacker could use: a refused address always reads
//! [`NOT_ALLOWED`], and a failed connection only "could not connect to HOST", never the
//! operating system's words that tell a closed port from a filtered one. The full cause goes to
//! the log, which only operators read.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, RwLock};

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::{RequestBuilder, Response, Url};

/// What a refused address reads, whatever the reason: the same words for every address.
pub const NOT_ALLOWED: &str = "the address is not allowed for outbound calls";

/// Most redirects a guarded client follows (each one checked).
const MAX_REDIRECTS: usize = 5;

/// Internal addresses a deployment allows anyway (`SANGDAM_OUTBOUND_ALLOW`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    /// Address ranges; a single address is a /32 or /128.
    nets: Vec<IpNet>,
    /// Host names, lower case without a trailing dot, allowed whatever they resolve to.
    hosts: Vec<String>,
}

impl AllowList {
    /// Parses `10.0.0.0/8, helpdesk.office.lan, ::1`: comma-separated CIDR ranges, addresses
    /// (in any spelling) or host names. Says which entry is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut list = Self::default();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if let Ok(net) = entry.parse::<IpNet>() {
                list.nets.push(net.trunc());
            } else if let Some(ip) = parse_ip(entry) {
                list.nets.push(IpNet::from(ip));
            } else if is_host_name(entry) {
                list.hosts.push(entry.trim_end_matches('.').to_ascii_lowercase());
            } else {
                return Err(format!("{entry:?} is neither a CIDR range, an address nor a host name"));
            }
        }
        Ok(list)
    }

    /// Nothing is allowed beyond the public internet.
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty() && self.hosts.is_empty()
    }

    fn allows_ip(&self, ip: IpAddr) -> bool {
        let mapped = mapped_v4(ip).map(IpAddr::V4);
        self.nets.iter().any(|net| net.contains(&ip) || mapped.is_some_and(|v4| net.contains(&v4)))
    }

    fn allows_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.');
        self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
    }
}

/// Why an outbound call did not get an answer, in words safe to show a manager.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    /// The address (as written, resolved or redirected to) is not one the engine calls.
    #[error("{NOT_ALLOWED}")]
    NotAllowed,
    /// No connection: DNS, TCP or TLS failed. The request was not sent.
    #[error("could not connect to {0}")]
    Connect(String),
    /// Connected, but no answer in time: the request may have been processed.
    #[error("{0} did not answer in time")]
    Timeout(String),
    /// The connection broke or the answer was not HTTP: the request may have been processed.
    #[error("the connection to {0} broke")]
    Broken(String),
    /// The request could not be built (a value that cannot go in a header): never sent.
    #[error("could not build the request: {0}")]
    Unsendable(String),
}

/// The guard: which addresses outbound calls may reach. Cheap to clone; clones share the
/// engine's own address once [`Outbound::set_own_address`] learns it.
#[derive(Debug, Clone, Default)]
pub struct Outbound {
    inner: Arc<Policy>,
}

#[derive(Debug, Default)]
struct Policy {
    allow: AllowList,
    /// Where the engine listens, known once it is bound.
    own: RwLock<Option<SocketAddr>>,
}

/// The resolver guarded clients use.
struct GuardedResolver {
    policy: Arc<Policy>,
}

/// Marks a refusal inside reqwest's error chain, so [`describe`] can tell it apart.
#[derive(Debug, thiserror::Error)]
#[error("{NOT_ALLOWED}")]
struct Refused;

impl Outbound {
    /// A guard allowing the public internet and what `allow` lists.
    pub fn new(allow: AllowList) -> Self {
        Self { inner: Arc::new(Policy { allow, own: RwLock::new(None) }) }
    }

    /// Records where the engine listens, so calls to itself are refused even when its range is
    /// allowed.
    pub fn set_own_address(&self, addr: SocketAddr) {
        if let Ok(mut own) = self.inner.own.write() {
            *own = Some(addr);
        }
    }

    /// Finishes `builder` into a client that resolves names through the guard and checks every
    /// redirect (when `follow_redirects`; otherwise redirects are answers).
    pub fn client(&self, builder: reqwest::ClientBuilder, follow_redirects: bool) -> reqwest::Result<reqwest::Client> {
        let policy = Arc::clone(&self.inner);
        let redirects = if follow_redirects {
            reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= MAX_REDIRECTS {
                    attempt.error("too many redirects")
                } else if policy.check(attempt.url()).is_err() {
                    attempt.error(Refused)
                } else {
                    attempt.follow()
                }
            })
        } else {
            reqwest::redirect::Policy::none()
        };
        builder.dns_resolver(Arc::new(GuardedResolver { policy: Arc::clone(&self.inner) })).redirect(redirects).build()
    }

    /// The same guard for the reqwest that async-openai (the LLM client) is built on. That
    /// client sends by itself, so IP literals are checked once, on the configured base URL.
    pub fn llm_client(&self, builder: reqwest013::ClientBuilder) -> Result<reqwest013::Client, String> {
        let policy = Arc::clone(&self.inner);
        let redirects = reqwest013::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                attempt.error("too many redirects")
            } else if policy.check(attempt.url()).is_err() {
                attempt.error(Refused)
            } else {
                attempt.follow()
            }
        });
        builder
            .dns_resolver(Arc::new(GuardedResolver { policy: Arc::clone(&self.inner) }))
            .redirect(redirects)
            .build()
            .map_err(|e| e.to_string())
    }

    /// Whether `url` may be called, as far as can be told before resolving its host: the scheme
    /// is http(s) and an address written in the URL is not refused.
    pub fn check(&self, url: &Url) -> Result<(), OutboundError> {
        self.inner.check(url)
    }

    /// Sends a request built on a client from [`Outbound::client`], after checking its URL;
    /// every failure is described by [`describe`].
    pub async fn send(&self, request: RequestBuilder) -> Result<Response, OutboundError> {
        let (client, request) = request.build_split();
        let request = request.map_err(|e| OutboundError::Unsendable(e.without_url().to_string()))?;
        let host = host_of(request.url());
        self.check(request.url())?;
        client.execute(request).await.map_err(|e| describe(&e, &host))
    }
}

impl Policy {
    fn check(&self, url: &Url) -> Result<(), OutboundError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(OutboundError::NotAllowed);
        }
        let port = url.port_or_known_default();
        let ip = match url.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
            Some(url::Host::Domain(name)) => match parse_ip(name) {
                Some(ip) => ip,
                None if self.allow.allows_host(name) => return Ok(()),
                // Names are decided on what they resolve to, by the resolver.
                None => return Ok(()),
            },
            None => return Err(OutboundError::NotAllowed),
        };
        if self.permits(ip, port) { Ok(()) } else { Err(OutboundError::NotAllowed) }
    }

    /// An address (and port, when known) outbound calls may reach.
    fn permits(&self, ip: IpAddr, port: Option<u16>) -> bool {
        if self.is_own(ip, port) {
            return false;
        }
        self.allow.allows_ip(ip) || !is_internal(ip)
    }

    fn is_own(&self, ip: IpAddr, port: Option<u16>) -> bool {
        let Some(own) = self.own.read().ok().and_then(|own| *own) else { return false };
        let ip = mapped_v4(ip).map_or(ip, IpAddr::V4);
        if port.is_some_and(|p| p != own.port()) {
            return false;
        }
        // Listening on 0.0.0.0 or :: answers on loopback (and on 0.0.0.0 itself) too.
        ip == own.ip() || (own.ip().is_unspecified() && (ip.is_loopback() || ip.is_unspecified()))
    }
}

impl Policy {
    /// The addresses `host` resolves to that calls may reach; refused when there are none.
    async fn resolve(&self, host: &str) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
        if let Some(ip) = parse_ip(host) {
            if !self.permits(ip, None) {
                return Err(Box::new(Refused));
            }
            return Ok(vec![SocketAddr::new(ip, 0)]);
        }
        let allowed_name = self.allow.allows_host(host);
        let found: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
            .await?
            .filter(|addr| allowed_name || self.permits(addr.ip(), None))
            .collect();
        if found.is_empty() {
            tracing::warn!(host = %host, "outbound call refused: the name resolves only to refused addresses");
            return Err(Box::new(Refused));
        }
        Ok(found)
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        let host = name.as_str().to_owned();
        Box::pin(async move { Ok(Box::new(policy.resolve(&host).await?.into_iter()) as Addrs) })
    }
}

impl reqwest013::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest013::dns::Name) -> reqwest013::dns::Resolving {
        let policy = Arc::clone(&self.policy);
        let host = name.as_str().to_owned();
        Box::pin(async move { Ok(Box::new(policy.resolve(&host).await?.into_iter()) as reqwest013::dns::Addrs) })
    }
}

/// What a reqwest failure reaching `host` means, without the operating system's words.
pub fn describe(error: &reqwest::Error, host: &str) -> OutboundError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    let mut chain = String::new();
    while let Some(e) = cause {
        if e.downcast_ref::<Refused>().is_some() || e.to_string() == NOT_ALLOWED {
            return OutboundError::NotAllowed;
        }
        chain.push_str(": ");
        chain.push_str(&e.to_string());
        cause = e.source();
    }
    tracing::warn!(host = %host, cause = %chain.trim_start_matches(": "), "outbound call failed");
    if error.is_builder() {
        OutboundError::Unsendable(chain.trim_start_matches(": ").to_owned())
    } else if error.is_connect() {
        OutboundError::Connect(host.to_owned())
    } else if error.is_timeout() {
        OutboundError::Timeout(host.to_owned())
    } else {
        OutboundError::Broken(host.to_owned())
    }
}

/// `host` or `host:port` of `url`, for messages.
pub fn host_of(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => "the server".to_owned(),
    }
}

/// An address in any spelling a URL accepts: dotted, shortened (`127.1`), one number
/// (`2130706433`), hex or octal parts (`0x7f.1`, `0177.0.0.1`), bracketed or bare IPv6.
pub fn parse_ip(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    if let Ok(ip) = text.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
        return Some(ip);
    }
    if text.is_empty() || text.contains(['/', '?', '#', '@', ':', '[', ']']) {
        return None;
    }
    // The URL standard's host parser knows the classic inet_aton forms.
    match Url::parse(&format!("http://{text}/")).ok()?.host()? {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    }
}

/// An address outbound calls must not reach unless allowed: anything that is not the public
/// internet.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => match mapped_v4(IpAddr::V6(v6)) {
            Some(v4) => internal_v4(v4),
            None => internal_v6(v6),
        },
    }
}

fn internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || a == 0 // "this network", 0.0.0.0 among it: Linux connects it to the machine itself
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

fn internal_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (first & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated, still routed by some)
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`) or
/// NAT64 (`64:ff9b::a.b.c.d`) IPv6 address.
fn mapped_v4(ip: IpAddr) -> Option<Ipv4Addr> {
    let IpAddr::V6(v6) = ip else { return None };
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = v6.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    let compatible = s[..6] == [0; 6] && !v6.is_loopback() && !v6.is_unspecified();
    let nat64 = s[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
    (compatible || nat64).then_some(tail)
}

fn is_host_name(text: &str) -> bool {
    let name = text.trim_end_matches('.');
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        parse_ip(text).unwrap_or_else(|| panic!("{text} parses"))
    }

    #[test]
    fn every_spelling_of_loopback_is_one_address() {
        let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
        for spelling in
            ["127.0.0.1", "127.1", "2130706433", "0x7f.1", "0x7f000001", "0177.0.0.1", "127.0.1", "127.0.0.1."]
        {
            assert_eq!(ip(spelling), loopback, "{spelling}");
            assert!(is_internal(ip(spelling)), "{spelling}");
        }
        for spelling in ["[::ffff:127.0.0.1]", "::ffff:7f00:1", "[::1]", "::127.0.0.1", "64:ff9b::7f00:1"] {
            assert!(is_internal(ip(spelling)), "{spelling}");
        }
        assert_eq!(parse_ip("localhost"), None);
        assert_eq!(parse_ip("helpdesk.example.com"), None);
        assert_eq!(parse_ip("http://127.0.0.1/"), None);
    }

    #[test]
    fn internal_ranges_are_refused_and_the_internet_is_not() {
        for internal in [
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.255",
            "169.254.169.254",
            "0.0.0.0",
            "0",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "::",
            "::1",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:192.168.0.1",
        ] {
            assert!(is_internal(ip(internal)), "{internal}");
        }
        for public in ["8.8.8.8", "172.32.0.1", "100.128.0.1", "93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8"] {
            assert!(!is_internal(ip(public)), "{public}");
        }
    }

    #[test]
    fn the_allow_list_takes_ranges_addresses_and_names() {
        let list = AllowList::parse(" 127.0.0.1/32, 10.0.0.0/8 ,desk.office.lan., ::1 ").unwrap();
        assert!(list.allows_ip(ip("127.0.0.1")));
        assert!(list.allows_ip(ip("::ffff:127.0.0.1")));
        assert!(!list.allows_ip(ip("127.0.0.2")));
        assert!(list.allows_ip(ip("10.200.0.1")));
        assert!(list.allows_ip(ip("::1")));
        assert!(list.allows_host("DESK.office.lan"));
        assert!(!list.allows_host("office.lan"));
        assert!(AllowList::parse("").unwrap().is_empty());
        assert!(AllowList::parse("10.0.0.0/33").is_err());
        assert!(AllowList::parse("not a host").is_err());
    }

    #[test]
    fn urls_are_checked_in_every_spelling() {
        let guard = Outbound::new(AllowList::default());
        for url in [
            "http://127.0.0.1:5432",
            "http://127.1",
            "http://2130706433",
            "http://0x7f.1/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::1]:8080/",
            "http://169.254.169.254/latest/meta-data",
            "http://10.0.0.1/",
            "ftp://93.184.216.34/",
        ] {
            assert_eq!(guard.check(&Url::parse(url).unwrap()), Err(OutboundError::NotAllowed), "{url}");
        }
        assert_eq!(guard.check(&Url::parse("https://93.184.216.34/").unwrap()), Ok(()));
        assert_eq!(guard.check(&Url::parse("https://acme.zendesk.com/").unwrap()), Ok(()));
    }

    #[test]
    fn the_engine_itself_is_refused_even_where_its_range_is_allowed() {
        let guard = Outbound::new(AllowList::parse("127.0.0.0/8").unwrap());
        guard.set_own_address("127.0.0.1:8080".parse().unwrap());
        assert_eq!(guard.check(&Url::parse("http://127.0.0.1:8080/v1").unwrap()), Err(OutboundError::NotAllowed));
        assert_eq!(guard.check(&Url::parse("http://127.1:8080/").unwrap()), Err(OutboundError::NotAllowed));
        assert_eq!(guard.check(&Url::parse("http://127.0.0.1:8081/").unwrap()), Ok(()));
        let any = Outbound::new(AllowList::parse("127.0.0.0/8").unwrap());
        any.set_own_address("0.0.0.0:9000".parse().unwrap());
        assert_eq!(any.check(&Url::parse("http://127.0.0.1:9000/").unwrap()), Err(OutboundError::NotAllowed));
        assert_eq!(any.check(&Url::parse("http://[::ffff:127.0.0.1]:9000/").unwrap()), Err(OutboundError::NotAllowed));
    }
}
