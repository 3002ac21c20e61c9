//! NATS server URLs: `nats://[user:password@|token@]host[:port]`, or a comma-separated
//! list of them, read once for both clients of this crate, so that a password reaches
//! the server as the user wrote it, whatever characters it holds.

use heartwire_broker::{UserInfo, split_user_info};

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
/// or raw. The error says what of it the reader does not speak.
pub(crate) fn servers(url: &str) -> Result<Vec<Server>, &'static str> {
    let mut servers = Vec::new();
    // A comma may be inside a password; a list's items each start with a scheme.
    for one in split_list(url) {
        let rest = match one.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("nats") => rest,
            Some(_) => return Err("a scheme other than nats://"),
            None => one,
        };
        let (userinfo, hostport) = split_user_info(rest);
        let hostport = hostport.trim_end_matches('/');
        let (host, port) = match hostport.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse::<u16>()
                    .map_err(|_| "a port that is not a number")?,
            ),
            None => (hostport, 4222),
        };
        if host.is_empty() || host.contains(['/', '?', '#']) {
            return Err("a URL with a path or query");
        }
        // A user alone is a token.
        let (user, password, token) = match userinfo {
            Some(UserInfo {
                user,
                password: Some(password),
            }) => (Some(user), Some(password), None),
            Some(UserInfo { user, .. }) => (None, None, Some(user)),
            None => (None, None, None),
        };
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
        assert_eq!(
            servers("tls://h:4222").err(),
            Some("a scheme other than nats://")
        );
        assert_eq!(
            servers("nats://h:x").err(),
            Some("a port that is not a number")
        );
    }
}
