//! NATS server URLs: `nats://[user:password@|token@]host[:port]`, or a comma-separated
//! list of them, read once for both clients of this crate, so that a password reaches
//! the server as the user wrote it, whatever characters it holds.

use heartwire::transport;

use crate::NatsError;

/// One server of a URL: where, and how to log in.
#[derive(Clone)]
pub(crate) struct Server {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) user: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) token: Option<String>,
}

/// Reads `nats://[user:password@|token@]host[:port]`, a comma-separated list of them;
/// the user information ends at the last `@` (`spec/transports.md` §1.6), percent-encoded
/// or raw.
pub(crate) fn servers(url: &str) -> Result<Vec<Server>, NatsError> {
    let unsupported = |what: &str| NatsError::Unsupported(what.to_owned());
    let mut servers = Vec::new();
    // A comma may be inside a password; a list's items each start with a scheme.
    for one in split_list(url) {
        let rest = match one.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("nats") => rest,
            Some(_) => return Err(unsupported("a scheme other than nats://")),
            None => one,
        };
        let (userinfo, hostport) = match rest.rfind('@') {
            Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
            None => (None, rest),
        };
        let hostport = hostport.trim_end_matches('/');
        let (host, port) = match hostport.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse::<u16>()
                    .map_err(|_| unsupported("a port that is not a number"))?,
            ),
            None => (hostport, 4222),
        };
        if host.is_empty() || host.contains(['/', '?', '#']) {
            return Err(unsupported("a URL with a path or query"));
        }
        let (mut user, mut password, mut token) = (None, None, None);
        if let Some(info) = userinfo {
            match info.split_once(':') {
                Some((u, p)) => {
                    user = Some(transport::percent_decode(u).into_owned());
                    password = Some(transport::percent_decode(p).into_owned());
                }
                None => token = Some(transport::percent_decode(info).into_owned()),
            }
        }
        servers.push(Server {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port,
            user,
            password,
            token,
        });
    }
    Ok(servers)
}

/// The items of a comma-separated URL list: a comma starts a new item only when a
/// scheme follows it.
fn split_list(url: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let mut start = 0;
    for (i, _) in url.match_indices(',') {
        let next = &url[i + 1..];
        let scheme = next.split("://").next().unwrap_or("");
        if next.contains("://")
            && !scheme.is_empty()
            && scheme.bytes().all(|b| b.is_ascii_alphabetic())
        {
            items.push(&url[start..i]);
            start = i + 1;
        }
    }
    items.push(&url[start..]);
    items
}

impl Server {
    /// `nats://host:port`, without credentials.
    pub(crate) fn address(&self) -> String {
        if self.host.contains(':') {
            format!("nats://[{}]:{}", self.host, self.port)
        } else {
            format!("nats://{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_servers_and_logins() {
        let s = servers("nats://alice:pa%2Fss@127.0.0.1:4333").unwrap_or_default();
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].host.as_str(), s[0].port), ("127.0.0.1", 4333));
        assert_eq!(s[0].user.as_deref(), Some("alice"));
        assert_eq!(s[0].password.as_deref(), Some("pa/ss"));
        let s = servers("nats://u:a,b/c#d?e@h,nats://tok@h2").unwrap_or_default();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].password.as_deref(), Some("a,b/c#d?e"));
        assert_eq!((s[1].token.as_deref(), s[1].port), (Some("tok"), 4222));
        assert!(matches!(
            servers("tls://h:4222"),
            Err(NatsError::Unsupported(_))
        ));
        assert!(matches!(
            servers("nats://h:x"),
            Err(NatsError::Unsupported(_))
        ));
    }
}
