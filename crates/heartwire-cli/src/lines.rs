//! Reading input line by line without letting one line take unbounded memory.

use std::io::{self, BufRead};

/// One line of input, without its terminator (LF, or CR LF).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line {
    /// A line of at most the reader's limit.
    Complete(Vec<u8>),
    /// A line longer than the limit; only its length and first byte were kept.
    TooLong {
        /// Its length in bytes, without the terminator.
        len: usize,
        /// Its first byte other than a space or tab: `{` starts a JSON document.
        first: Option<u8>,
    },
}

/// Splits a byte stream into lines of at most `max` bytes (terminator excluded); longer
/// lines are counted and skipped, so memory stays bounded by `max` whatever the input.
pub(crate) struct BoundedLines<R> {
    reader: R,
    max: usize,
    buf: Vec<u8>,
}

impl<R: BufRead> BoundedLines<R> {
    pub(crate) fn new(reader: R, max: usize) -> Self {
        BoundedLines {
            reader,
            max,
            // Room for the line, a CR and the LF.
            buf: Vec::with_capacity(max + 2),
        }
    }

    /// The next line, or `None` at the end of the input.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<Line>> {
        self.buf.clear();
        let mut len = 0usize;
        let mut last = None;
        let mut seen_any = false;
        loop {
            let chunk = match self.reader.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                break;
            }
            seen_any = true;
            let (part, done) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (&chunk[..i], true),
                None => (chunk, false),
            };
            len += part.len();
            last = part.last().copied().or(last);
            // Keep one byte more than the limit, so a CR before the LF still fits.
            let room = (self.max + 1).saturating_sub(self.buf.len());
            self.buf.extend_from_slice(&part[..part.len().min(room)]);
            let consumed = part.len() + usize::from(done);
            self.reader.consume(consumed);
            if done {
                break;
            }
        }
        if !seen_any {
            return Ok(None);
        }
        if last == Some(b'\r') {
            len -= 1;
            self.buf.truncate(len);
        }
        if len > self.max {
            let first = self
                .buf
                .iter()
                .copied()
                .find(|b| !matches!(b, b' ' | b'\t'));
            return Ok(Some(Line::TooLong { len, first }));
        }
        Ok(Some(Line::Complete(std::mem::take(&mut self.buf))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize) -> Vec<Line> {
        let mut reader = BoundedLines::new(input, max);
        let mut out = Vec::new();
        while let Some(line) = reader.next_line().expect("reading a slice cannot fail") {
            out.push(line);
        }
        out
    }

    #[test]
    fn splits_on_lf_and_crlf() {
        assert_eq!(
            lines(b"a\nbb\r\n\nc", 10),
            [
                Line::Complete(b"a".to_vec()),
                Line::Complete(b"bb".to_vec()),
                Line::Complete(Vec::new()),
                Line::Complete(b"c".to_vec()),
            ]
        );
    }

    #[test]
    fn long_lines_are_counted_not_kept() {
        let mut input = vec![b'x'; 100_000];
        input.extend_from_slice(b"\nok\n");
        assert_eq!(
            lines(&input, 8),
            [
                Line::TooLong {
                    len: 100_000,
                    first: Some(b'x')
                },
                Line::Complete(b"ok".to_vec())
            ]
        );
        assert_eq!(
            lines(b"12345678\r\n123456789\r\n", 8),
            [
                Line::Complete(b"12345678".to_vec()),
                Line::TooLong {
                    len: 9,
                    first: Some(b'1')
                }
            ]
        );
    }

    #[test]
    fn a_lone_cr_inside_a_line_is_kept() {
        assert_eq!(lines(b"a\rb\n", 8), [Line::Complete(b"a\rb".to_vec())]);
    }
}
