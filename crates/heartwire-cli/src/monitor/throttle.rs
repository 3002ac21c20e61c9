//! Lines on stderr that a flood cannot multiply: at most one per key per second, and the
//! rest counted (`spec/liveness.md` §7.1).

use std::collections::HashMap;

/// How many keys (origins, processes) a second may name one by one; the others are
/// counted together, so that a flood of distinct subjects costs bounded memory too.
const MAX_KEYS: usize = 32;

/// What to do with one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Offer {
    /// Print it: the first of its key this second.
    Print,
    /// Counted, to be summed up when the second is over.
    Suppressed,
}

/// One kind of report (invalid messages, rejected beats), throttled per key per second.
#[derive(Debug)]
pub(crate) struct Throttle {
    /// What the summaries say the suppressed reports were: `invalid messages`.
    what: &'static str,
    second: i64,
    /// Keys printed this second, and how many more came after.
    keys: HashMap<String, u64>,
    /// Reports of keys beyond [`MAX_KEYS`] this second.
    others: u64,
}

impl Throttle {
    pub(crate) fn new(what: &'static str) -> Throttle {
        Throttle {
            what,
            second: i64::MIN,
            keys: HashMap::new(),
            others: 0,
        }
    }

    /// A report about `key` in second `second`; `summaries` receives the lines that
    /// close an earlier second.
    pub(crate) fn offer(&mut self, second: i64, key: &str, summaries: &mut Vec<String>) -> Offer {
        if second != self.second {
            self.close(summaries);
            self.second = second;
        }
        if let Some(more) = self.keys.get_mut(key) {
            *more += 1;
            return Offer::Suppressed;
        }
        if self.keys.len() >= MAX_KEYS {
            self.others += 1;
            return Offer::Suppressed;
        }
        self.keys.insert(key.to_owned(), 0);
        Offer::Print
    }

    /// Ends the current second if it is before `second` (a quiet second after a flood
    /// still gets its summary).
    pub(crate) fn tick(&mut self, second: i64, summaries: &mut Vec<String>) {
        if second > self.second {
            self.close(summaries);
            self.second = second;
        }
    }

    fn close(&mut self, summaries: &mut Vec<String>) {
        let mut keys: Vec<(String, u64)> = self.keys.drain().filter(|(_, n)| *n > 0).collect();
        keys.sort();
        for (key, more) in keys {
            summaries.push(format!(
                "{key}: {more} more {} in that second, not shown",
                self.what
            ));
        }
        if self.others > 0 {
            summaries.push(format!(
                "{} more {} from other origins in that second, not shown",
                self.others, self.what
            ));
            self.others = 0;
        }
        // A flood's memory is not kept.
        if self.keys.capacity() > 2 * MAX_KEYS {
            self.keys = HashMap::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_key_per_second_and_the_rest_counted() {
        let mut t = Throttle::new("invalid messages");
        let mut summaries = Vec::new();
        assert_eq!(t.offer(1, "a", &mut summaries), Offer::Print);
        assert_eq!(t.offer(1, "b", &mut summaries), Offer::Print);
        for _ in 0..1000 {
            assert_eq!(t.offer(1, "a", &mut summaries), Offer::Suppressed);
        }
        assert!(summaries.is_empty());
        assert_eq!(t.offer(2, "a", &mut summaries), Offer::Print);
        assert_eq!(
            summaries,
            ["a: 1000 more invalid messages in that second, not shown"]
        );
        summaries.clear();
        t.tick(3, &mut summaries);
        assert!(summaries.is_empty(), "{summaries:?}");
    }

    #[test]
    fn a_flood_of_distinct_keys_is_bounded() {
        let mut t = Throttle::new("invalid messages");
        let mut summaries = Vec::new();
        let printed = (0..100_000)
            .filter(|i| t.offer(7, &format!("heartbeat.x{i}"), &mut summaries) == Offer::Print)
            .count();
        assert_eq!(printed, MAX_KEYS);
        assert!(t.keys.len() <= MAX_KEYS);
        t.tick(8, &mut summaries);
        assert_eq!(
            summaries,
            [format!(
                "{} more invalid messages from other origins in that second, not shown",
                100_000 - MAX_KEYS
            )]
        );
    }
}
