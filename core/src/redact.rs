//! Credentials in URLs are hidden before a message is shown: `http://user:pass@host/` becomes
//! `http://user:***@host/`, and a lone user part (often a token) becomes `***`. The `seal` CLI
//! runs every error through it; the controller, every Git URL it reports.

/// `text` with the user-info of every `scheme://user:pass@host` URL in it redacted.
pub fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>') || c.is_whitespace()
            })
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(i) => {
                match authority[..i].split_once(':') {
                    Some((user, _password)) => {
                        out.push_str(user);
                        out.push_str(":***");
                    }
                    None => out.push_str("***"),
                }
                out.push_str(&authority[i..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_info_is_redacted_and_the_rest_kept() {
        let cases = [
            ("http://user:pass@host/x", "http://user:***@host/x"),
            (
                "cannot fetch https://me:p%40ss@example.com:8443/v1/cert.pem: refused",
                "cannot fetch https://me:***@example.com:8443/v1/cert.pem: refused",
            ),
            ("https://TOKEN@host", "https://***@host"),
            ("https://host/a@b", "https://host/a@b"),
            ("no url here", "no url here"),
            (
                "\"http://a:b@h\" and file:///etc/x and http://c:d@i?q",
                "\"http://a:***@h\" and file:///etc/x and http://c:***@i?q",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(redact_urls(input), expected, "{input}");
        }
    }
}
