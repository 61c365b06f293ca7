#!/usr/bin/env python3
"""Synthesises the benchmark site: N pages of about 600 words, written three times from the same text: as an
opp-site site (config.yaml, content/, theme/), as a Hugo site (hugo.toml, content/, layouts/, static/) and as a
Zola site (config.toml, content/, templates/, static/).

Python 3 standard library only, so CI needs no extra build and the generator's build is not disturbed; the
output depends only on N and the seed (random.Random with a fixed seed is stable across Python 3 versions).

    python3 bench/synth.py --pages 1000 --out /dev/shm/opp-bench/1000 [--seed 8] [--layouts bare]

Layouts (`bench/layouts/<kind>/<tool>/`): `same-work` gives each tool templates that do the same work as a real
theme (bench/README.md lists it); `bare` gives each only the title and the content of every page.

Layout: pages are grouped 100 to a section (`s000/` ... with an `_index.md` each), so list pages stay the same
size at every N; `content/_index.md` is the home page and lists the sections. Page `sXXX/pYYYYY.md` has the URL
`/sXXX/pYYYYY/` on both sites. Internal links are written as content paths for opp-site (`@/s001/p00042.md`,
resolved and checked by the generator; Zola resolves and checks the same syntax) and as the same URLs for Hugo
(`/s001/p00042/`, not checked).
"""

import argparse
import os
import random
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
PAGES_PER_SECTION = 100

WORDS = (
    "ontwikkelingsperspectief leerling school ouder leraar begeleiding onderwijs doel plan gesprek afspraak "
    "ondersteuning passend niveau uitstroom evaluatie team regio bijeenkomst samenwerking zorg kennis aanpak "
    "verslag traject inzicht keuze overleg voorbeeld jaar week middag vraag antwoord stap resultaat basis "
    "voortgezet speciaal praktijk wet regel bestuur inspectie kwaliteit leerroute toets advies groep klas "
    "en de het een van in op met voor dat is niet ook bij aan om als door naar maar over wordt kan zijn "
    "the of to and a in is it you that he was for on are with as they be at one have this from"
).split()
LANGUAGES = ["rust", "python", "yaml", "sh"]


def sentence(rng, low=8, high=16):
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


def paragraph(rng, link, sentences=4):
    """A paragraph with emphasis, strong text, inline code and one link."""
    parts = [sentence(rng) for _ in range(sentences)]
    words = parts[1].split(" ")
    words[1] = f"*{words[1]}*"
    words[3] = f"**{words[3]}**"
    words[5] = f"`{words[5]}`"
    parts[1] = " ".join(words)
    parts.insert(2, f"Lees ook [{rng.choice(WORDS)} {rng.choice(WORDS)}]({link}).")
    return " ".join(parts)


def title(rng):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 6))).capitalize()


def body(rng, link_to):
    """About 600 words of Markdown: headings, lists, links, emphasis, a table and a code block.

    `link_to(n)` gives the link target for page number n (a content path or a URL)."""
    n = lambda: rng.randrange(link_to.total)  # noqa: E731 - a short local helper reads best here
    out = []
    out.append(f"## {title(rng)}\n")
    out.append(paragraph(rng, link_to(n()), 5) + "\n")
    out.append(paragraph(rng, "https://www.rijksoverheid.nl/onderwerpen/passend-onderwijs", 4) + "\n")
    for _ in range(5):
        out.append(f"- {sentence(rng, 5, 10)} Zie [{rng.choice(WORDS)}]({link_to(n())}).")
    out.append("")
    out.append(f"### {title(rng)}\n")
    out.append(paragraph(rng, link_to(n()), 5) + "\n")
    out.append("| Onderdeel | Aantal | Toelichting |")
    out.append("|---|---:|---|")
    for _ in range(5):
        out.append(f"| {rng.choice(WORDS)} | {rng.randint(1, 999)} | {sentence(rng, 3, 6)} |")
    out.append("")
    out.append(paragraph(rng, link_to(n()), 4) + "\n")
    out.append(f"```{rng.choice(LANGUAGES)}")
    for i in range(6):
        out.append(f"let {rng.choice(WORDS)}_{i} = \"{rng.choice(WORDS)}\"; // {rng.choice(WORDS)}")
    out.append("```\n")
    out.append(f"## {title(rng)}\n")
    out.append(paragraph(rng, link_to(n()), 5) + "\n")
    for i in range(4):
        out.append(f"{i + 1}. {sentence(rng, 5, 10)}")
    out.append("")
    out.append(f"> {sentence(rng)} {sentence(rng)}\n")
    out.append(paragraph(rng, link_to(n()), 5) + "\n")
    return "\n".join(out)


def front_matter(page_title, description, date, weight):
    return (
        "---\n"
        f'title: "{page_title}"\n'
        f'description: "{description}"\n'
        f"date: {date}\n"
        f"weight: {weight}\n"
        "---\n"
    )


def zola_section_front_matter(section_title, description, weight):
    """Zola refuses a `date` in a section's front matter; `sort_by` lists its pages by weight, as the others do."""
    return (
        "---\n"
        f'title: "{section_title}"\n'
        f'description: "{description}"\n'
        f"weight: {weight}\n"
        "sort_by: weight\n"
        "---\n"
    )


def page_rel(i):
    return f"s{i // PAGES_PER_SECTION:03}/p{i:05}.md"


def page_url(i):
    return f"/s{i // PAGES_PER_SECTION:03}/p{i:05}/"


class Links:
    """Link targets for one of the two sites; `total` is how many pages there are to link to."""

    def __init__(self, total, opp):
        self.total, self.opp = total, opp

    def __call__(self, i):
        return f"@/{page_rel(i)}" if self.opp else page_url(i)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


LAYOUTS = ("same-work", "bare")


def synthesise(pages, out, seed, layouts="same-work"):
    if layouts not in LAYOUTS:
        raise ValueError(f"layouts must be one of {', '.join(LAYOUTS)}, not {layouts!r}")
    opp, hugo, zola = os.path.join(out, "opp"), os.path.join(out, "hugo"), os.path.join(out, "zola")
    for site in (opp, hugo, zola):
        if os.path.exists(site):
            shutil.rmtree(site)
    sections = (pages + PAGES_PER_SECTION - 1) // PAGES_PER_SECTION
    rng = random.Random(seed)
    home_text = paragraph(rng, "https://www.example.org/", 3) + "\n"
    write(os.path.join(opp, "content/_index.md"), front_matter("Benchmark", "Synthetische site.", "2025-01-01", 0) + home_text)
    write(os.path.join(hugo, "content/_index.md"), front_matter("Benchmark", "Synthetische site.", "2025-01-01", 0) + home_text)
    write(os.path.join(zola, "content/_index.md"), zola_section_front_matter("Benchmark", "Synthetische site.", 0) + home_text)
    for s in range(sections):
        section_title, description = f"Sectie {s}", f"Pagina's {s * PAGES_PER_SECTION} en verder."
        text = paragraph(rng, "https://www.example.org/", 3) + "\n"
        write(os.path.join(opp, f"content/s{s:03}/_index.md"), front_matter(section_title, description, "2025-01-01", s) + text)
        write(os.path.join(hugo, f"content/s{s:03}/_index.md"), front_matter(section_title, description, "2025-01-01", s) + text)
        write(os.path.join(zola, f"content/s{s:03}/_index.md"), zola_section_front_matter(section_title, description, s) + text)
    for i in range(pages):
        # Each page has its own generator, so page i's text (but for its link targets) does not depend on N.
        page_rng = random.Random(seed * 1_000_003 + i)
        fm = front_matter(
            title(page_rng),
            sentence(page_rng, 8, 14),
            f"2024-{page_rng.randint(1, 12):02}-{page_rng.randint(1, 28):02}",
            page_rng.randint(0, 50),
        )
        state = page_rng.getstate()
        opp_body = body(page_rng, Links(pages, opp=True))
        page_rng.setstate(state)
        hugo_body = body(page_rng, Links(pages, opp=False))
        write(os.path.join(opp, "content", page_rel(i)), fm + opp_body)
        write(os.path.join(hugo, "content", page_rel(i)), fm + hugo_body)
        write(os.path.join(zola, "content", page_rel(i)), fm + opp_body)  # the same content paths as opp-site

    # The themes are kept as files in bench/layouts/ so they can be read side by side.
    kind = os.path.join(HERE, "layouts", layouts)
    static = os.path.join(HERE, "layouts", "static")
    shutil.copytree(os.path.join(kind, "opp"), os.path.join(opp, "theme"))
    shutil.copytree(static, os.path.join(opp, "theme", "static"))
    shutil.copytree(os.path.join(kind, "hugo"), os.path.join(hugo, "layouts"))
    # Hugo fingerprints the stylesheet from assets/ and copies static/ as is, like opp-site's two copies.
    shutil.copytree(static, os.path.join(hugo, "static"))
    shutil.copytree(static, os.path.join(hugo, "assets"))
    # Zola copies static/ and hashes the stylesheet for get_url(cachebust=true).
    shutil.copytree(os.path.join(kind, "zola", "templates"), os.path.join(zola, "templates"))
    shutil.copytree(static, os.path.join(zola, "static"))
    menu = [("Home", 0)] + [(f"Sectie {s}", s) for s in range(min(sections, 4))]
    write(
        os.path.join(opp, "config.yaml"),
        "title: Benchmark\n"
        "description: Synthetische site voor de benchmark.\n"
        "base_url: https://bench.example.org\n"
        "language: nl\n"
        'registration_page: "@/_index.md"\n'
        "retention_days: 30\n"
        "contact:\n  organisation: Benchmark\n  email: info@example.org\n"
        "menu:\n"
        + "".join(
            f'  - title: {t}\n    page: "@/{"_index.md" if t == "Home" else f"s{s:03}/_index.md"}"\n' for t, s in menu
        ),
    )
    write(
        os.path.join(hugo, "hugo.toml"),
        'baseURL = "https://bench.example.org/"\n'
        'languageCode = "nl"\n'
        'title = "Benchmark"\n'
        # opp-site makes no taxonomies or feeds; it does make sitemap.xml and robots.txt.
        'disableKinds = ["taxonomy", "term", "RSS"]\n'
        "enableRobotsTXT = true\n"
        "[params]\n"
        'description = "Synthetische site voor de benchmark."\n'
        'organisation = "Benchmark"\n'
        'email = "info@example.org"\n'
        # opp-site does not highlight code; without this Hugo would run Chroma on every code block.
        "[markup.highlight]\n"
        "codeFences = false\n"
        + "".join(
            f'[[menu.main]]\nname = "{t}"\nurl = "{"/" if t == "Home" else f"/s{s:03}/"}"\nweight = {k + 1}\n'
            for k, (t, s) in enumerate(menu)
        ),
    )
    write(
        os.path.join(zola, "config.toml"),
        'base_url = "https://bench.example.org"\n'
        'title = "Benchmark"\n'
        'description = "Synthetische site voor de benchmark."\n'
        'default_language = "nl"\n'
        # Zola's defaults already match opp-site's work: no taxonomies, feeds, search index or Sass; sitemap.xml
        # and robots.txt on; no highlighting unless [markdown.highlighting] is set.
        "compile_sass = false\n"
        "build_search_index = false\n"
        "generate_feeds = false\n"
        "[markdown]\n"
        # opp-site puts an anchor link in every heading.
        'insert_anchor_links = "right"\n'
        "[extra]\n"
        'organisation = "Benchmark"\n'
        'email = "info@example.org"\n'
        "menu = [\n"
        + "".join(f'  {{ title = "{t}", url = "{"/" if t == "Home" else f"/s{s:03}/"}" }},\n' for t, s in menu)
        + "]\n",
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--layouts", choices=LAYOUTS, default="same-work")
    args = parser.parse_args()
    synthesise(args.pages, args.out, args.seed, args.layouts)


if __name__ == "__main__":
    main()
