//! The message catalogue: the texts our tools print for people (organisers now, editors next), in Dutch by
//! default and in English with `OPP_LANG=en`. One place, so the wording is read and changed together and
//! no text misses its other language.
//!
//! A message is a pair of templates with `{name}` placeholders, filled with [`Msg::fill`]. The stored values
//! (statuses in the table, `--json` output) are not messages: they never change with the language.

use std::fmt;
use std::sync::OnceLock;

/// The language of the people reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Nl,
    En,
}

impl Lang {
    /// `OPP_LANG` as people set it: `en`, `en_GB.UTF-8`, `EN` give English; anything else, or nothing, Dutch.
    pub fn parse(value: Option<&str>) -> Lang {
        match value {
            Some(value) if value.trim().to_ascii_lowercase().starts_with("en") => Lang::En,
            _ => Lang::Nl,
        }
    }

    /// The language of this process, from `OPP_LANG` (read once).
    pub fn current() -> Lang {
        static CURRENT: OnceLock<Lang> = OnceLock::new();
        *CURRENT.get_or_init(|| Lang::parse(std::env::var("OPP_LANG").ok().as_deref()))
    }
}

/// One message in both languages: Dutch first, then English. A reference to the pair, so a message is as
/// small as a pointer and build problems stay small.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Msg(pub &'static [&'static str; 2]);

impl Msg {
    /// The template in `lang`.
    pub const fn in_lang(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Nl => self.0[0],
            Lang::En => self.0[1],
        }
    }

    /// The text in the process's language (placeholders left as they are).
    pub fn text(&self) -> &'static str {
        self.in_lang(Lang::current())
    }

    /// The text in the process's language with each `{name}` replaced by its value.
    pub fn fill(&self, args: &[(&str, &dyn fmt::Display)]) -> String {
        self.fill_in(Lang::current(), args)
    }

    /// The text in `lang` with each `{name}` replaced by its value; an unknown `{name}` stays as it is.
    pub fn fill_in(&self, lang: Lang, args: &[(&str, &dyn fmt::Display)]) -> String {
        let template = self.in_lang(lang);
        let mut text = String::with_capacity(template.len() + 16);
        for piece in pieces(template) {
            match piece {
                Piece::Literal(literal) => text.push_str(literal),
                Piece::Placeholder(name) => match args.iter().find(|(key, _)| *key == name) {
                    Some((_, value)) => text.push_str(&value.to_string()),
                    None => {
                        text.push('{');
                        text.push_str(name);
                        text.push('}');
                    }
                },
            }
        }
        text
    }

    /// The placeholder names of a template, in order.
    pub fn placeholders(template: &str) -> Vec<&str> {
        pieces(template)
            .filter_map(|piece| match piece {
                Piece::Placeholder(name) => Some(name),
                Piece::Literal(_) => None,
            })
            .collect()
    }
}

/// A part of a template: text as it is, or a `{name}` to fill.
enum Piece<'a> {
    Literal(&'a str),
    Placeholder(&'a str),
}

/// A template's pieces in order; a `{` without its `}` is text.
fn pieces(template: &str) -> impl Iterator<Item = Piece<'_>> {
    let mut rest = template;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let piece = match rest.find('{') {
            Some(0) => match rest.find('}') {
                Some(close) => {
                    let name = &rest[1..close];
                    rest = &rest[close + 1..];
                    return Some(Piece::Placeholder(name));
                }
                None => std::mem::take(&mut rest),
            },
            Some(open) => {
                let (literal, after) = rest.split_at(open);
                rest = after;
                literal
            }
            None => std::mem::take(&mut rest),
        };
        Some(Piece::Literal(piece))
    })
}

/// A text for people that is put into words when shown: a catalogue message with its values (which may
/// be messages too), or words from elsewhere (a parser's detail, a file name). Made with [`text!`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Text {
    Msg(Msg, Vec<(&'static str, Text)>),
    Raw(String),
    /// Texts one after another, separated by "; " ("a.html regel 3; base.html regel 9").
    List(Vec<Text>),
}

impl Text {
    pub fn render(&self, lang: Lang) -> String {
        match self {
            Text::Msg(msg, args) => {
                let values: Vec<String> =
                    args.iter().map(|(_, value)| value.render(lang)).collect();
                let args: Vec<(&str, &dyn fmt::Display)> = args
                    .iter()
                    .zip(&values)
                    .map(|((name, _), value)| (*name, value as &dyn fmt::Display))
                    .collect();
                msg.fill_in(lang, &args)
            }
            Text::Raw(text) => text.clone(),
            Text::List(items) => items
                .iter()
                .map(|item| item.render(lang))
                .collect::<Vec<_>>()
                .join("; "),
        }
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::current()))
    }
}

impl From<String> for Text {
    fn from(text: String) -> Self {
        Text::Raw(text)
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Self {
        Text::Raw(text.to_string())
    }
}

impl From<Msg> for Text {
    fn from(msg: Msg) -> Self {
        Text::Msg(msg, Vec::new())
    }
}

/// A [`Text`] from a catalogue message and its values (anything with `Display`):
/// `text!(site::FOLDER_NOT_FOUND)`, `text!(site::DUPLICATE_ID, id = meeting.id, other = rel)`.
#[macro_export]
macro_rules! text {
    ($($part:ident)::+) => {
        $crate::messages::Text::Msg($crate::messages::$($part)::+, Vec::new())
    };
    ($($part:ident)::+, $($key:ident = $value:expr),+ $(,)?) => {
        $crate::messages::Text::Msg(
            $crate::messages::$($part)::+,
            vec![$((stringify!($key), $crate::messages::Text::Raw(($value).to_string()))),+],
        )
    };
}

/// Declares the messages of one tool as constants, and `ALL` for the catalogue's own checks.
macro_rules! catalogue {
    ($( $(#[$doc:meta])* $name:ident { nl: $nl:literal, en: $en:literal $(,)? } )*) => {
        $( $(#[$doc])* pub const $name: Msg = Msg(&[$nl, $en]); )*
        /// Every message of this part, by name.
        pub const ALL: &[(&str, Msg)] = &[ $( (stringify!($name), $name), )* ];
    };
}

/// A registration's status as people read it (the stored values are `RegistrationStatus::as_str`).
pub mod status {
    use super::Msg;
    catalogue! {
        CONFIRMED { nl: "bevestigd", en: "confirmed" }
        WAITLISTED { nl: "wachtlijst", en: "waitlisted" }
        CANCELLED { nl: "afgemeld", en: "cancelled" }
    }
}

/// `opp-site` (build, check, serve and its browser overlay) and the site configuration: what editors read.
pub mod site {
    use super::Msg;
    catalogue! {
        ERROR_PREFIX { nl: "fout", en: "error" }
        HINT_PREFIX { nl: "tip", en: "help" }
        ANNOTATION_TITLE { nl: "De site kan zo niet worden gebouwd", en: "The site cannot be built like this" }
        JOINED { nl: "{first}. {second}", en: "{first}. {second}" }
        WITH_NOTE { nl: "{text} ({note})", en: "{text} ({note})" }
        IO_FAILED { nl: "{action} lukte niet: {err}", en: "could not {action}: {err}" }

        // What failed, for IO_FAILED.
        ACTION_READ_CONFIG { nl: "het lezen van de siteconfiguratie", en: "read the site configuration" }
        ACTION_READ_FOLDER { nl: "het lezen van de map", en: "read the folder" }
        ACTION_INSPECT_FILE { nl: "het bekijken van het bestand", en: "inspect the file" }
        ACTION_READ_FILE { nl: "het lezen van het bestand", en: "read the file" }
        ACTION_READ_PAGE { nl: "het lezen van de pagina", en: "read the page" }
        ACTION_READ_PAGE_UTF8 { nl: "het lezen van de pagina (is het UTF-8-tekst?)", en: "read the page (is it UTF-8 text?)" }
        ACTION_READ_TEMPLATE { nl: "het lezen van het sjabloon", en: "read the template" }
        ACTION_READ_STATIC { nl: "het lezen van het vaste bestand", en: "read the static file" }
        ACTION_CREATE_PARENT { nl: "het maken van de bovenliggende map van de uitvoer", en: "create the output's parent folder" }
        ACTION_REMOVE_STAGING { nl: "het verwijderen van een oude werkmap", en: "remove an old staging folder" }
        ACTION_CREATE_STAGING { nl: "het maken van de werkmap", en: "create the staging folder" }
        ACTION_CREATE_OUTPUT_FOLDER { nl: "het maken van een map in de uitvoer", en: "create a folder in the output" }
        ACTION_WRITE_OUTPUT { nl: "het schrijven van het uitvoerbestand", en: "write the output file" }
        ACTION_REPLACE_OUTPUT { nl: "het vervangen van het uitvoerbestand", en: "replace the output file" }
        ACTION_MOVE_PREVIOUS { nl: "het opzijzetten van de vorige site", en: "move the previous site aside" }
        ACTION_PLACE_NEW { nl: "het plaatsen van de nieuwe site", en: "put the new site in place" }
        ACTION_REMOVE_PREVIOUS { nl: "het verwijderen van de vorige site", en: "remove the previous site" }

        // The command line.
        BUILT {
            nl: "{pages} pagina's gebouwd ({meetings} bijeenkomsten), {files} bestanden, in {output} in {ms} ms",
            en: "Built {pages} pages ({meetings} meetings), {files} files, into {output} in {ms} ms",
        }
        BUILD_FAILED {
            nl: "De site is niet gebouwd (aantal problemen: {count}); {output} is niet veranderd.",
            en: "Build failed with {count} problem(s); {output} was left unchanged.",
        }
        CHECKED {
            nl: "{pages} pagina's gecontroleerd: elke interne link en elk anker klopt.",
            en: "Checked {pages} pages: every internal link and anchor resolves.",
        }
        CHECK_FAILED {
            nl: "De controle vond problemen (aantal: {count}).",
            en: "Check failed with {count} problem(s).",
        }
        MORE_PROBLEMS {
            nl: "... en nog meer problemen (aantal: {count}). Los eerst deze op en bouw opnieuw.",
            en: "... and {count} more problem(s). Fix these first and build again.",
        }
        NO_RUNTIME { nl: "kon de server niet starten: {err}", en: "could not start the server runtime: {err}" }
        SOURCE_DATE_EPOCH {
            nl: "SOURCE_DATE_EPOCH=`{value}` is geen aantal seconden sinds 1970",
            en: "SOURCE_DATE_EPOCH=`{value}` is not a number of seconds since 1970",
        }
        SOURCE_DATE_EPOCH_HINT {
            nl: "haal hem weg, of zet hem bijvoorbeeld op de tijd van de laatste commit: git log -1 --format=%ct",
            en: "unset it, or set it to e.g. the last commit's time: git log -1 --format=%ct",
        }

        // serve and its overlay.
        SERVING {
            nl: "De site staat op http://{address}/ (Ctrl-C stopt)",
            en: "Serving the site on http://{address}/ (Ctrl-C stops)",
        }
        STOPPED { nl: "Gestopt.", en: "Stopped." }
        SERVE_BUILT {
            nl: "{pages} pagina's gebouwd ({meetings} bijeenkomsten) in {ms} ms",
            en: "Built {pages} pages ({meetings} meetings) in {ms} ms",
        }
        SERVE_REBUILT {
            nl: "{files} opnieuw gebouwd in {ms} ms (alleen wat veranderde)",
            en: "Rebuilt {files} in {ms} ms (incremental)",
        }
        SERVE_FAILED {
            nl: "De site is niet gebouwd; je ziet nog de laatste goede versie. Los het probleem op en sla opnieuw op.",
            en: "Build failed; still serving the last good build. Fix the problem and save again.",
        }
        CANNOT_LISTEN {
            nl: "kon niet luisteren op 127.0.0.1:{port}: {err} (gebruikt een andere server die poort? probeer --port)",
            en: "could not listen on 127.0.0.1:{port}: {err} (is another server using it? try --port)",
        }
        CANNOT_WATCH { nl: "kon {path} niet in de gaten houden: {err}", en: "could not watch {path}: {err}" }
        OVERLAY_TITLE { nl: "Fout bij het bouwen", en: "Build error" }
        OVERLAY_HEADING { nl: "De site kon niet worden gebouwd", en: "The site could not be built" }
        OVERLAY_HELP {
            nl: "Los het probleem hieronder op en sla het bestand op. Deze pagina laadt dan vanzelf opnieuw.",
            en: "Fix the problem below and save; this page reloads by itself.",
        }

        // Folders and files.
        FOLDER_NOT_FOUND { nl: "map niet gevonden", en: "folder not found" }
        FOLDER_NOT_FOUND_HINT {
            nl: "een site heeft de mappen content/ en theme/ naast config.yaml (zie docs/redactie/paginas.md)",
            en: "a site needs content/ and theme/ folders next to config.yaml (see docs/redactie/paginas.md)",
        }
        NAME_NOT_UTF8 { nl: "de bestandsnaam is geen geldige UTF-8", en: "file name is not valid UTF-8" }
        RENAME_FILE { nl: "geef het bestand een andere naam", en: "rename the file" }
        CONFIG_HINT {
            nl: "start opp-site in de map van de site, of geef --root MAP (de map met config.yaml)",
            en: "run opp-site in the site's folder, or pass --root DIR (the folder with config.yaml)",
        }
        NO_FRONT_MATTER {
            nl: "het bestand begint niet met front matter",
            en: "the file does not start with front matter",
        }
        NO_FRONT_MATTER_HINT {
            nl: "begin het bestand met een regel `---`, dan minstens `title: ...`, dan een regel `---`, dan de tekst",
            en: "start the file with a line `---`, then at least `title: ...`, then a line `---`, then the text",
        }
        FRONT_MATTER_NOT_CLOSED { nl: "de front matter is niet afgesloten", en: "the front matter is not closed" }
        FRONT_MATTER_NOT_CLOSED_HINT {
            nl: "zet een regel `---` na de front matter",
            en: "add a line `---` after the front matter",
        }
        TWO_WRITERS {
            nl: "twee delen van de site schrijven allebei /{path}",
            en: "two parts of the site both write /{path}",
        }
        TWO_WRITERS_HINT {
            nl: "een contentbestand en een vast (of gemaakt) bestand hebben hetzelfde pad; geef er één een andere naam",
            en: "a content file and a static file (or a generated file) have the same path; rename one",
        }
        NO_QR { nl: "kon geen QR-code maken voor {url}: {err}", en: "could not make a QR code for {url}: {err}" }
        NO_SUCH_TEMPLATE { nl: "het thema heeft dit sjabloon niet", en: "the theme has no such template" }
        NEEDS_404 {
            nl: "elke site heeft een sjabloon voor de pagina 'niet gevonden' (404) nodig",
            en: "every site needs a 404 page template",
        }

        // YAML.
        YAML_TAB { nl: "deze regel springt in met een tab", en: "this line is indented with a tab" }
        YAML_TAB_HINT {
            nl: "YAML laat alleen spaties toe om in te springen: vervang de tab door twee spaties",
            en: "YAML allows only spaces for indentation: replace the tab with two spaces",
        }
        YAML_NO_SPACE { nl: "er staat geen spatie na `{key}:`", en: "there is no space after `{key}:`" }
        YAML_NO_SPACE_HINT {
            nl: "typ een spatie na de dubbele punt: `{key}: {rest}`",
            en: "type a space after the colon: `{key}: {rest}`",
        }
        YAML_UNCLOSED {
            nl: "de waarde van `{key}` begint met {quote} maar eindigt er niet mee",
            en: "the value of `{key}` starts with {quote} but does not end with one",
        }
        YAML_UNCLOSED_HINT {
            nl: "zet ook {quote} aan het eind van de waarde, bijvoorbeeld {key}: {quote}{value}{quote}",
            en: "end the value with {quote}, e.g. {key}: {quote}{value}{quote}",
        }
        YAML_COLON { nl: "de waarde van `{key}` bevat `: `", en: "the value of `{key}` contains `: `" }
        YAML_COLON_HINT {
            nl: "zet de waarde tussen aanhalingstekens: {key}: \"{value}\"",
            en: "put the value in quotes: {key}: \"{value}\"",
        }
        YAML_UNKNOWN_FIELD { nl: "onbekend veld `{field}`", en: "unknown field `{field}`" }
        YAML_DID_YOU_MEAN {
            nl: "bedoel je `{close}`? Toegestaan hier: {allowed}",
            en: "did you mean `{close}`? Allowed here: {allowed}",
        }
        YAML_REMOVE_FIELD {
            nl: "haal het weg; toegestaan hier: {allowed}",
            en: "remove it; allowed here: {allowed}",
        }
        YAML_MISSING_FIELD { nl: "het veld `{field}` ontbreekt", en: "missing field `{field}`" }
        YAML_MISSING_FIELD_HINT {
            nl: "voeg `{field}: ...` toe (zie de uitleg over front matter in docs/redactie/paginas.md)",
            en: "add `{field}: ...` (see the front-matter reference in docs/redactie/paginas.md)",
        }
        YAML_COLON_VALUE_HINT {
            nl: "een waarde met `: ` erin moet tussen aanhalingstekens, bijvoorbeeld title: \"OPP: wat is dat?\"",
            en: "a value that contains `: ` must be put in quotes, e.g. title: \"OPP: wat is dat?\"",
        }
        YAML_TYPE_HINT {
            nl: "kijk wat voor waarde het moet zijn: tekst, een heel getal, true/false, of een datum zoals 2024-04-10",
            en: "check the value's type: text, a whole number, true/false, or a date like 2024-04-10",
        }
        YAML_ERROR { nl: "de YAML klopt niet: {detail}", en: "{detail}" }

        // Configuration (config.yaml, --base-url).
        BAD_BASE_URL {
            nl: "base_url `{url}` moet een volledig adres zijn, zoals https://www.example.nl",
            en: "base_url `{url}` must be a full address like https://www.example.nl",
        }
        BASE_URL_HINT { nl: "bijvoorbeeld base_url: https://www.example.nl", en: "e.g. base_url: https://www.example.nl" }
        ENDPOINT_NOT_API {
            nl: "registration_endpoint `{path}` moet beginnen met {prefix}: alleen paden onder {prefix} komen bij de aanmeldfunctie",
            en: "registration_endpoint `{path}` must start with {prefix}: only paths under {prefix} reach the registration function",
        }
        ENDPOINT_SHAPE {
            nl: "registration_endpoint `{path}` moet een pad zijn zoals /api/registrations (a-z, 0-9, '-' en '_' tussen de schuine strepen, geen schuine streep aan het eind)",
            en: "registration_endpoint `{path}` must be a path like /api/registrations (a-z, 0-9, '-' and '_' between the slashes, no slash at the end)",
        }
        ENDPOINT_TAKEN_MEETINGS {
            nl: "registration_endpoint `{path}` is al bezet: daar geeft de aanmeldfunctie de tellers van de bijeenkomsten",
            en: "registration_endpoint `{path}` is taken: the handler answers the meeting counters there",
        }
        ENDPOINT_TAKEN_MOVES {
            nl: "registration_endpoint `{path}` is al bezet: daar bevestigt een nieuw e-mailadres een adreswijziging",
            en: "registration_endpoint `{path}` is taken: a new address confirms an address move there",
        }
        ENDPOINT_TAKEN_LINKS {
            nl: "registration_endpoint `{path}` is al bezet: daar neemt de aanmeldfunctie linkaanvragen aan",
            en: "registration_endpoint `{path}` is taken: the handler answers link requests there",
        }
        ENDPOINT_HINT {
            nl: "bijvoorbeeld registration_endpoint: /api/registrations",
            en: "e.g. registration_endpoint: /api/registrations",
        }
        SECURITY_CONTACT_BAD {
            nl: "security_contact moet een adres zijn dat begint met mailto: of https:// (nu: {contact})",
            en: "security_contact must be an address starting with mailto: or https:// (now: {contact})",
        }
        SECURITY_CONTACT_HINT {
            nl: "bijvoorbeeld security_contact: https://www.ncsc.nl/contact/kwetsbaarheid-melden (waar iemand een kwetsbaarheid meldt)",
            en: "e.g. security_contact: https://www.ncsc.nl/contact/kwetsbaarheid-melden (where someone reports a vulnerability)",
        }
        RETENTION_ZERO { nl: "retention_days moet minstens 1 zijn", en: "retention_days must be at least 1" }
        RETENTION_HINT {
            nl: "bijvoorbeeld retention_days: 90 (de termijn uit de privacyverklaring)",
            en: "e.g. retention_days: 90 (the privacy statement's period)",
        }

        // Pages.
        URL_TWICE {
            nl: "het adres {url} wordt ook gemaakt door {other}",
            en: "the URL {url} is also made by {other}",
        }
        URL_TWICE_HINT {
            nl: "geef een van de bestanden een andere naam, of geef er één een andere `slug`",
            en: "rename one of the files or give one a different `slug`",
        }
        ID_TWICE {
            nl: "bijeenkomst-id `{id}` wordt al gebruikt door {other}",
            en: "meeting id `{id}` is already used by {other}",
        }
        ID_TWICE_HINT {
            nl: "elke bijeenkomst heeft een eigen id nodig; aanmeldingen worden eronder bewaard, dus gebruik er nooit een opnieuw",
            en: "every meeting needs its own id; registrations are stored under it, so never reuse one",
        }
        TITLE_EMPTY { nl: "de titel is leeg", en: "the title is empty" }
        TITLE_EMPTY_HINT { nl: "elke pagina heeft een titel nodig", en: "every page needs a title" }
        NOT_IN_URL {
            nl: "`{segment}` in `{rel}` kan geen deel van een webadres zijn (alleen a-z, 0-9, '-' en '_')",
            en: "`{segment}` in `{rel}` cannot be part of a web address (only a-z, 0-9, '-' and '_')",
        }
        BAD_SLUG {
            nl: "slug `{slug}` mag alleen a-z, 0-9, '-' en '_' bevatten",
            en: "slug `{slug}` may only hold a-z, 0-9, '-' and '_'",
        }
        SECTION_SLUG {
            nl: "een sectie (_index.md) krijgt haar adres van de mapnaam",
            en: "a section (_index.md) takes its URL from its folder name",
        }
        SECTION_SLUG_HINT { nl: "haal `slug` weg of geef de map een andere naam", en: "remove `slug` or rename the folder" }
        NAME_HINT {
            nl: "gebruik kleine letters, cijfers en '-' in namen van bestanden en mappen",
            en: "use lower-case letters, digits and '-' in file and folder names",
        }
        SECTION_MEETING { nl: "een sectie (_index.md) kan geen bijeenkomst zijn", en: "a section (_index.md) cannot be a meeting" }
        SECTION_MEETING_HINT {
            nl: "zet de bijeenkomst in een eigen bestand, bijvoorbeeld content/bijeenkomsten/zwolle.md",
            en: "put the meeting in its own file, e.g. content/bijeenkomsten/zwolle.md",
        }
        DID_YOU_MEAN { nl: "bedoel je `{close}`?", en: "did you mean `{close}`?" }
        TEMPLATES_ARE { nl: "sjablonen in theme/templates: {names}", en: "templates in theme/templates: {names}" }
        NO_TEMPLATE { nl: "sjabloon `{name}` bestaat niet", en: "template `{name}` does not exist" }
        NOT_A_CONTENT_PATH {
            nl: "`{link}` is geen contentpad (die beginnen met @/)",
            en: "`{link}` is not a content path (they start with @/)",
        }
        LINK_MISSING {
            nl: "link naar `{link}`, maar content/{path} bestaat niet (of is een concept)",
            en: "link to `{link}`, but content/{path} does not exist (or is a draft)",
        }
        LINK_MISSING_CLOSE {
            nl: "link naar `{link}`, maar content/{path} bestaat niet (of is een concept); bedoel je @/{close}?",
            en: "link to `{link}`, but content/{path} does not exist (or is a draft); did you mean @/{close}?",
        }
        MENU_ITEM { nl: "menu-item `{title}`: {problem}", en: "menu item `{title}`: {problem}" }
        REGISTRATION_PAGE { nl: "registration_page: {problem}", en: "registration_page: {problem}" }
        REGISTRATION_PAGE_HINT {
            nl: "laat registration_page wijzen naar de pagina met het aanmeldformulier",
            en: "point registration_page at the page with the registration form",
        }
        INTERNAL_LINK_HINT {
            nl: "schrijf interne links als contentpaden, bijvoorbeeld [Zwolle](@/bijeenkomsten/zwolle.md)",
            en: "write internal links as content paths, e.g. [Zwolle](@/bijeenkomsten/zwolle.md)",
        }

        // Templates.
        TEMPLATE_ERROR { nl: "fout in sjabloon: {detail}", en: "template error: {detail}" }
        WHILE_RENDERING { nl: "{problem} (bij het maken van {page})", en: "{problem} (while rendering {page})" }
        TEMPLATE_LINES { nl: "{template} regel {lines}", en: "{template} line {lines}" }
        EXPRESSION_USED_IN {
            nl: "de expressie staat in {places}",
            en: "the expression is used in {places}",
        }
        PAGES_HIT { nl: "{count} pagina's hebben hier last van", en: "{count} pages hit this" }
        VARIABLE_MISSING_HINT {
            nl: "die variabele bestaat hier niet; docs/theme-contract.md zegt wat elk sjabloon krijgt, of gebruik `| default(value=\"\")`",
            en: "the variable does not exist here; see docs/theme-contract.md for what each template gets, or use `| default(value=\"\")`",
        }
        EMAIL_FILE_MISSING {
            nl: "dit bestand ontbreekt: elke soort e-mail heeft een {kind}.txt en een {kind}.html",
            en: "this file is missing: every kind of e-mail has a {kind}.txt and a {kind}.html",
        }
        EMAIL_TEMPLATE_BROKEN { nl: "het sjabloon klopt niet: {detail}", en: "the template is broken: {detail}" }
        EMAIL_SUBJECT_FIRST {
            nl: "de eerste regel moet het onderwerp zijn, bijvoorbeeld: {prefix} Je aanmelding is bevestigd",
            en: "the first line must be the subject, e.g.: {prefix} Je aanmelding is bevestigd",
        }
        ASSET_MISSING {
            nl: "asset(path=\"{path}\"): theme/static/{path} bestaat niet; voeg het bestand toe of verbeter het pad",
            en: "asset(path=\"{path}\"): theme/static/{path} does not exist; add the file or fix the path",
        }
        URL_FOR_MISSING {
            nl: "url_for(path=\"{link}\"): content/{path} bestaat niet (of is een concept)",
            en: "url_for(path=\"{link}\"): content/{path} does not exist (or is a draft)",
        }
        FUNCTION_ARGUMENT {
            nl: "{function}() heeft een tekst `{name}` nodig, bijvoorbeeld {function}({name}=\"...\")",
            en: "{function}() needs a text argument `{name}`, e.g. {function}({name}=\"...\")",
        }
        EMAIL_TEMPLATE { nl: "e-mail: {problem}", en: "e-mail: {problem}" }
        EMAIL_TEMPLATE_HINT {
            nl: "docs/theme-contract.md (\"E-mails\") zegt welke gegevens elke e-mail krijgt",
            en: "docs/theme-contract.md (\"E-mails\") says what each e-mail gets",
        }

        // Links (check).
        LINK_FIX_HINT { nl: "verbeter de link in de Markdown", en: "fix the link in the Markdown" }
        LINK_IN_TEMPLATE_HINT { nl: "de link staat in het sjabloon", en: "the link is in the template" }
        ON_PAGE { nl: "{problem} (op {url})", en: "{problem} (on {url})" }
        ON_PAGE_FROM {
            nl: "{problem} (op {url}, gemaakt van {source})",
            en: "{problem} (on {url}, made from {source})",
        }
        BROKEN_LINK {
            nl: "kapotte link `{href}`: op {target} staat niets",
            en: "broken link `{href}`: nothing is published at {target}",
        }
        BROKEN_ANCHOR {
            nl: "kapot anker `{href}`: /{target} heeft geen element met id=\"{fragment}\"",
            en: "broken anchor `{href}`: /{target} has no element with id=\"{fragment}\"",
        }

        // Meetings.
        MEETING_ID {
            nl: "bijeenkomst-id `{id}` moet 1 tot 64 tekens zijn: a-z, 0-9 en '-', bijvoorbeeld 2025-03-utrecht",
            en: "meeting id `{id}` must be 1 to 64 characters of a-z, 0-9 and '-', e.g. 2025-03-utrecht",
        }
        END_WITHOUT_START {
            nl: "een eindtijd heeft een begintijd nodig; voeg `start: HH:MM` toe",
            en: "an end time needs a start time; add `start: HH:MM`",
        }
        END_BEFORE_START {
            nl: "het einde ({end}) moet na het begin ({start}) zijn",
            en: "the end ({end}) must be after the start ({start})",
        }
        CAPACITY_ZERO { nl: "capacity moet minstens 1 zijn", en: "capacity must be at least 1" }
        ROUTE_NOT_URL {
            nl: "route `{route}` moet een volledig webadres zijn dat begint met https://",
            en: "route `{route}` must be a full web address starting with https://",
        }
        MUST_NOT_BE_EMPTY { nl: "`{key}` mag niet leeg zijn", en: "`{key}` must not be empty" }
        CLOSES_AFTER_START {
            nl: "het aanmelden moet sluiten voordat de bijeenkomst begint",
            en: "registration must close before the meeting starts",
        }
        OPENS_AFTER_CLOSE {
            nl: "het aanmelden moet beginnen voordat het sluit",
            en: "registration must open before it closes",
        }
        CALLED_OFF_NO_REASON {
            nl: "een bijeenkomst die niet doorgaat, heeft een reden nodig voor de site en de e-mail: voeg `called_off_reason: \"...\"` toe",
            en: "a called-off meeting needs a reason for the site and the email: add `called_off_reason: \"...\"`",
        }
        REASON_WITHOUT_CALLED_OFF {
            nl: "een reden zonder `called_off: true`: voeg `called_off: true` toe, of haal de reden weg",
            en: "a reason without `called_off: true`: add `called_off: true`, or remove the reason",
        }
        NOT_A_DATE {
            nl: "`{text}` is geen datum; schrijf hem als JJJJ-MM-DD, bijvoorbeeld 2024-04-10",
            en: "`{text}` is not a date; write it as YYYY-MM-DD, e.g. 2024-04-10",
        }
        // The editing screen (`cms:` in config.yaml, and the hints the CMS shows beside its fields).
        CMS_BAD_REPO {
            nl: "`{repo}` is geen GitHub-repository; schrijf eigenaar/naam",
            en: "`{repo}` is not a GitHub repository; write owner/name",
        }
        CMS_REPO_HINT { nl: "repo: minocw/landelijk-opp", en: "repo: minocw/landelijk-opp" }
        CMS_URL_HINT { nl: "url: https://redactie.example.nl", en: "url: https://editing.example.nl" }
        CMS_URL_HAS_PATH {
            nl: "`{url}` moet alleen een domein zijn, zonder pad erachter: het werkscherm staat op een eigen domein",
            en: "`{url}` must be an origin only, without a path: the editing screen has a host name of its own",
        }
        CMS_API_ROOT_HINT { nl: "api_root: https://github.example.nl/api/v3", en: "api_root: https://github.example.com/api/v3" }
        CMS_BAD_SCOPE {
            nl: "`{scope}` is geen toegestane GitHub-scope; kies public_repo (openbare repository) of repo (besloten)",
            en: "`{scope}` is not an allowed GitHub scope; choose public_repo (public repository) or repo (private)",
        }
        CMS_SCOPE_HINT { nl: "auth_scope: public_repo", en: "auth_scope: public_repo" }
        CMS_HINT_MEETING_ID {
            nl: "Alleen kleine letters a-z, cijfers en streepjes, 1 tot 64 tekens. Bijvoorbeeld 2027-03-utrecht. Verander de id niet meer als er mensen zijn aangemeld.",
            en: "Only lower-case a-z, digits and dashes, 1 to 64 characters. For example 2027-03-utrecht. Do not change the id once people have registered.",
        }
        CMS_HINT_DATE {
            nl: "Schrijf de datum als jaar-maand-dag, bijvoorbeeld 2027-03-10.",
            en: "Write the date as year-month-day, for example 2027-03-10.",
        }
        CMS_HINT_TIME {
            nl: "Schrijf de tijd als uren:minuten (24 uur), bijvoorbeeld 13:30.",
            en: "Write the time as hours:minutes (24 hours), for example 13:30.",
        }
        CMS_HINT_DATE_TIME {
            nl: "Schrijf jaar-maand-dag, en als je wilt een tijd: 2027-03-01 of 2027-03-01 09:00.",
            en: "Write year-month-day, and a time if you like: 2027-03-01 or 2027-03-01 09:00.",
        }
        CMS_HINT_ROUTE {
            nl: "Een volledig webadres dat begint met https://, bijvoorbeeld een routeplanner.",
            en: "A full web address starting with https://, for example a route planner.",
        }
        NOT_A_TIME {
            nl: "`{text}` is geen tijd; schrijf hem als UU:MM (24 uur), bijvoorbeeld 13:30",
            en: "`{text}` is not a time; write it as HH:MM on a 24-hour clock, e.g. 13:30",
        }
    }
}

/// `opp-admin`: headers, counts, reports, warnings and errors.
pub mod admin {
    use super::Msg;
    catalogue! {
        ERROR_PREFIX { nl: "fout", en: "error" }
        WARNING_PREFIX { nl: "let op", en: "warning" }

        // Table headers.
        COL_MEETING { nl: "bijeenkomst", en: "meeting" }
        COL_DATE { nl: "datum", en: "date" }
        COL_CITY { nl: "plaats", en: "city" }
        COL_CAPACITY { nl: "plekken", en: "capacity" }
        COL_PLACES_LEFT { nl: "vrij", en: "places left" }
        COL_TOTAL { nl: "totaal", en: "total" }
        COL_REGISTERED { nl: "aangemeld", en: "registered" }
        COL_STATUS { nl: "status", en: "status" }
        COL_PROMOTED { nl: "van wachtlijst", en: "promoted" }
        COL_NAME { nl: "naam", en: "name" }
        COL_EMAIL { nl: "e-mail", en: "email" }
        COL_MAIL { nl: "post", en: "mail" }
        COL_ROLE { nl: "rol", en: "role" }
        COL_SECTOR { nl: "sector", en: "sector" }
        COL_ORGANISATION { nl: "organisatie", en: "organisation" }
        COL_NEEDS { nl: "nodig", en: "needs" }
        COL_FAILED { nl: "mislukt", en: "failed" }
        COL_KIND { nl: "soort", en: "kind" }
        COL_ERROR { nl: "fout", en: "error" }
        NOTHING { nl: "(geen)", en: "(none)" }

        // summary and list
        NO_MEETINGS {
            nl: "Er staan geen bijeenkomsten in tabel {table}. Voer eerst `opp-admin sync-meetings public/meetings.json` uit.",
            en: "No meetings in table {table}. Run `opp-admin sync-meetings public/meetings.json` first.",
        }
        PROMOTED_LINE {
            nl: "Van de wachtlijst naar een plek (`opp-admin list --meeting ID` laat zien wie): {counts}",
            en: "Moved up from the waiting list (`opp-admin list --meeting ID` shows who): {counts}",
        }
        CHECKED_IN_LINE {
            nl: "Binnen (ingecheckt bij de deur): {counts}",
            en: "Inside (checked in at the door): {counts}",
        }
        EMAIL_PROBLEMS_LINE {
            nl: "E-mail kwam niet aan of is als spam gemeld (deze mensen krijgen geen e-mail; `opp-admin list --meeting ID` laat zien wie): {counts}",
            en: "Email bounced or marked as spam (these people get no email; `opp-admin list --meeting ID` shows who): {counts}",
        }
        BREAKDOWN_ROLE {
            nl: "Per rol (bevestigd en wachtlijst):",
            en: "By role (confirmed and waitlisted):",
        }
        BREAKDOWN_SECTOR {
            nl: "Per sector (bevestigd en wachtlijst):",
            en: "By sector (confirmed and waitlisted):",
        }
        MISMATCH {
            nl: "bijeenkomst {meeting}: de tellers zeggen {counters} (bevestigd/wachtlijst/afgemeld), maar de aanmeldingen zijn {counted}",
            en: "meeting {meeting}: counters say {counters} (confirmed/waitlisted/cancelled) but the items are {counted}",
        }
        LIST_ONE_MEETING {
            nl: "De aanmeldingen van één bijeenkomst: opp-admin list --meeting {example}",
            en: "To list one meeting's registrations: opp-admin list --meeting {example}",
        }
        REGISTRATION_COUNT { nl: "{count} aanmelding(en)", en: "{count} registration(s)" }
        STATUS_NEEDS_MEETING {
            nl: "--status werkt alleen met --meeting: `opp-admin list` laat de bijeenkomsten zien",
            en: "--status needs --meeting: run `opp-admin list` to see the meetings",
        }
        UNKNOWN_STATUS {
            nl: "`{value}` is geen status: kies bevestigd, wachtlijst of afgemeld (of confirmed, waitlisted, cancelled)",
            en: "`{value}` is not a status: choose confirmed, waitlisted or cancelled (or bevestigd, wachtlijst, afgemeld)",
        }
        JSON_FAILED {
            nl: "het overzicht kon niet als JSON worden geschreven: {err}",
            en: "summary could not be written as JSON: {err}",
        }
        READING_REGISTRATIONS { nl: "aanmeldingen lezen", en: "reading registrations" }

        // export and attendance
        EXPORT_STDOUT_CSV_ONLY {
            nl: "`--output -` schrijft alleen CSV (een XLSX-bestand is binair): geef een bestandsnaam, bijvoorbeeld --output aanmeldingen.xlsx",
            en: "`--output -` writes CSV only (an XLSX file is binary): give a file name, e.g. --output aanmeldingen.xlsx",
        }
        ATTENDANCE_NEEDS_FILE {
            nl: "een presentielijst is een XLSX-bestand (binair): geef een bestandsnaam, bijvoorbeeld --output presentielijst.xlsx",
            en: "an attendance list is an XLSX file (binary): give a file name, e.g. --output presentielijst.xlsx",
        }
        STANDARD_OUTPUT { nl: "de standaarduitvoer", en: "standard output" }
        EXPORT_WRITTEN {
            nl: "{count} aanmelding(en) geschreven naar {place}; dit bestand bevat persoonsgegevens: bewaar het veilig en verwijder het na de bijeenkomst (AVG)",
            en: "wrote {count} registration(s) to {place}; it holds personal data: keep it safe and delete it after the meeting (AVG)",
        }
        ATTENDANCE_WRITTEN {
            nl: "presentielijst van {meeting} ({count} bevestigd) geschreven naar {place}; dit bestand bevat persoonsgegevens: bewaar het veilig en verwijder het na de bijeenkomst (AVG)",
            en: "wrote the attendance list of {meeting} ({count} confirmed) to {place}; it holds personal data: keep it safe and delete it after the meeting (AVG)",
        }
        XLSX_FAILED {
            nl: "het XLSX-bestand kon niet worden gemaakt: {err}",
            en: "the XLSX file could not be made: {err}",
        }
        TOO_MANY_ROWS { nl: "te veel rijen voor één werkblad", en: "too many rows for one sheet" }
        CANNOT_WRITE_STDOUT {
            nl: "kan niet naar de standaarduitvoer schrijven: {err}",
            en: "cannot write to standard output: {err}",
        }
        NOT_A_FILE_NAME { nl: "{path} is geen bestandsnaam", en: "{path} is not a file name" }
        FILE_PICK_NAME {
            nl: "kan geen tijdelijke naam kiezen naast {path}: {err}",
            en: "cannot pick a temporary name beside {path}: {err}",
        }
        FILE_CREATE {
            nl: "kan geen tijdelijk bestand maken naast {path}: {err}",
            en: "cannot create a temporary file beside {path}: {err}",
        }
        FILE_WRITE { nl: "kan {path} niet schrijven: {err}", en: "cannot write {path}: {err}" }
        FILE_MOVE {
            nl: "kan het klaar bestand niet verplaatsen naar {path}: {err}",
            en: "cannot move the finished file to {path}: {err}",
        }

        // sync-meetings
        SYNC_CANNOT_READ {
            nl: "kan {path} niet lezen: {err} (bouw eerst de site: `cargo site build` schrijft public/meetings.json)",
            en: "cannot read {path}: {err} (build the site first: `cargo site build` writes public/meetings.json)",
        }
        SYNC_REFUSED_CAPACITY {
            nl: "geweigerd  {meeting}: {capacity} plekken is minder dan de {confirmed} bevestigde aanmeldingen; maak het minstens {confirmed} of meld eerst mensen af",
            en: "refused   {meeting}: capacity {capacity} is below the {confirmed} confirmed registrations; raise it to at least {confirmed} or cancel registrations first",
        }
        SYNC_REFUSED_RACE {
            nl: "geweigerd  {meeting}: {capacity} plekken is minder dan de {confirmed} bevestigde aanmeldingen",
            en: "refused   {meeting}: capacity {capacity} is below the {confirmed} confirmed registrations",
        }
        SYNC_UNCHANGED { nl: "ongewijzigd {meeting}", en: "unchanged {meeting}" }
        SYNC_UPDATE { nl: "bijwerken  {meeting}: {changes}", en: "update {meeting}: {changes}" }
        SYNC_WOULD_UPDATE { nl: "zou bijwerken {meeting}: {changes}", en: "would update {meeting}: {changes}" }
        SYNC_CREATE {
            nl: "nieuw      {meeting}: {date}, {city}, {capacity} plekken",
            en: "create {meeting}: {date}, {city}, capacity {capacity}",
        }
        SYNC_WOULD_CREATE {
            nl: "zou maken  {meeting}: {date}, {city}, {capacity} plekken",
            en: "would create {meeting}: {date}, {city}, capacity {capacity}",
        }
        SYNC_KEPT {
            nl: "bewaard    {meeting}: niet in {file} (blijft staan; `--prune` verwijdert het als er geen aanmeldingen zijn)",
            en: "kept      {meeting}: not in {file} (left as it is; `--prune` removes it when it has no registrations)",
        }
        SYNC_PRUNE_REFUSED {
            nl: "geweigerd  {meeting}: niet in {file}, maar er zijn aanmeldingen, dus het blijft: een id ligt vast zodra mensen zich hebben aangemeld (purge-expired verwijdert ze na de bewaartermijn; voer dan opnieuw --prune uit)",
            en: "refused   {meeting}: not in {file} but it has registrations, so it stays: an id is permanent once people have registered (purge-expired removes them after the retention date; prune again then)",
        }
        SYNC_PRUNE { nl: "verwijderd {meeting}: niet in {file}, geen aanmeldingen", en: "prune {meeting}: not in {file}, no registrations" }
        SYNC_WOULD_PRUNE {
            nl: "zou verwijderen {meeting}: niet in {file}, geen aanmeldingen",
            en: "would prune {meeting}: not in {file}, no registrations",
        }
        SYNC_TOTALS {
            nl: "{created} nieuw, {updated} bijgewerkt, {unchanged} ongewijzigd, {refused} geweigerd",
            en: "{created} created, {updated} updated, {unchanged} unchanged, {refused} refused",
        }
        DRY_RUN_NOTE { nl: " (proefrun: niets geschreven)", en: " (dry run: nothing written)" }
        SYNC_KEPT_WITH_REGISTRATIONS {
            nl: "{count} bijeenkomst(en) die niet in het bestand staan, zijn bewaard omdat er aanmeldingen zijn: {meetings}",
            en: "{count} meeting(s) not in the file were kept because they have registrations: {meetings}",
        }
        SYNC_KEPT_CAPACITY {
            nl: "{count} bijeenkomst(en) hielden hun aantal plekken, omdat het anders onder het aantal bevestigde aanmeldingen komt: {meetings}",
            en: "{count} meeting(s) kept their capacity because it would drop below the confirmed count: {meetings}",
        }
        SYNC_PROMOTED {
            nl: "van wachtlijst {meeting}: {count} van de wachtlijst naar nieuwe plekken",
            en: "promoted  {meeting}: {count} from the waiting list into new seats",
        }
        SYNC_RETENTION {
            nl: "bewaartermijn {meeting}: {count} aanmelding(en) blijven nu tot {until}",
            en: "retention {meeting}: {count} registration(s) now kept until {until}",
        }
        CHANGE { nl: "{field} {old} -> {new}", en: "{field} {old} -> {new}" }
        FIELD_TITLE { nl: "titel", en: "title" }
        FIELD_PATH { nl: "pad", en: "path" }
        FIELD_DATE { nl: "datum", en: "date" }
        FIELD_TIME { nl: "tijd", en: "time" }
        FIELD_VENUE { nl: "locatie", en: "venue" }
        FIELD_ADDRESS { nl: "adres", en: "address" }
        FIELD_POSTCODE { nl: "postcode", en: "postcode" }
        FIELD_CITY { nl: "plaats", en: "city" }
        FIELD_CALENDAR { nl: "agenda", en: "calendar" }
        FIELD_CAPACITY { nl: "plekken", en: "capacity" }
        FIELD_WAITLIST { nl: "wachtlijst", en: "waiting list" }
        FIELD_OPENS { nl: "open vanaf", en: "opens" }
        FIELD_CLOSES { nl: "sluit", en: "closes" }
        FIELD_ENDS { nl: "eindigt", en: "ends" }
        FIELD_RETENTION { nl: "bewaren tot", en: "retention until" }
        FIELD_DATE_LABEL { nl: "datumtekst", en: "date label" }

        // erase
        ERASE_WOULD_REMOVE_REQUESTS {
            nl: "zou de linkaanvragen van {email} verwijderen (aantal: {count})",
            en: "would remove {count} link request(s) of {email}",
        }
        ERASE_REMOVED_REQUESTS {
            nl: "linkaanvragen van {email} verwijderd (aantal: {count})",
            en: "removed {count} link request(s) of {email}",
        }
        ERASE_WOULD_REMOVE_SENT {
            nl: "zou de verzonden e-mails en adreswijzigingen van {email} vergeten (aantal: {count})",
            en: "would forget {count} sent mail(s) and address move(s) of {email}",
        }
        ERASE_REMOVED_SENT {
            nl: "verzonden e-mails en adreswijzigingen van {email} vergeten (aantal: {count})",
            en: "forgot {count} sent mail(s) and address move(s) of {email}",
        }
        ERASE_NOTHING {
            nl: "geen aanmeldingen van {email}: er is niets te wissen",
            en: "no registrations of {email}: nothing to erase",
        }
        ERASE_WOULD_REMOVE {
            nl: "zou {email} verwijderen uit {meeting} ({status}, aangemeld {registered})",
            en: "would remove {email} from {meeting} ({status}, registered {registered})",
        }
        ERASE_DRY_RUN_TOTAL {
            nl: "{count} aanmelding(en) gevonden (proefrun: niets verwijderd)",
            en: "{count} registration(s) found (dry run: nothing removed)",
        }
        ERASING { nl: "wissen", en: "erasing" }
        ERASE_PROMOTED {
            nl: "; de vrije plek ging naar {name} (de eerste op de wachtlijst)",
            en: "; the freed seat went to {name} (first on the waiting list)",
        }
        ERASE_REMOVED {
            nl: "{email} verwijderd uit {meeting} ({status}){promoted}",
            en: "removed {email} from {meeting} ({status}){promoted}",
        }
        ERASE_TOTAL {
            nl: "{count} aanmelding(en) van {email} gewist, met hun afmeldlinks",
            en: "{count} registration(s) of {email} erased, with their cancellation links",
        }

        // purge-expired
        PURGE_DRY_RUN {
            nl: "{registrations} aanmelding(en) en {tokens} link(s) zijn over hun bewaartermijn (proefrun: niets verwijderd)",
            en: "{registrations} registration(s) and {tokens} token(s) are past their retention period (dry run: nothing removed)",
        }
        PURGING { nl: "opruimen", en: "purging" }
        PURGE_DONE {
            nl: "{registrations} aanmelding(en) verwijderd met hun afmeldlinks; {tokens} andere verlopen link(s) verwijderd",
            en: "{registrations} registration(s) removed with their cancellation links; {tokens} other expired token(s) removed",
        }

        // rekey-links
        NO_RANDOMNESS { nl: "geen toeval beschikbaar voor {what}: {err}", en: "no randomness for {what}: {err}" }
        REKEY_DONE {
            nl: "{count} aanmelding(en) kregen een link van sleutelversie {version}; {already} hadden er al een",
            en: "{count} registration(s) got a link of key version {version}; {already} already had one",
        }
        REKEY_SKIPPED {
            nl: "; {count} veranderden intussen (voer het opnieuw uit)",
            en: "; {count} changed meanwhile (run again)",
        }
        REKEY_REVOKED {
            nl: "{count} eerdere link(s) ingetrokken: ze openen geen aanmelding meer (\"Link kwijt?\" stuurt de nieuwe)",
            en: "{count} earlier link(s) revoked: they no longer open a registration (\"Link kwijt?\" sends the new one)",
        }
        REKEY_OLD_KEEP_WORKING {
            nl: "eerdere links blijven werken tot ze verlopen; `--revoke-old` stopt ze",
            en: "earlier links keep working until they expire; `--revoke-old` ends them",
        }
        REKEY_NEEDS_KEY {
            nl: "rekey-links heeft de linksleutel nodig: --link-key-arn (LinkKeySecretArn van de stack) of --link-key-file",
            en: "rekey-links needs the link key: --link-key-arn (the stack's LinkKeySecretArn) or --link-key-file",
        }

        // send-link
        SEND_LINK_NONE {
            nl: "{email} heeft geen lopende aanmelding: er gaat geen e-mail weg",
            en: "{email} has no live registration: no email is sent",
        }
        SEND_LINK_WRITTEN {
            nl: "linkaanvraag geschreven: binnen een minuut mailt de mailer {email} de link(s) van {count} aanmelding(en)",
            en: "link request written: the mailer emails {email} the link(s) of {count} registration(s) within a minute",
        }

        // mail-failures
        MAIL_FAILURES_NONE {
            nl: "Er is de afgelopen 30 dagen geen e-mail mislukt.",
            en: "No email failed in the last 30 days.",
        }
        MAIL_FAILURES_TOTAL {
            nl: "{count} e-mail(s) niet verstuurd. Vanaf hier wordt niets opnieuw geprobeerd: de persoon kan op de site opnieuw om de link vragen.",
            en: "{count} email(s) not sent. Nothing is retried from here: the person can ask for their link again on the site.",
        }

        // errors shared by the commands
        STORE_FAILED {
            nl: "de opslag gaf een fout: {err}; na dit punt is niets veranderd",
            en: "the store failed: {err}; nothing after this point was changed",
        }
        UNKNOWN_MEETING {
            nl: "er is geen bijeenkomst `{meeting}` in tabel {table}; bekende bijeenkomsten: {known}",
            en: "there is no meeting `{meeting}` in table {table}; known meetings: {known}",
        }
        NO_MEETINGS_YET {
            nl: "geen; voer eerst `opp-admin sync-meetings public/meetings.json` uit",
            en: "none; run `opp-admin sync-meetings public/meetings.json` first",
        }
        UNREADABLE { nl: "(kon niet worden gelezen)", en: "(could not be read)" }
        NOT_AN_EMAIL {
            nl: "`{email}` is geen e-mailadres (verwacht zoiets als naam@school.nl)",
            en: "`{email}` is not an email address (expected something like naam@school.nl)",
        }
        FILE_PROBLEM { nl: "{path}: {err}", en: "{path}: {err}" }
        NO_REGION {
            nl: "er is geen AWS-regio ingesteld: geef --region (bijvoorbeeld eu-central-1, waar de stack draait) of zet AWS_REGION; voor de lokale opslag van `cargo dev`: geef --endpoint-url http://127.0.0.1:8000 (of gebruik `cargo admin`, zoals `cargo dev` het laat zien)",
            en: "no AWS region is configured: pass --region (e.g. eu-central-1, where the stack runs) or set AWS_REGION; for the local store of `cargo dev`, pass --endpoint-url http://127.0.0.1:8000 (or run `cargo admin`, as `cargo dev` prints it)",
        }
        NO_CREDENTIALS {
            nl: "geen AWS-inloggegevens gevonden: zet AWS_PROFILE (na `aws sso login`) of AWS_ACCESS_KEY_ID en AWS_SECRET_ACCESS_KEY; voor een lokale opslag: geef --endpoint-url http://127.0.0.1:8000",
            en: "no AWS credentials found: set AWS_PROFILE (after `aws sso login`) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; for a local store pass --endpoint-url http://127.0.0.1:8000",
        }
        TABLE_MISSING {
            nl: "tabel `{table}` bestaat niet bij {place}: controleer --table (de uitvoer `TableName` van de stack) en de regio",
            en: "table `{table}` does not exist at {place}: check --table (the stack's `TableName` output) and the region",
        }
        TABLE_MISSING_LOCAL {
            nl: "; `cargo dev` maakt de lokale tabel als het start",
            en: "; `cargo dev` creates the local table when it starts",
        }
        REFUSED_REQUEST {
            nl: "{place} weigerde het verzoek ({code}: {message}): controleer of je inloggegevens tabel `{table}` mogen lezen",
            en: "{place} refused the request ({code}: {message}): check that your credentials may read table `{table}`",
        }
        LOCAL_UNREACHABLE {
            nl: "kan de opslag op {endpoint} niet bereiken: draait die? (`cargo dev` start er een op 127.0.0.1:8000)",
            en: "cannot reach the store at {endpoint}: is it running? (`cargo dev` serves one on 127.0.0.1:8000)",
        }
        AWS_UNREACHABLE {
            nl: "kan DynamoDB niet bereiken: controleer je netwerkverbinding en de regio",
            en: "cannot reach DynamoDB: check your network connection and the region",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_message() -> impl Iterator<Item = (&'static str, Msg)> {
        status::ALL
            .iter()
            .chain(site::ALL)
            .chain(admin::ALL)
            .copied()
    }

    #[test]
    fn both_languages_have_the_same_placeholders_and_no_empty_text() {
        for (name, msg) in every_message() {
            assert!(
                !msg.in_lang(Lang::Nl).trim().is_empty()
                    && !msg.in_lang(Lang::En).trim().is_empty(),
                "{name} is empty in one language"
            );
            let mut nl = Msg::placeholders(msg.in_lang(Lang::Nl));
            let mut en = Msg::placeholders(msg.in_lang(Lang::En));
            nl.sort_unstable();
            nl.dedup();
            en.sort_unstable();
            en.dedup();
            assert_eq!(nl, en, "{name}: the placeholders differ between nl and en");
        }
    }

    #[test]
    fn fill_replaces_named_placeholders_and_keeps_unknown_ones() {
        let msg = Msg(&["{count} van {meeting} {onbekend} {", "{meeting}: {count}"]);
        let args: [(&str, &dyn fmt::Display); 2] = [("count", &3), ("meeting", &"zwolle")];
        assert_eq!(msg.fill_in(Lang::Nl, &args), "3 van zwolle {onbekend} {");
        assert_eq!(msg.fill_in(Lang::En, &args), "zwolle: 3");
    }

    #[test]
    fn opp_lang_picks_english_only_when_asked() {
        assert_eq!(Lang::parse(None), Lang::Nl);
        assert_eq!(Lang::parse(Some("")), Lang::Nl);
        assert_eq!(Lang::parse(Some("nl")), Lang::Nl);
        assert_eq!(Lang::parse(Some("en")), Lang::En);
        assert_eq!(Lang::parse(Some("en_GB.UTF-8")), Lang::En);
        assert_eq!(Lang::parse(Some(" EN ")), Lang::En);
    }
}
