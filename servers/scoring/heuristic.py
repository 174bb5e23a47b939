"""The heuristic scorer: deterministic, offline, explainable dimension scores from a signal's own words and counts."""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from glm3.servers.scoring.models import DIMENSIONS, Reasoning, ScoreDraft, Scores, ScoringConfig, Signal

# Bounds on the text scanned, so one huge signal cannot stall a stream of small ones.
MAX_RAW_CHARS = 20_000
MAX_COMMENTS = 200
MAX_COMMENT_CHARS = 2_000
MAX_COMMENTS_TOTAL_CHARS = 20_000
MAX_MATCHES = 2_000  # cue matches counted per signal; only cue-stuffed text gets near it

# Diminishing returns: a family's evidence weight is its distinct cues, plus a little for each repeat of a cue and
# for each comment that echoes the family, both capped so repeating one word cannot max a dimension.
ECHO_WEIGHT = 0.4
ECHO_CAP = 10
REPEAT_WEIGHT = 0.25
REPEAT_CAP = 4
# A cue repeated more often than this within the post (title, description, raw content) or within one comment
# reads as stuffing; the post gets one more free repeat per STUFFING_CHARS_PER_REPEAT characters. Stuffed text
# loses signal quality, and all its cue evidence is discounted (never below STUFFING_MIN_TRUST) so that it
# cannot buy a score.
STUFFING_FREE_REPEATS = 6
STUFFING_CHARS_PER_REPEAT = 2_000
STUFFING_HALF_TRUST = 20  # extra repeats at which cue evidence counts half
STUFFING_MIN_TRUST = 0.1

SHOWN_CUES = 4  # cue texts quoted in a reasoning sentence; the rest are counted ("+3 more")

# ---------------------------------------------------------------------------------------------------------------
# Cue lexicon. Templates use `{a|b|}` for alternatives (an empty one makes the part optional); every expansion is
# one literal phrase, matched case-insensitively on whole words. One template is one cue: its inflections
# ("hate", "hated") count as repeats, not as separate evidence.

# Families before NEUTRAL are scored; NEUTRAL absorbs look-alike phrases, NUMBER counts numbers for specificity,
# FIELD is the separator between the fields of a signal.
BREADTH, DEMAND, ALTERNATIVE, INCUMBENT, GAP, PAIN, WTP, HARD, EASY, NEUTRAL, NUMBER, FIELD = range(12)
FAMILY_NAMES = ("breadth", "demand", "alternative", "incumbent", "gap", "pain", "wtp", "hard", "easy")
assert len(FAMILY_NAMES) == NEUTRAL == 9  # _scan spells out one list per scored family

_GROUPS = (
    "{team|teams|company|companies|business|businesses|startup|startups|developer|developers|founder|founders|"
    "freelancer|freelancers|agency|agencies|marketer|marketers|designer|designers|engineer|engineers|manager|"
    "managers|small business|small businesses|shop|shops|store|stores|creator|creators}"
)
_TOOLS = "{tool|tools|app|apps|option|options|solution|solutions|product|products|service|services|software}"
_CANT = "{can't|cant|cannot|can not|couldn't|couldnt|could not}"

_LEXICON_TEMPLATES: dict[int, tuple[str, ...]] = {
    BREADTH: (
        "{everyone|everybody}", "every " + _GROUPS, "all " + _GROUPS,
        "{small|smaller} businesses", "smbs", "small teams", "{millions|thousands|hundreds|billions} of",
        "{growing|fast-growing|fast growing|rapidly growing}", "{booming|exploding|skyrocketing}",
        "{huge|big|massive|large} market", "market size", "{so many|lots of|a lot of|many|most} people",
        "most {teams|companies|businesses|developers}", "{every|any} industry", "across industries",
        "common problem", "{widespread|universal|mainstream}", "{increasingly|more and more|on the rise}",
        "{trend|trending|trends}", "{in demand|high demand|huge demand|growing demand}",
    ),
    DEMAND: (
        "me too", "same here", "same {problem|issue|pain|boat}", "+1",
        "{i|we} {need|want} this", "need this", "{i|we} would use {this|it|that|}", "{i'd|we'd} use {this|it|that|}",
        "would love {this|that|something like this|}", "sign me up", "where {can|do} i sign up", "waitlist",
        "{exactly|just} what i need", "looking for {this|something like this}", "any updates",
        "{i|we} would {buy|try} {this|it|that}", "{i'd|we'd} {buy|try} {this|it|that}",
    ),
    ALTERNATIVE: (
        "{i|we} {tried|'ve tried|have tried}", "tried using",
        "{have you tried|did you try|you could use|you can use|check out|just use|why not use}",
        "{alternative|alternatives} {to|for}", "an alternative", "{vs|vs.|versus}", "compared to", "comparison",
        "{switched|switching|migrated|migrating|moved|moving} {from|to}",
        "{i|we} use", "{i'm|we're|i am|we are} using", "currently using", "{competitor|competitors|competing}",
        "{incumbent|incumbents}", "already {exists|exist}", "existing " + _TOOLS,
        "{plenty of|lots of|tons of|so many|dozens of} " + _TOOLS, "{crowded|saturated|red ocean}", "market leader",
    ),
    INCUMBENT: tuple(
        "{notion|jira|trello|asana|clickup|monday.com|basecamp|airtable|salesforce|hubspot|pipedrive|zapier|"
        "make.com|ifttt|slack|figma|canva|miro|shopify|woocommerce|squarespace|wix|webflow|wordpress|quickbooks|"
        "xero|freshbooks|stripe|mailchimp|convertkit|zendesk|intercom|freshdesk|confluence|evernote|obsidian|"
        "todoist|dropbox|google drive|google sheets|google docs|excel|microsoft excel|calendly|loom|grammarly|"
        "chatgpt|copilot|github copilot|datadog|sentry|mixpanel|amplitude|hotjar|typeform|docusign|gusto|rippling|"
        "superhuman|1password|lastpass|hootsuite|semrush|ahrefs|tableau|looker|power bi|retool|postman|heroku|"
        "vercel|toggl|harvest|bamboohr|workday|servicenow}".strip("{}").split("|")
    ),
    GAP: (
        "there {is|'s|are} no {tool|app|solution|product|service|software|good way|easy way|way}",
        "no {good|decent|simple|easy|real} {tool|app|solution|way|option}",
        "nothing {exists|out there|like this|like that|on the market}", _CANT + " find {any|a|an|anything|one}",
        "{doesn't|does not|don't|do not} exist", "no existing", "{i|} wish there {was|were}",
        "{someone|somebody} should {build|make|create}", "why {is there no|isn't there|is nobody|is no one}",
        "is there {a|an|any} {tool|app|service|way|solution}", "does anyone know {of|a|an}",
        "looking for a {tool|app|solution|service}", "none of {them|these|those|the tools|the apps|the options}",
        "{nobody|no one} {has built|is doing|does this|offers}", "{underserved|unserved|untapped}",
        "gap in the market", "no {competition|competitors|alternative|alternatives}",
    ),
    PAIN: (
        "{frustrating|frustrated|frustration|frustrates}", "{hate|hated|hates|hating}",
        "{annoying|annoyed|annoys|annoyance}", "{pain|pains|a pain|such a pain|pain in the ass|pain in the neck}",
        "{pain point|pain points}", "painful", "{nightmare|nightmares}", "{struggle|struggles|struggled|struggling}",
        "{waste|wastes|wasted|wasting} {hours|time|days|so much time|a lot of time|an hour|money}",
        "hours {every|each|a|per} {day|week|month}", "tedious", "{time-consuming|time consuming}",
        "{drives|driving} me {crazy|nuts|insane|mad}", "fed up", "{sick|tired} of", "{headache|headaches}",
        "{sucks|suck}", "{terrible|awful|horrible}", "{clunky|unusable}", "{killing me|kills me}",
        "{can't|cannot} stand", "impossible to", "{error-prone|error prone}", "{manually|by hand}",
        "{copy-paste|copy paste|copy and paste|copy-pasting}", "{desperate|desperately}", "ugh",
        "{losing|lost|lose} {money|customers|clients|sales|deals|revenue}", "{costing|costs|cost} {us|me}",
        "every {single|} {day|week|morning}", "daily", "takes {forever|hours|days|ages}",
        "{overwhelmed|overwhelming|stressful|stressed|burnout|burned out}",
    ),
    WTP: (
        "{i|we} would {happily |gladly |definitely |}pay", "{i'd|we'd} {happily |gladly |definitely |}pay",
        "would pay", "{willing|happy|glad} to pay", "gladly pay", "{shut up and |}take my money",
        "worth {paying|paying for|the money|every penny}", "{pay|paying} for", "{i|we} pay",
        "{i'm|we're|i am|we are} paying", "already {pay|paying}", "{subscription|subscriptions|subscribe}",
        "per {seat|user}", "pricing", "budget", "{paid plan|paid version|paid tier}",
        "premium", "pro plan", "lifetime deal", "{expensive|overpriced|pricey}",
    ),
    HARD: (
        # Not bare "device", "embedded" or "chip": "on all devices", "embedded analytics" and "chip in" are software.
        "hardware", "{iot device|iot devices|physical device|physical devices|wearable|wearables}",
        "{sensor|sensors}", "firmware", "iot", "{embedded systems|embedded hardware}",
        "{custom chip|semiconductor|semiconductors}",
        "{manufacturing|manufacture|factory}", "physical product", "{inventory|warehouse|logistics|supply chain}",
        "{regulatory|regulation|regulations|regulated}", "compliance", "{hipaa|gdpr|fda|soc 2|soc2|pci|pci dss}",
        "medical device", "{clinical|clinical trial|clinical trials}", "insurance",
        "{banking license|money transmitter}",
        "{kyc|aml}", "{liability|legal advice}", "{blockchain|crypto|cryptocurrency|web3|nft}",
        "{marketplace|marketplaces}", "{two-sided|two sided}", "{network effect|network effects}", "chicken and egg",
        "{self-driving|autonomous}", "{robot|robots|robotics}", "{drone|drones}", "{satellite|satellites}",
        "from scratch", "{enterprise-wide|enterprise-grade|enterprise grade|company-wide|organization-wide}",
        "{on-premise|on-prem|on premise}", "train {a|our own|my own|our|your own} {model|llm|ai}",
        "foundation model", "{real-time video|computer vision}", "{at scale|massive scale}", "operating system",
        "social network", "new protocol", "{government|public sector|procurement}",
    ),
    EASY: (
        "{simple|simply|easy|lightweight|minimal}", "{small|tiny|little} tool",
        "{browser|chrome|firefox|safari|vs code|vscode} {extension|add-on}", "extension",
        "{plugin|plugins|plug-in|add-on|addon}", "{script|scripts}", "{api|apis}",
        "{integration|integrations|integrate|integrates|integrated}", "{webhook|webhooks}",
        "{dashboard|dashboards}", "{cli|command line|command-line}", "{bot|slack bot|discord bot|telegram bot}",
        "{template|templates}", "{no-code|low-code|no code}", "{spreadsheet|csv}",
        "{automation|automate|automated|automatically}", "{notification|notifications|reminder|reminders}",
        "{widget|wrapper|scraper|cron}", "{web app|saas|mvp}", "{weekend project|side project}",
        "{just|only} need", "all i need", "{one click|one-click}",
    ),
    # Phrases that contain a cue but mean something else; matching them first keeps them from counting.
    NEUTRAL: (
        "{vs code|vscode|visual studio}", "excel {at|in}", "{hell yes|hell yeah}", "no pain no gain",
        "growing pains", "trend line", "every time",
    ),
}

def _expand(template: str) -> list[str]:
    parts = re.split(r"\{([^{}]*)\}", template)
    choices = [[part] if i % 2 == 0 else part.split("|") for i, part in enumerate(parts)]
    return [" ".join("".join(combo).split()) for combo in itertools.product(*choices)]


def _build_lexicon() -> tuple[dict[str, int], list[int]]:
    """Every phrase mapped to its cue (an index), and every cue's family."""
    lexicon: dict[str, int] = {}
    families: list[int] = []
    for family, family_templates in _LEXICON_TEMPLATES.items():
        for template in family_templates:
            cue = len(families)
            families.append(family)
            for phrase in _expand(template):
                if lexicon.get(phrase, cue) != cue:
                    raise ValueError(f"cue phrase {phrase!r} is listed twice")
                lexicon[phrase] = cue
    return lexicon, families


def _trie_pattern(phrases: list[str]) -> str:
    """One alternation factored as a prefix tree: the regex engine skips a branch on its first character, so a
    tree tries a few dozen branches per word where a flat list would try hundreds."""
    root: dict[str, Any] = {}
    for phrase in phrases:
        node = root
        for char in phrase:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        branches = [
            (r"\s+" if char == " " else re.escape(char)) + build(child)
            for char, child in sorted(node.items())
            if char
        ]
        if not branches:
            return ""
        if "" in node:
            return "(?:" + "|".join(branches) + ")?"
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return build(root)


_LEXICON, CUE_FAMILY = _build_lexicon()
SCORED_CUES = CUE_FAMILY.index(NEUTRAL)  # cues below this index belong to scored families (NEUTRAL comes last)
# Cues outside the lexicon's templates: prices, "like X but", bare numbers, and the separator between fields.
PRICE_CUE = len(CUE_FAMILY)
LIKE_BUT_CUE = PRICE_CUE + 1
NUMBER_CUE = PRICE_CUE + 2
SEPARATOR_CUE = PRICE_CUE + 3
CUE_FAMILY += [WTP, ALTERNATIVE, NUMBER, FIELD]
# Joins fields: neither word nor space in the middle, so no cue can span two fields; matched as a cue of its own.
SEPARATOR = " \x00 "
_LEXICON["\x00"] = SEPARATOR_CUE
_SEPARATOR_MATCH = ("\x00", "")
ONE_PASS_CHARS = 8_000  # longer texts are scanned field by field (see _scan)

# Whole words only: a cue must follow a space and be followed by a non-word character. A literal space as the
# first character lets the engine jump from space to space with a fast search instead of testing a character
# class (`\W`, `\b`, a lookbehind) at every position, about 30% faster; `_normalize` turns the other common
# word breaks into spaces first. Text is lowercased there too: IGNORECASE would disable the engine's
# first-character skip inside the tree. findall (groups: phrase, X of "like X but") builds no match objects.
# Bare numbers are matched in the same pass (for specificity) rather than by a second scan.
CUE_RE = re.compile(
    r" ("
    + _trie_pattern(sorted(_LEXICON))
    + r"|[$€£]\s?\d[\d,]{0,12}(?:\.\d{1,2})?\s?[km]?(?:\s?/\s?(?:month|mo|year|yr|user|seat))?"
    + r"|like(?=\s+(\w[\w.]{1,29})\s+but(?!\w))"
    # An amount in words ("20 dollars") or a bare number, in one alternative that starts with `\d`: the engine
    # skips a branch cheaply only when it starts with a character or a class, and `\d+` alone doubled the scan.
    + r"|\d[\d,]{0,12}(?:\.\d{1,2})?(?:\s?(?:usd|eur|gbp|dollars|bucks|euros)|(?:[.,:]\d+)*)"
    + r")(?!\w)"
)
_LEXICON["like"] = LIKE_BUT_CUE  # after the tree is built: "like" alone is only ever matched by its lookahead
# Characters that often stand right before a word, made spaces (or spaced out) so a cue after them still
# matches; `'`, `-`, `.` and `+` stay, because cues contain them.
_BREAKS = (
    ("\n", " "), ("\t", " "), ("\r", " "), ("(", " "), ("[", " "), ('"', " "), ("*", " "), ("\xa0", " "),
    ("\u201c", " "), ("\u2014", " "), ("/", " / "), ("...", " ... "), ("\u2019", "'"),
)  # fmt: skip


def _normalize(text: str) -> str:
    text = " " + text.lower()
    for old, new in _BREAKS:
        if old in text:
            text = text.replace(old, new)
    return text


# ---------------------------------------------------------------------------------------------------------------
# Engagement: keys by kind, and per-source scales. A scale is the count at which a post is strong for its source;
# counts are log-scaled against it, so 50 upvotes on indiehackers say more than 50 on reddit.

REACTION, COMMENT, VIEW = "reaction", "comment", "view"
ENGAGEMENT_KINDS = {
    **dict.fromkeys(
        "upvotes upvote ups points score likes like votes vote_count stars reactions hearts favorites favourites "
        "retweets reposts shares claps helpful helpful_votes reviews review_count ratings_count rating_count "
        "bookmarks saves forks watchers".split(),
        REACTION,
    ),
    **dict.fromkeys("comments comment_count num_comments replies reply_count answers".split(), COMMENT),
    **dict.fromkeys("views impressions reads plays visits".split(), VIEW),
}
VIEWS_PER_REACTION = 100
MAX_COUNT = 2**63 - 1  # the proto's int64: counts beyond it would not survive the trip into `analysis` (a Struct)


@dataclass(frozen=True, slots=True)
class SourceScale:
    reactions: int
    comments: int


SOURCE_SCALES: dict[str, SourceScale] = {
    "reddit": SourceScale(1000, 200),
    "hackernews": SourceScale(300, 150),
    "producthunt": SourceScale(500, 100),
    "twitter": SourceScale(2000, 200),
    "indiehackers": SourceScale(100, 50),
    "g2": SourceScale(50, 10),
    "capterra": SourceScale(50, 10),
    "trustpilot": SourceScale(100, 10),
    "appstore": SourceScale(500, 20),
    "playstore": SourceScale(500, 20),
    "github": SourceScale(100, 50),
    "stackoverflow": SourceScale(50, 10),
    "linkedin": SourceScale(500, 100),
    "youtube": SourceScale(10_000, 500),
    "lobsters": SourceScale(50, 30),
}
DEFAULT_SCALE = SourceScale(200, 50)
SOURCE_ALIASES = {
    "hn": "hackernews", "ycombinator": "hackernews", "newsycombinator": "hackernews", "x": "twitter",
    "xcom": "twitter", "ph": "producthunt", "ih": "indiehackers", "g2crowd": "g2", "apple": "appstore",
    "appleappstore": "appstore", "ios": "appstore", "googleplay": "playstore", "android": "playstore",
    "so": "stackoverflow", "lobste": "lobsters",
}  # fmt: skip
# Longest first, so "hackernewscom" is hackernews; aliases shorter than 5 letters ("x", "hn") only match exactly.
_SOURCE_PREFIXES = sorted(
    [(name, name) for name in SOURCE_SCALES]
    + [(alias, key) for alias, key in SOURCE_ALIASES.items() if len(alias) >= 5],
    key=lambda pair: -len(pair[0]),
)
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_SOURCE_KEYS: dict[str, str] = {}
MAX_CACHED_SOURCES = 1_024

# Freshness: full marks when seen as it was posted, half after this many days.
FRESHNESS_HALF_LIFE_DAYS = 14.0
CLOCK_SKEW_DAYS = 1.0

DESCRIPTION_CHARS = 500  # description length that earns about 63% of its share of signal quality
SHORT_DESCRIPTION_CHARS = 300
MAX_FEATURE_CUES = 10
_FAMILY_FEATURES = [(f"{n}_hits", f"{n}_weight", f"{n}_comments", f"{n}_cues") for n in FAMILY_NAMES]

WEAK = 60.0  # dimensions below this get a recommendation (the weakest always gets one)
STRONG = 70.0  # when even the weakest dimension reaches this, say what to test next
MAX_RECOMMENDATIONS = 5
MAX_RECOMMENDATION_CHARS = 500


_exp = math.exp
_floor = math.floor


def _sat(x: float, k: float) -> float:
    return 1.0 - _exp(-x / k) if x else 0.0  # 0 gives 0 either way: no call


def _round3(x: float) -> float:
    """`round(x, 3)` of a float (see `_rounded`); whole numbers come back unchanged, as round returns them."""
    return x if x.is_integer() else _rounded(x, 1000)


def _rounded(x: float, scale: int) -> float:
    """`round(x, n)` for `scale` = 10**n, exactly, at a tenth of its cost for the values scores and features
    take. round() writes x out in decimal and reads it back (about 1 us): the nearest multiple of 1/scale to
    the exact x, then the double nearest to that. When x * scale is clear of a tie (more than 1e-6 from
    k + 0.5, while its own rounding error is below 1e-9 in the range taken here), the nearest integer k to
    it is the nearest to the exact x * scale, and k / scale (a correctly rounded division of two integers
    that doubles hold exactly) is the double nearest to the decimal. Ties, negatives and large values go to
    round() itself."""
    y = x * scale
    if 0.0 <= y < 1e6:
        whole = _floor(y)
        fraction = y - whole
        if not 0.499999 < fraction < 0.500001:
            return (whole + 1 if fraction > 0.5 else whole) / scale
    return round(x, {10: 1, 1000: 3}[scale])


def _log_ratio(count: int, scale: int) -> float:
    # math.log, not log1p: it accepts ints of any size.
    return min(1.0, math.log(count + 1) / math.log(scale + 1)) if count > 0 else 0.0


def _source_key(source: str) -> str:
    key = _SOURCE_KEYS.get(source)
    if key is None:
        key = _source_key_uncached(source)
        if len(_SOURCE_KEYS) < MAX_CACHED_SOURCES:  # producers use a handful of names; do not grow without end
            _SOURCE_KEYS[source] = key
    return key


def _source_key_uncached(source: str) -> str:
    key = _NON_ALNUM.sub("", source.lower())
    key = SOURCE_ALIASES.get(key, key)
    if key in SOURCE_SCALES:
        return key
    key = key.removeprefix("www")
    for prefix, known in _SOURCE_PREFIXES:
        if key.startswith(prefix):
            return known
    return ""


def _quoted(items: list[str], limit: int = SHOWN_CUES) -> str:
    shown = "'" + "', '".join(items[:limit]) + "'"
    return shown + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def _level(value: float) -> str:
    if value >= 0.85:
        return "very high"
    if value >= 0.65:
        return "high"
    if value >= 0.4:
        return "moderate"
    return "low" if value > 0 else "none"


# A score as the reasoning shows it (`f"{score:g}"`): a clamped score is one of these 1,001 doubles (k / 10 is
# the double round(x, 1) returns for the decimal k/10), and formatting one costs about 0.5 us.
_SCORE_TEXT = {k / 10: f"{k / 10:g}" for k in range(1, 1_001)}


def _g(score: float) -> str:
    text = _SCORE_TEXT.get(score)  # not 0 (nor -0.0, which would find 0.0's text): those are formatted
    return f"{score:g}" if text is None else text


def _clamp(value: float) -> float:
    """`round(min(100.0, max(0.0, value)), 1)` for a float, spelled out so that whole numbers skip the
    rounding (it returns them unchanged)."""
    value = value if value > 0.0 else 0.0
    value = value if value < 100.0 else 100.0
    return value if value.is_integer() else _rounded(value, 10)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _and(parts: list[str]) -> str:
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)


def _echoed(echo: int) -> str:
    """ " (in 2 comments)": how many comments echo a family, empty when none does."""
    if not echo:
        return ""
    return f" (in {echo} comment{'s' if echo != 1 else ''})"


@dataclass(slots=True)
class _Text:
    """What the cue families found, each list indexed by family (NEUTRAL excluded): hits, evidence weight
    (diminishing returns), comments echoing the family, cue texts in first-seen order."""

    hits: list[int]
    weights: list[float]
    echo: list[int]
    cues: list[list[str]]
    numbers: int  # numbers and prices in the post: specificity
    chars: int
    comments: int  # comments scanned
    stuffing: int  # repeats of a cue beyond the free ones, within the post or within one comment
    trust: float  # factor on every family's weight: 1 unless the post is stuffed
    capped: bool


def _resolve(phrase: str, like: str) -> tuple[int, str]:
    """The cue a matched phrase stands for, and the text to show for it."""
    cue = _LEXICON.get(phrase)
    if cue is None:
        # A phrase split over several spaces or lines, else one of the alternatives outside the lexicon. Matches
        # start with a non-space; one with single ASCII spaces only (most numbers and prices) is as it would be
        # once its whitespace is collapsed, and that was looked up already.
        if "  " in phrase or phrase[-1] == " " or not phrase.isprintable():
            phrase = " ".join(phrase.split())
            cue = _LEXICON.get(phrase)
        if cue is None:
            if phrase[0].isdigit() and not phrase[-1].isalpha():
                return NUMBER_CUE, phrase
            return PRICE_CUE, phrase.replace(" / ", "/")
    elif like:
        phrase = f"like {like} but"
    return cue, phrase


def _stuffing(found: list[tuple[str, str]], post_free: int) -> int:
    """Hits of one cue beyond the free repeats within one voice: the post (title, description and raw content,
    one author) or a single comment. A second pass, run only when some cue is frequent at all."""
    get = _LEXICON.get
    field = 0
    free = post_free
    runs: dict[int, int] = {}
    stuffing = 0
    for phrase, like in found:
        cue = get(phrase)
        if cue is None or like:
            cue = _resolve(phrase, like)[0]
        if cue == SEPARATOR_CUE:
            field += 1
            if field >= 3:  # a new comment: every cue starts again
                runs.clear()
                free = STUFFING_FREE_REPEATS
        elif cue < SCORED_CUES:
            hits = runs[cue] = runs.get(cue, 0) + 1
            if hits > free:
                stuffing += 1
    return stuffing


def _scan(signal: Signal) -> _Text:
    """Cue families in the signal's text: the post (title, description, raw content) and its comments."""
    title = signal.title
    description = signal.description
    raw = signal.raw_content[:MAX_RAW_CHARS]
    if raw:
        # Raw content usually repeats the title and description; counting them twice would read as repetition.
        if description and description in raw:
            raw = raw.replace(description, " ", 1)
        if title and title in raw:
            raw = raw.replace(title, " ", 1)
    comments = signal.comments[:MAX_COMMENTS]
    if comments and (
        max(map(len, comments)) > MAX_COMMENT_CHARS or sum(map(len, comments)) > MAX_COMMENTS_TOTAL_CHARS
    ):
        kept = []
        budget = MAX_COMMENTS_TOTAL_CHARS
        for comment in comments:
            if budget <= 0:
                break
            comment = comment[: min(MAX_COMMENT_CHARS, budget)]
            budget -= len(comment)
            kept.append(comment)
        comments = kept
    # One text, one normalisation, one regex pass; the separators come back as matches and tell the fields apart.
    fields = (title, description, raw, *comments)
    text = SEPARATOR.join(fields)
    if text.count("\x00") != len(fields) - 1:  # a NUL of the signal's own would shift the fields
        text = SEPARATOR.join(part.replace("\x00", " ") for part in fields)
    text = _normalize(text)
    limit = MAX_MATCHES + len(fields) - 1  # separators come back as matches too
    scanned = len(text)
    if scanned <= ONE_PASS_CHARS:
        found = CUE_RE.findall(text)
    else:
        # Field by field, so that cue-stuffed text stops being scanned once the match cap is reached.
        parts = text.split("\x00")
        found = CUE_RE.findall(parts[0])
        scanned = len(parts[0])
        for part in parts[1:]:
            if len(found) > limit:
                break
            found.append(_SEPARATOR_MATCH)
            found += CUE_RE.findall(part)
            scanned += len(part) + 1
    capped = len(found) > limit
    if capped:
        found = found[:limit]

    get = _LEXICON.get
    family_of = CUE_FAMILY
    counts: dict[int, int] = {}
    shown: dict[int, str] = {}
    post_cues = counts
    echo = [0] * FIELD
    last_field = [-1] * FIELD
    field = 0  # 0 title, 1 description, 2 raw content, 3.. comments
    for phrase, like in found:
        cue = get(phrase)
        if cue is None or like:
            cue, phrase = _resolve(phrase, like)
        elif cue == SEPARATOR_CUE:
            field += 1
            if field == 3:
                post_cues = dict(counts)
            continue
        if cue in counts:
            counts[cue] += 1
        else:
            counts[cue] = 1
            shown[cue] = phrase
        if field >= 3:
            family = family_of[cue]
            if last_field[family] != field:
                last_field[family] = field
                echo[family] += 1

    hits_of = [0] * NEUTRAL
    weight_of = [0.0] * NEUTRAL
    cues_of: list[list[str]] = [[], [], [], [], [], [], [], [], []]  # one per scored family (NEUTRAL of them)
    frequent = False  # some scored cue is hit often enough that stuffing is worth checking
    for cue, hits in counts.items():  # first-seen order: post, then comments, left to right
        family = family_of[cue]
        if family >= NEUTRAL:
            continue
        cues_of[family].append(shown[cue])
        if hits == 1:
            hits_of[family] += 1
            weight_of[family] += 1.0
            continue
        hits_of[family] += hits
        weight_of[family] += 1.0 + REPEAT_WEIGHT * min(hits - 1, REPEAT_CAP)
        frequent = frequent or hits > STUFFING_FREE_REPEATS
    stuffing = 0
    if frequent:
        post_chars = len(title) + len(description) + len(raw)
        stuffing = _stuffing(found, STUFFING_FREE_REPEATS + post_chars // STUFFING_CHARS_PER_REPEAT)
    trust = max(STUFFING_MIN_TRUST, 1.0 / (1.0 + stuffing / STUFFING_HALF_TRUST)) if stuffing else 1.0
    if field >= 3 or stuffing:
        weights = [trust * (weight_of[f] + ECHO_WEIGHT * min(echo[f], ECHO_CAP)) for f in range(NEUTRAL)]
    else:
        weights = weight_of  # no comment echoes a family and trust is 1: the same numbers, without the sums
    numbers = post_cues.get(NUMBER_CUE, 0) + post_cues.get(PRICE_CUE, 0)
    # Fields reached, not comments kept: with the match cap hit, later comments were not counted.
    return _Text(hits_of, weights, echo, cues_of, numbers, scanned, max(0, field - 2), stuffing, trust, capped)


@dataclass(slots=True)
class _Engagement:
    source_key: str
    source_said: str
    scale: SourceScale
    reactions: int
    comments: int
    views: int
    reach: float
    discussion: float
    combined: float
    said: str  # "340 upvotes and 85 comments"
    level: str  # " (high for that source)", empty without counts
    ignored: list[str]


def _engagement(signal: Signal) -> _Engagement:
    source_key = _source_key(signal.source)
    scale = SOURCE_SCALES.get(source_key, DEFAULT_SCALE)
    reactions = comments = views = 0
    reaction_parts: list[tuple[int, str]] = []
    ignored: list[str] = []
    for key, value in signal.engagement.items():
        count = int(value)
        count = 0 if count < 0 else (MAX_COUNT if count > MAX_COUNT else count)  # min(max(0, count), MAX_COUNT)
        kind = ENGAGEMENT_KINDS.get(key)
        if kind is None:
            kind = ENGAGEMENT_KINDS.get(key.strip().lower().replace("-", "_").replace(" ", "_"))
        if kind is REACTION:
            reactions += count
            reaction_parts.append((-count, key))
        elif kind is COMMENT:
            comments += count
        elif kind is VIEW:
            views += count
        else:
            ignored.append(key)
    # The comments we were given are a floor for the count, whether or not the producer reported one.
    comments = max(comments, len(signal.comments))
    reach = _log_ratio(reactions + views // VIEWS_PER_REACTION, scale.reactions)
    discussion = _log_ratio(comments, scale.comments)
    parts = [f"{-count:,} {key}" for count, key in sorted(reaction_parts)[:3]]
    if views:
        parts.append(f"{views:,} views")
    if comments:
        parts.append(f"{comments:,} comments")
    combined = 0.7 * reach + 0.3 * discussion
    level = ""
    if parts:
        level = f" ({_level(combined)} {'for that source' if source_key else 'on the default scale'})"
    return _Engagement(
        source_key or "default",  # source_key
        source_key or signal.source,  # source_said
        scale,
        reactions,
        comments,
        views,
        reach,
        discussion,
        combined,
        _and(parts) if parts else "no engagement counts",  # said
        level,
        sorted(ignored) if ignored else ignored,  # a new list either way
    )


def _advice(
    dimension: str, text: _Text, eng: _Engagement, missing: list[str], length: int, freshness: float, fresh_said: str
) -> str:
    """The next step for a weak dimension, naming the evidence behind it."""
    breadth, _, alternative, incumbent, _, pain, wtp, hard, _ = text.cues
    if dimension == "market":
        breadth_said = (
            f"breadth cues are few ({_quoted(breadth, 2)})"
            if breadth
            else "nothing says how many people have this problem"
        )
        return (
            f"Size the demand before building: {eng.said} on {eng.source_said}{eng.level}, and {breadth_said}; "
            "look for the same request on other sources and count who else reports it."
        )
    if dimension == "competition":
        liked = [cue[5:-4] for cue in alternative if cue.startswith("like ")]  # X of "like X but"
        names = incumbent + [name for name in liked if name not in incumbent]
        if names:
            return (
                f"Map the existing alternatives ({', '.join(names[:SHOWN_CUES])}) and find the gap they leave: "
                "what do their users still complain about, and would they switch?"
            )
        if alternative:
            return (
                f"Map the existing alternatives the signal hints at ({_quoted(alternative, 3)}) and find the "
                "gap they leave: what do their users still complain about, and would they switch?"
            )
        return (
            "Search for existing alternatives before building: the signal names none, so check whether the field "
            "is really open."
        )
    if dimension == "emotional":
        if not pain:
            return (
                "Confirm the pain is real: the signal has no pain language; ask people with the problem how often "
                "it hurts and what it costs them today."
            )
        if not wtp:
            return (
                f"Test willingness to pay: there is pain ({_quoted(pain, 2)}) but nobody mentions paying; ask "
                "for a price or a pre-order before building."
            )
        return (
            f"Deepen the evidence of pain ({_quoted(pain, 2)}) and willingness to pay "
            f"({_quoted(wtp, 2)}): ask the people who said it what they pay today."
        )
    if dimension == "feasibility":
        if hard:
            return (
                f"Cut the scope to what a small team can ship: {_quoted(hard, 3)} make this hard; start with a "
                "software-only wedge such as an integration, plugin or dashboard."
            )
        return (
            "Define the smallest shippable version (a plugin, integration, script or dashboard): the signal gives "
            "no cue that a small team can build it."
        )
    return (
        "Corroborate the signal before acting on it"
        + (f": it lacks {', '.join(missing)}" if missing else "")
        + ("; the description is short" if length < SHORT_DESCRIPTION_CHARS else "")
        + (f"; it was {fresh_said}" if freshness < 0.5 else "")
        + "; find the original thread and more first-hand reports of the same problem."
    )


class HeuristicScorer:
    """Scores a signal from cue phrases in its text and its engagement counts; no network, no clock, no state."""

    __slots__ = ()

    name = "heuristic"
    version = "heuristic-1"  # bump when the rules change

    async def score(
        self, signal: Signal, config: ScoringConfig, *, timeout: float | None = None
    ) -> ScoreDraft:
        return self.score_now(signal, config)

    def score_now(self, signal: Signal, config: ScoringConfig) -> ScoreDraft:
        # `config` is unused on purpose: dimension scores describe the signal; the engine applies the weights.
        text = _scan(signal)
        weight, echo = text.weights, text.echo
        breadth, demand, alternative, incumbent, gap, pain, wtp, hard, easy = text.cues
        eng = _engagement(signal)

        market = _clamp(
            10 + 35 * eng.reach + 15 * eng.discussion + 25 * _sat(weight[BREADTH], 1.5) + 15 * _sat(weight[DEMAND], 1.5)
        )
        market_reason = (
            f"Market {_g(market)}: {eng.said} on {eng.source_said}{eng.level}; "
            + (f"breadth cues: {_quoted(breadth)}{_echoed(echo[BREADTH])}" if breadth else "no breadth cues")
            + (f"; demand cues: {_quoted(demand)}{_echoed(echo[DEMAND])}." if demand else "; no demand cues.")
        )

        competition = _clamp(
            55 - 30 * _sat(weight[INCUMBENT], 1.5) - 20 * _sat(weight[ALTERNATIVE], 1.5) + 35 * _sat(weight[GAP], 1.5)
        )
        said = []
        if incumbent:
            said.append(f"named alternatives: {_quoted(incumbent)}")
        if alternative:
            said.append(f"comparison cues: {_quoted(alternative)}")
        if gap:
            said.append(f"open-field cues: {_quoted(gap)}")
        competition_reason = f"Competition {_g(competition)}: " + (
            "; ".join(said) + "." if said else "no alternatives, competitors or open-field cues named; neutral."
        )

        emotional = _clamp(10 + 50 * _sat(weight[PAIN], 2.5) + 40 * _sat(weight[WTP], 2.0))
        emotional_reason = (
            f"Emotional {_g(emotional)}: "
            + (f"pain cues: {_quoted(pain)}{_echoed(echo[PAIN])}" if pain else "no pain language")
            + (
                f"; willingness to pay: {_quoted(wtp)}{_echoed(echo[WTP])}."
                if wtp
                else "; no willingness-to-pay language."
            )
        )

        feasibility = _clamp(60 - 45 * _sat(weight[HARD], 1.2) + 35 * _sat(weight[EASY], 1.5))
        said = []
        if hard:
            said.append(f"scope cues lowering it: {_quoted(hard)}")
        if easy:
            said.append(f"small-scope cues raising it: {_quoted(easy)}")
        feasibility_reason = f"Feasibility {_g(feasibility)}: " + (
            "; ".join(said) + "." if said else "no scope or complexity cues; neutral."
        )
        if text.trust < 1.0:
            discount = f" Cue evidence counts x{text.trust:.2f}: cue words are repeated {text.stuffing} extra times."
            market_reason += discount
            competition_reason += discount
            emotional_reason += discount
            feasibility_reason += discount

        present = []
        if signal.source_url:
            present.append("source_url")
        if signal.author:
            present.append("author")
        if signal.category:
            present.append("category")
        if signal.tags:
            present.append("tags")
        if signal.comments:
            present.append("comments")
        completeness = (
            8 * bool(signal.source_url)
            + 5 * bool(signal.author)
            + 4 * bool(signal.category)
            + 4 * bool(signal.tags)
            + 7 * bool(signal.comments)
        )
        length = len(signal.description)
        numbers = text.numbers
        gap_days: float | None = None
        if signal.timestamp is not None and signal.extracted_at is not None:
            gap_days = (_utc(signal.extracted_at) - _utc(signal.timestamp)).total_seconds() / 86400
        if gap_days is None:
            freshness, fresh_said = 0.5, "posting or extraction time unknown (neutral freshness)"
        elif gap_days < -CLOCK_SKEW_DAYS:
            freshness, fresh_said = 0.0, f"extracted {-gap_days:.1f} days before it was posted (inconsistent)"
        else:
            gap_days = max(0.0, gap_days)
            freshness = 0.5 ** (gap_days / FRESHNESS_HALF_LIFE_DAYS)
            fresh_said = (
                f"extracted {gap_days * 24:.0f} hours after posting"
                if gap_days < 2
                else f"extracted {gap_days:.1f} days after posting"
            )
        signal_quality = _clamp(
            5
            + completeness
            + 20 * _sat(length, DESCRIPTION_CHARS)
            + 12 * _sat(numbers, 2)
            + 20 * eng.combined
            + 15 * freshness
            - min(30, 2 * text.stuffing)
        )
        missing = [name for name in ("source_url", "author", "category", "tags", "comments") if name not in present]
        signal_quality_reason = (
            f"Signal quality {_g(signal_quality)}: "
            + (f"has {', '.join(present)}" if present else "no source_url, author, category, tags or comments")
            + (f"; missing {', '.join(missing)}" if present and missing else "")
            + f"; description of {_count(length, 'character')} with {_count(numbers, 'number')}; "
            + f"engagement {_level(eng.combined)}; "
            + fresh_said
            + (f"; cue words repeated {text.stuffing} extra times (stuffing)." if text.stuffing else ".")
        )

        scores = Scores(market, competition, emotional, feasibility, signal_quality)
        values = (market, competition, emotional, feasibility, signal_quality)
        ranked = sorted(range(len(DIMENSIONS)), key=values.__getitem__)  # stable: ties keep DIMENSIONS order
        chosen = [DIMENSIONS[ranked[0]]] + [DIMENSIONS[i] for i in ranked[1:] if values[i] < WEAK]
        recommendations = [
            _advice(dimension, text, eng, missing, length, freshness, fresh_said)[:MAX_RECOMMENDATION_CHARS]
            for dimension in chosen[: MAX_RECOMMENDATIONS - 1]
        ]
        if values[ranked[0]] >= STRONG:
            recommendations.append(
                "Every dimension the heuristic can see looks solid; test demand cheaply next with a landing page "
                "or ten conversations with people who have the problem."
            )

        features: dict[str, Any] = {
            "source_key": eng.source_key,
            "scale_reactions": eng.scale.reactions,
            "scale_comments": eng.scale.comments,
            "reactions": eng.reactions,
            "comments": eng.comments,
            "views": eng.views,
            "reach": _round3(eng.reach),
            "discussion": _round3(eng.discussion),
            "engagement": _round3(eng.combined),
            "ignored_engagement_keys": eng.ignored,
            "chars_scanned": text.chars,
            "comments_scanned": text.comments,
            "matches_capped": text.capped,
            "description_chars": length,
            "numbers": numbers,
            "present_fields": present,
            "freshness": _round3(freshness),
            "stuffing_excess": text.stuffing,
            "cue_trust": _round3(text.trust),
        }
        if gap_days is not None:
            features["freshness_gap_days"] = round(gap_days, 3)
        hits, cues = text.hits, text.cues
        for family, (hits_key, weight_key, echo_key, cues_key) in enumerate(_FAMILY_FEATURES):
            features[hits_key] = hits[family]
            features[weight_key] = _round3(weight[family])
            features[echo_key] = echo[family]
            shown = cues[family]  # this signal's own list, read-only from here: a copy only to cut it
            features[cues_key] = shown if len(shown) <= MAX_FEATURE_CUES else shown[:MAX_FEATURE_CUES]
        return ScoreDraft(
            scores,
            Reasoning(market_reason, competition_reason, emotional_reason, feasibility_reason, signal_quality_reason),
            recommendations,
            {"scorer": self.name, "scorer_version": self.version, "features": features},  # analysis
        )
