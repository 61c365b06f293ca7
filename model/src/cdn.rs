//! What the CDN does per path, as one table: which origin answers (the bucket of built files or the
//! registration function) and which response headers are added. CloudFront's behaviours and response
//! headers policies in `infra/template.yaml` are held to this table by a test
//! (`generator/tests/it/cdn_parity.rs`), and the local server (`opp-site serve`, `cargo dev`) applies it to
//! every answer, so what the tests and the browser checks run is what production sends.

/// Who answers a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The built site's files (S3 behind CloudFront; the output folder locally).
    Bucket,
    /// The registration function (API Gateway behind CloudFront; its router merged in locally).
    Function,
}

/// Which set of response headers a path gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderPolicy {
    /// The public pages and their assets.
    Site,
    /// The editing screen (Decap CMS) on its own origin: a wider CSP in exactly what Decap needs, noindex.
    EditingScreen,
    /// The function's answers: personal links are in the path, so `Referrer-Policy: strict-origin`.
    Api,
    /// No policy: the function sends every header itself (the editors' sign-in).
    FunctionsOwn,
}

/// One path behaviour: CloudFront takes the first whose pattern matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Behaviour {
    /// CloudFront's path pattern: `*` matches any characters (also `/`), everything else itself.
    pub path_pattern: &'static str,
    pub origin: Origin,
    pub headers: HeaderPolicy,
}

/// The behaviour of every path no pattern matches (CloudFront's default cache behaviour).
pub const DEFAULT_BEHAVIOUR: Behaviour = Behaviour {
    path_pattern: "*",
    origin: Origin::Bucket,
    headers: HeaderPolicy::Site,
};

/// The path behaviours in CloudFront's order (`/api/meetings` before `/api/*`: it is cached). There is no
/// `/admin/`: the editing screen has an origin of its own ([`EDITING_BEHAVIOURS`]), and its files are not
/// published to the site's bucket (`infra/publish-content.sh`; `opp-site serve` answers 404 there too).
pub const BEHAVIOURS: [Behaviour; 6] = [
    Behaviour {
        path_pattern: "/api/meetings",
        origin: Origin::Function,
        headers: HeaderPolicy::Api,
    },
    Behaviour {
        path_pattern: "/api/*",
        origin: Origin::Function,
        headers: HeaderPolicy::Api,
    },
    Behaviour {
        path_pattern: "/css/*",
        origin: Origin::Bucket,
        headers: HeaderPolicy::Site,
    },
    Behaviour {
        path_pattern: "/js/*",
        origin: Origin::Bucket,
        headers: HeaderPolicy::Site,
    },
    Behaviour {
        path_pattern: "/img/*",
        origin: Origin::Bucket,
        headers: HeaderPolicy::Site,
    },
    Behaviour {
        path_pattern: "/fonts/*",
        origin: Origin::Bucket,
        headers: HeaderPolicy::Site,
    },
];

/// The editing screen's distribution (`redactie.<domain>`): its files from their own bucket, with the
/// editing screen's headers.
pub const EDITING_DEFAULT_BEHAVIOUR: Behaviour = Behaviour {
    path_pattern: "*",
    origin: Origin::Bucket,
    headers: HeaderPolicy::EditingScreen,
};

/// The editing screen's distribution's path behaviours: the editors' sign-in (`opp-editors`), which sends
/// every header itself (its popup must not be isolated from its opener).
pub const EDITING_BEHAVIOURS: [Behaviour; 1] = [Behaviour {
    path_pattern: "/oauth/*",
    origin: Origin::Function,
    headers: HeaderPolicy::FunctionsOwn,
}];

/// Where the editing screen's files live in the built site; publishing moves them to their own bucket.
pub const EDITING_SCREEN_DIR: &str = "admin";

/// The behaviour CloudFront applies to `path`.
pub fn behaviour(path: &str) -> &'static Behaviour {
    BEHAVIOURS
        .iter()
        .find(|b| pattern_matches(b.path_pattern, path))
        .unwrap_or(&DEFAULT_BEHAVIOUR)
}

/// CloudFront's path pattern matching: `*` any run of characters, `?` one character, case-sensitive.
pub fn pattern_matches(pattern: &str, path: &str) -> bool {
    fn go(pattern: &[u8], path: &[u8]) -> bool {
        match pattern.split_first() {
            None => path.is_empty(),
            Some((b'*', rest)) => (0..=path.len()).any(|skip| go(rest, &path[skip..])),
            Some((b'?', rest)) => !path.is_empty() && go(rest, &path[1..]),
            Some((c, rest)) => path.first() == Some(c) && go(rest, &path[1..]),
        }
    }
    go(pattern.as_bytes(), path.as_bytes())
}

/// The public pages' Content-Security-Policy: nothing inline, nothing from elsewhere.
pub const SITE_CSP: &str = "default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; connect-src 'self'; manifest-src 'self'";

/// The editing screen's Content-Security-Policy: wider than [`SITE_CSP`] in exactly what Decap needs:
/// `'unsafe-eval'` (it compiles its configuration schema at run time), inline styles (its components
/// style themselves), the GitHub API, GitHub avatars, and `blob:`/`data:` for previews of images.
pub const EDITING_SCREEN_CSP: &str = "default-src 'none'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https://avatars.githubusercontent.com; font-src 'self' data:; connect-src 'self' https://api.github.com; frame-src 'self' blob:; worker-src 'self' blob:; form-action 'self'; base-uri 'self'; frame-ancestors 'none'; manifest-src 'self'";

/// [`EDITING_SCREEN_CSP`] with more origins the screen may connect to: the local backend (`cargo dev
/// --cms`) or the GitHub stand-in of the browser check. Production adds none.
pub fn editing_screen_csp(extra_connect: &[&str]) -> String {
    if extra_connect.is_empty() {
        return EDITING_SCREEN_CSP.to_string();
    }
    EDITING_SCREEN_CSP.replace(
        "connect-src 'self'",
        &format!("connect-src 'self' {}", extra_connect.join(" ")),
    )
}

/// Two years, with subdomains, on the preload list (internet.nl and the HSTS preload list ask for this).
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=63072000; includeSubDomains; preload";

const PERMISSIONS_POLICY: &str =
    "camera=(), microphone=(), geolocation=(), interest-cohort=(), browsing-topics=()";

/// One response header a policy adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Lower case, as HTTP/2 sends it.
    pub name: &'static str,
    pub value: &'static str,
    /// Replaces what the origin sent (CloudFront's `Override: true`); else added only when absent.
    pub replaces_origin: bool,
}

const fn header(name: &'static str, value: &'static str) -> Header {
    Header {
        name,
        value,
        replaces_origin: true,
    }
}

impl HeaderPolicy {
    /// Every policy, for tests that walk them.
    pub const ALL: [HeaderPolicy; 3] = [
        HeaderPolicy::Site,
        HeaderPolicy::EditingScreen,
        HeaderPolicy::Api,
    ];

    /// The response headers policy resource in `infra/template.yaml` that holds this policy.
    pub fn template_resource(self) -> &'static str {
        match self {
            HeaderPolicy::Site => "SecurityHeadersPolicy",
            HeaderPolicy::EditingScreen => "EditingScreenHeadersPolicy",
            HeaderPolicy::FunctionsOwn => "",
            HeaderPolicy::Api => "ApiSecurityHeadersPolicy",
        }
    }

    /// The headers, in a fixed order.
    pub fn headers(self) -> Vec<Header> {
        if self == HeaderPolicy::FunctionsOwn {
            return Vec::new();
        }
        let csp = match self {
            HeaderPolicy::EditingScreen => EDITING_SCREEN_CSP,
            _ => SITE_CSP,
        };
        // Pages: same-origin (internet.nl's advice; keeps `Origin` on the form's same-origin post).
        // The function: strict-origin, so a personal link in the path never reaches a `Referer`, not even
        // a same-origin one (no-referrer would post the personal page's forms with `Origin: null`).
        let referrer = match self {
            HeaderPolicy::Api => "strict-origin",
            _ => "same-origin",
        };
        // The editing screen signs in through a popup.
        let opener = match self {
            HeaderPolicy::EditingScreen => "same-origin-allow-popups",
            _ => "same-origin",
        };
        let mut headers = vec![
            header("strict-transport-security", STRICT_TRANSPORT_SECURITY),
            header("content-security-policy", csp),
            header("x-content-type-options", "nosniff"),
            header("x-frame-options", "DENY"),
            header("referrer-policy", referrer),
            header("permissions-policy", PERMISSIONS_POLICY),
            header("cross-origin-opener-policy", opener),
        ];
        match self {
            HeaderPolicy::EditingScreen => headers.push(header("x-robots-tag", "noindex")),
            // The function sends its own Cache-Control on every answer; this only covers the answers
            // API Gateway makes itself (an unknown route, throttling, a 5xx).
            HeaderPolicy::Api => headers.push(Header {
                name: "cache-control",
                value: "no-store",
                replaces_origin: false,
            }),
            HeaderPolicy::Site | HeaderPolicy::FunctionsOwn => {}
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_as_cloudfront_does() {
        assert!(pattern_matches("/api/*", "/api/registrations/abc"));
        assert!(pattern_matches("/api/*", "/api/"));
        assert!(!pattern_matches("/api/*", "/api"));
        assert!(pattern_matches("/api/meetings", "/api/meetings"));
        assert!(!pattern_matches("/api/meetings", "/api/meetings/x"));
        assert!(pattern_matches("/css/*", "/css/site.3f2a.css"));
        assert!(
            !pattern_matches("/css/*", "/CSS/site.css"),
            "case-sensitive"
        );
        assert!(pattern_matches("/a?c", "/abc"));
        assert!(pattern_matches("*", "/anything/at/all"));
    }

    #[test]
    fn each_path_gets_its_behaviour() {
        assert_eq!(behaviour("/api/meetings").headers, HeaderPolicy::Api);
        assert_eq!(
            behaviour("/api/meetings").path_pattern,
            "/api/meetings",
            "the cached behaviour first"
        );
        assert_eq!(behaviour("/api/registrations/x").origin, Origin::Function);
        assert_eq!(
            behaviour("/admin/").headers,
            HeaderPolicy::Site,
            "no editing screen on the public origin"
        );
        assert_eq!(behaviour("/").origin, Origin::Bucket);
        assert_eq!(behaviour("/bijeenkomsten/").headers, HeaderPolicy::Site);
    }

    #[test]
    fn personal_links_never_reach_a_referer_and_pages_keep_their_origin() {
        let referrer = |policy: HeaderPolicy| {
            policy
                .headers()
                .into_iter()
                .find(|h| h.name == "referrer-policy")
                .unwrap()
                .value
        };
        assert_eq!(referrer(HeaderPolicy::Api), "strict-origin");
        assert_eq!(referrer(HeaderPolicy::Site), "same-origin");
        assert_eq!(referrer(HeaderPolicy::EditingScreen), "same-origin");
    }
}
