//! Which cases a run takes: a format, a glob over ids, and the expected failures file.

use std::collections::BTreeSet;

/// Whether `text` matches `pattern`, where `*` matches any run of characters (none
/// included) and `?` any one character; everything else matches itself.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Greedy with one backtrack point: the last `*` seen and where it started matching.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Reads an expected failures file: one case id per line; blank lines and lines
/// starting with `#` are ignored, as is anything after white space on a line (a
/// comment on why it fails).
pub fn parse_expected_failures(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_as_a_shell_does() {
        assert!(glob("text.*", "text.subject.dotted"));
        assert!(glob("*.dotted", "text.subject.dotted"));
        assert!(glob("text.*.dotted", "text.subject.dotted"));
        assert!(glob("t?xt.*", "text.a"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "aXbYbZc"));
        assert!(!glob("text.*", "json.text.a"));
        assert!(!glob("a*b", "aXbY"));
        assert!(!glob("?", ""));
        assert!(!glob("abc", "ab"));
    }

    #[test]
    fn expected_failures_ignore_comments() {
        let ids = parse_expected_failures("# why\n\ntext.a  because\n  json.b\n#json.c\n");
        assert_eq!(
            ids.into_iter().collect::<Vec<_>>(),
            ["json.b".to_owned(), "text.a".to_owned()]
        );
    }
}
