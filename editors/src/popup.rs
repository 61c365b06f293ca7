//! The page the sign-in popup ends on. Decap waits for `authorizing:github` from a window of its
//! `base_url` (this origin), answers it, and then takes `authorization:github:success:{"token":…}` or
//! `authorization:github:error:{…}`. The page posts each message to the editing screen's origin only,
//! never to `'*'`, and only when its opener is that origin: a popup opened from another site gets
//! nothing and says so. Its one inline script carries a fresh nonce, which the page's CSP names.

use opp_render::escape_attr as escape_html;

/// Decap's provider name for GitHub, in every message of the handshake.
pub const PROVIDER: &str = "github";

/// How the sign-in ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// GitHub gave this token.
    Token(&'a str),
    /// No token; the reason, in Dutch, for the editor.
    Refused(&'a str),
}

/// The page, and the nonce its CSP must allow.
pub struct PopupPage {
    pub html: String,
    pub nonce: String,
}

/// Said when the popup's opener is not the editing screen (another site opened the sign-in).
pub const NOT_FROM_EDITING_SCREEN: &str = "Dit venster is niet vanuit het werkscherm geopend. Er is niets doorgegeven. Open het werkscherm en log daar in.";

/// The page for `outcome`, with a fresh 256-bit nonce; an error when the system has no randomness to give
/// (then no page is better than one with a guessable nonce).
pub fn page(outcome: Outcome<'_>, editing_origin: &str) -> Result<PopupPage, String> {
    let nonce = opp_model::token::new_token().map_err(|err| format!("no randomness: {err}"))?;
    // A refusal keeps its reason on screen, also when no editing screen opened the window.
    let refused = matches!(outcome, Outcome::Refused(_));
    let (title, text, message) = match outcome {
        Outcome::Token(token) => (
            "Inloggen gelukt",
            "Je bent ingelogd. Dit venster sluit vanzelf. Gebeurt dat niet? Sluit het dan zelf en ga verder in het werkscherm.".to_string(),
            format!(
                "authorization:{PROVIDER}:success:{}",
                serde_json::json!({ "token": token, "provider": PROVIDER })
            ),
        ),
        Outcome::Refused(reason) => (
            "Inloggen niet gelukt",
            format!("{reason} Sluit dit venster en klik in het werkscherm opnieuw op ‘Inloggen met GitHub’."),
            format!(
                "authorization:{PROVIDER}:error:{}",
                serde_json::json!({ "message": reason, "provider": PROVIDER })
            ),
        ),
    };
    let script = format!(
        r#"(function () {{
  var origin = {origin};
  var message = {message};
  var status = document.getElementById("status");
  var opener = window.opener;
  var fromEditingScreen = false;
  try {{ fromEditingScreen = !!opener && opener.location.origin === origin; }} catch (e) {{ fromEditingScreen = false; }}
  if (!fromEditingScreen) {{ if (!{refused}) status.textContent = {not_from_screen}; return; }}
  window.addEventListener("message", function answer(event) {{
    if (event.origin !== origin || event.source !== opener || event.data !== "authorizing:{PROVIDER}") return;
    window.removeEventListener("message", answer);
    opener.postMessage(message, origin);
  }});
  opener.postMessage("authorizing:{PROVIDER}", origin);
}})();"#,
        origin = script_string(editing_origin),
        message = script_string(&message),
        not_from_screen = script_string(NOT_FROM_EDITING_SCREEN),
    );
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"nl\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"robots\" content=\"noindex\">\n<title>{title} | Werkscherm</title>\n<style nonce=\"{nonce}\">body{{font-family:system-ui,sans-serif;margin:2rem;max-width:36rem;line-height:1.5;color:#1a1a1a}}h1{{font-size:1.5rem}}</style>\n</head>\n<body>\n<main>\n<h1>{title}</h1>\n<p id=\"status\" role=\"status\">{text}</p>\n<noscript><p>Zet JavaScript aan om in te loggen in het werkscherm.</p></noscript>\n</main>\n<script nonce=\"{nonce}\">\n{script}\n</script>\n</body>\n</html>\n",
        text = escape_html(&text),
    );
    Ok(PopupPage { html, nonce })
}

/// A JavaScript string literal that is safe inside `<script>`: JSON, with `<`, `>`, `&` and the two line
/// separators JSON allows but older scripts do not written as escapes.
fn script_string(text: &str) -> String {
    serde_json::Value::String(text.to_string())
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_posted_to_the_editing_origin_only() {
        let page = page(Outcome::Token("gho_abc123"), "https://redactie.example.nl").unwrap();
        assert!(
            page.html
                .contains(r#"var origin = "https://redactie.example.nl";"#)
        );
        assert!(
            page.html.contains(
                r#"authorization:github:success:{\"provider\":\"github\",\"token\":\"gho_abc123\"}"#
            ),
            "{}",
            page.html
        );
        assert!(page.html.contains("opener.postMessage(message, origin)"));
        assert!(!page.html.contains("'*'") && !page.html.contains("\"*\""));
        assert!(
            page.html
                .contains(&format!("<script nonce=\"{}\">", page.nonce))
        );
        assert_eq!(page.nonce.len(), 43, "256 bits, base64url");
    }

    #[test]
    fn a_refusal_is_shown_and_handed_to_decap() {
        let page = page(
            Outcome::Refused("GitHub gaf geen toegang."),
            "https://redactie.example.nl",
        )
        .unwrap();
        assert!(page.html.contains("<h1>Inloggen niet gelukt</h1>"));
        assert!(page.html.contains("GitHub gaf geen toegang."));
        assert!(page.html.contains("authorization:github:error:"));
        assert!(!page.html.contains("success"));
    }

    #[test]
    fn nothing_in_a_message_can_end_the_script() {
        let literal = script_string("</script><script>alert(1)</script>&\u{2028}");
        assert!(!literal.contains('<') && !literal.contains('>') && !literal.contains('&'));
        assert!(!literal.contains('\u{2028}'));
        let fresh = page(Outcome::Token("t"), "https://a.nl").unwrap().nonce;
        assert_ne!(
            fresh,
            page(Outcome::Token("t"), "https://a.nl").unwrap().nonce
        );
    }
}
