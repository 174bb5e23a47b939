"""The documentation holds together: a short README with a table of contents, every docs/ page linked from
it, every relative link and anchor resolving inside the repository, no link leaving it, and the figures a
page states matching the code (every setting and its default, in docs/configuration.md) or living on their
one page (benchmark figures in docs/performance.md). No server, no network: plain text and the settings
models."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, SecretStr

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
DOCS = REPO / "docs"
CONFIGURATION = DOCS / "configuration.md"
MAX_README_LINES = 320
PATH_LINE = 'export PATH="$PWD/.venv/bin:$PATH"'
# Written in two parts so that this file does not mention them itself.
FORBIDDEN_MENTIONS = ("../" + "shared", "DESIGN" + ".md")


def pages() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def rel(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


# -- Markdown, as GitHub reads it -------------------------------------------------------------------------

FENCE = re.compile(r"^(```|~~~)")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
LINK = re.compile(r"!?\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
AUTOLINK = re.compile(r"<(https?://[^>]+)>")
BARE_URL = re.compile(r"(?<![\w/])(?:https?|ftp)://\S+")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


def prose_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) outside fenced code blocks, with inline code spans blanked (their text kept
    for headings by `heading_text`, not for links)."""
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line.lstrip()):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def without_code_spans(line: str) -> str:
    return INLINE_CODE.sub(lambda m: "x" * len(m.group(0)), line)


def links(path: Path) -> list[tuple[int, str]]:
    """Every link target of a page (inline, reference-style, autolinks), outside code."""
    return links_in(path.read_text(encoding="utf-8"))


def links_in(text: str) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for number, line in prose_lines(text):
        plain = without_code_spans(line)
        found += [(number, m.group(2)) for m in LINK.finditer(plain)]
        found += [(number, m.group(1)) for m in REFERENCE.finditer(plain)]
        found += [(number, m.group(1)) for m in AUTOLINK.finditer(plain)]
    return found


def heading_text(raw: str) -> str:
    """A heading as rendered: links become their text, code spans their content, emphasis marks go."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", raw)
    text = INLINE_CODE.sub(lambda m: m.group(2).strip(), text)
    return re.sub(r"(\*\*|__|\*)", "", text)


def slug(text: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped except `-` and `_`, spaces to `-`."""
    return re.sub(r"[^\w\- ]", "", heading_text(text).strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor of a page; a repeated heading gets `-1`, `-2`... as on GitHub."""
    seen: dict[str, int] = {}
    out: set[str] = set()
    for _, line in prose_lines(path.read_text(encoding="utf-8")):
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        out.add(base if count == 0 else f"{base}-{count}")
    return out


def is_external(target: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:", target)) or target.startswith("//")


def section(path: Path, title: str) -> str:
    """The text under the `## title` heading of a page, up to the next heading of that level."""
    text = path.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\s*$(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    assert match, f"{rel(path)} has no '## {title}' section"
    return match.group(1)


# -- the README -------------------------------------------------------------------------------------------


def test_the_readme_is_short() -> None:
    count = len(README.read_text(encoding="utf-8").splitlines())
    assert count <= MAX_README_LINES, (
        f"README.md has {count} lines, more than {MAX_README_LINES}: move the detail to a page in docs/ and link it"
    )


def test_the_readme_has_a_table_of_contents_of_its_sections_and_every_docs_page() -> None:
    contents = section(README, "Contents")
    targets = {target for _, target in links_in(contents)}
    text = README.read_text(encoding="utf-8")
    headings = [m.group(2) for _, line in prose_lines(text) if (m := HEADING.match(line)) and m.group(1) == "##"]
    for heading in headings:
        if heading == "Contents":
            continue
        assert f"#{slug(heading)}" in targets, f"README.md's Contents has no link to its section '## {heading}'"
    for page in sorted(DOCS.glob("*.md")):
        assert f"docs/{page.name}" in {t.split("#")[0] for t in targets}, (
            f"README.md's Contents has no link to {rel(page)}"
        )


def test_every_docs_page_is_linked_from_the_readme() -> None:
    linked = {(README.parent / target.split("#")[0]).resolve() for _, target in links(README) if not is_external(target)}
    assert DOCS.is_dir() and list(DOCS.glob("*.md")), "docs/ has no pages"
    for page in sorted(DOCS.glob("*.md")):
        assert page.resolve() in linked, f"{rel(page)} is not linked from README.md"


def test_the_readme_states_no_benchmark_figure() -> None:
    figure = re.compile(
        r"\d[\d,.]*\s*k?\s*(?:signals|calls|rows|messages|requests)\s*(?:/\s*s\b|a second|per second)"
        r"|\d[\d,.]*\s*(?:µs|us)\s+(?:a|per)\b|\d[\d,.]*x\b"
    )
    for number, line in enumerate(README.read_text(encoding="utf-8").splitlines(), 1):
        match = figure.search(line)
        assert not match, (
            f"README.md:{number} states a benchmark figure ({match.group(0)!r}): figures live in docs/performance.md"
        )


def test_no_page_but_performance_states_a_throughput_in_its_prose() -> None:
    throughput = re.compile(r"\d[\d,.]*\s*k?\s*(?:signals|calls|rows|messages)/s\b")
    for path in pages():
        if path.name == "performance.md":
            continue
        for number, line in prose_lines(path.read_text(encoding="utf-8")):
            match = throughput.search(without_code_spans(line))
            assert not match, (
                f"{rel(path)}:{number} states a throughput ({match.group(0)!r}): benchmark figures live in "
                "docs/performance.md; link to it"
            )


def test_the_path_note_comes_first_in_the_first_five_minutes_and_the_recipes() -> None:
    assert PATH_LINE in section(README, "The first five minutes"), (
        f"README.md's 'The first five minutes' does not say `{PATH_LINE}`"
    )
    grpcurl = (DOCS / "grpcurl.md").read_text(encoding="utf-8")
    assert "<!-- recipes:start -->" in grpcurl, "docs/grpcurl.md has no <!-- recipes:start --> block"
    head = grpcurl.split("<!-- recipes:start -->", 1)[0].split("## Recipes for every RPC", 1)[-1]
    assert PATH_LINE in head and "make setup" in head, (
        f"docs/grpcurl.md does not say, at the top of its recipes, that make setup installs the tools into "
        f".venv/bin and `{PATH_LINE}`"
    )
    assert "<!-- recipes:start -->" not in README.read_text(encoding="utf-8"), (
        "README.md still holds the recipes: they live in docs/grpcurl.md"
    )


# -- links ------------------------------------------------------------------------------------------------


def test_every_relative_link_resolves_to_a_file_and_a_heading_in_the_repository() -> None:
    cache: dict[Path, set[str]] = {}
    for path in pages():
        for number, target in links(path):
            if is_external(target):
                continue  # test_no_link_leaves_the_repository says why that is wrong
            where = f"{rel(path)}:{number}: link ({target})"
            file_part, _, anchor = target.partition("#")
            resolved = (path.parent / file_part).resolve() if file_part else path.resolve()
            assert resolved.is_relative_to(REPO), f"{where} points outside the repository"
            assert resolved.exists(), f"{where}: {rel(resolved)} does not exist"
            if anchor:
                assert resolved.suffix == ".md", f"{where}: an anchor into a file that is not Markdown"
                known = cache.setdefault(resolved, anchors(resolved))
                assert anchor in known, (
                    f"{where}: {rel(resolved)} has no heading with anchor #{anchor} "
                    f"(its anchors: {', '.join(sorted(known))})"
                )


def test_no_link_leaves_the_repository() -> None:
    for path in pages():
        for number, target in links(path):
            assert not is_external(target), (
                f"{rel(path)}:{number}: link ({target}) leaves the repository; the docs link only to their own files"
            )
            file_part = target.partition("#")[0]
            if file_part:
                resolved = (path.parent / file_part).resolve()
                assert resolved.is_relative_to(REPO), f"{rel(path)}:{number}: link ({target}) leaves the repository"
        for number, line in prose_lines(path.read_text(encoding="utf-8")):
            match = BARE_URL.search(without_code_spans(line))
            assert not match, (
                f"{rel(path)}:{number}: {match.group(0)} outside code becomes a link on GitHub; put it in `code`"
            )


@pytest.mark.parametrize("mention", FORBIDDEN_MENTIONS)
def test_no_page_refers_to_what_lies_outside_the_repository(mention: str) -> None:
    for path in [*pages(), REPO / "tests" / "integration" / "test_grpcurl_recipes.py"]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            assert mention not in line, f"{rel(path)}:{number} mentions {mention}: the repository must be self-contained"


# -- settings: docs/configuration.md against the models ---------------------------------------------------

# Defaults that are not a literal a table can state; their keys must still be listed.
NOT_COMPARABLE = {"services.checks": "a list of check objects (the scoring server's gRPC health)"}
SERVER_NAMES = {"ScoringSettings": "scoring", "OpsSettings": "ops"}


def _section_models(model: type[BaseModel]) -> dict[str, type[BaseModel]]:
    return {
        name: field.annotation
        for name, field in model.model_fields.items()
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
    }


def code_settings() -> dict[str, dict[str, Any]]:
    """{"section.key": {"scoring": default, "ops": default}} over both servers' settings models; a nested
    section's keys as `section.sub.key`."""
    from glm3.servers.ops.settings import OpsSettings
    from glm3.servers.scoring.settings import ScoringSettings

    out: dict[str, dict[str, Any]] = {}
    for model in (ScoringSettings, OpsSettings):
        server = SERVER_NAMES[model.__name__]
        for name, section_model in _section_models(model).items():
            defaults = model.model_fields[name].get_default(call_default_factory=True)
            for key in section_model.model_fields:
                value = getattr(defaults, key)
                if isinstance(value, BaseModel) and key in _section_models(section_model):
                    for sub in type(value).model_fields:
                        out.setdefault(f"{name}.{key}.{sub}", {})[server] = getattr(value, sub)
                else:
                    out.setdefault(f"{name}.{key}", {})[server] = value
    return out


def env_aliases() -> dict[str, list[str]]:
    from glm3.servers.common.settings import LlmSection

    out: dict[str, list[str]] = {}
    for key, field in LlmSection.model_fields.items():
        extra = field.json_schema_extra
        if isinstance(extra, dict) and extra.get("env_aliases"):
            out[f"llm.{key}"] = list(extra["env_aliases"])  # type: ignore[arg-type]
    return out


def documented_settings() -> dict[str, tuple[int, str, str]]:
    """{"section.key": (line, environment cell, default cell)} from the tables of docs/configuration.md."""
    rows: dict[str, tuple[int, str, str]] = {}
    for number, line in prose_lines(CONFIGURATION.read_text(encoding="utf-8")):
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) < 4:
            continue
        key = re.fullmatch(r"`([a-z_]+(?:\.[a-z_]+)+)`", cells[0])
        if key:
            assert key.group(1) not in rows, f"docs/configuration.md:{number}: {key.group(1)} is listed twice"
            rows[key.group(1)] = (number, cells[1], cells[2])
    return rows


def parse_default(cell: str) -> dict[str, str] | str:
    """What a Default cell states: `value`, "empty", "unset", or `a` scoring, `b` ops."""
    per_server = re.fullmatch(r"`([^`]*)` scoring, `([^`]*)` ops", cell)
    if per_server:
        return {"scoring": per_server.group(1), "ops": per_server.group(2)}
    spans = re.findall(r"`([^`]*)`", cell)
    if spans and cell.startswith("`"):
        return spans[0]
    return cell.split()[0].lower() if cell else ""


def states(text: str, value: Any) -> bool:
    """Whether a table's `text` states the code's default `value`."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if value is None:
        return text == "unset"
    if isinstance(value, bool):
        return text == str(value).lower()
    if isinstance(value, (int, float)):
        try:
            return float(text.replace(",", "").replace("_", "")) == float(value)
        except ValueError:
            return False
    if isinstance(value, (str, list, tuple, dict)) and len(value) == 0:
        return text == "empty"
    if isinstance(value, str):
        return text == value
    raise AssertionError(f"a default of type {type(value).__name__} ({value!r}): add its key to NOT_COMPARABLE")


def test_every_setting_of_the_code_is_in_the_configuration_table() -> None:
    documented = documented_settings()
    missing = sorted(set(code_settings()) - set(documented))
    assert not missing, f"docs/configuration.md's tables lack these settings of the code: {', '.join(missing)}"


def test_every_setting_in_the_configuration_table_exists_in_the_code() -> None:
    unknown = sorted(set(documented_settings()) - set(code_settings()))
    assert not unknown, f"docs/configuration.md lists settings the code does not have: {', '.join(unknown)}"


def test_the_configuration_table_states_the_code_defaults_and_environment_variables() -> None:
    from glm3.servers.common.settings import env_var

    code = code_settings()
    aliases = env_aliases()
    for key, (number, env_cell, default_cell) in documented_settings().items():
        if key not in code:
            continue  # the test above names it
        where = f"docs/configuration.md:{number}: {key}"
        section, _, rest = key.partition(".")
        if "YAML only" not in env_cell:
            expected = env_var(section, rest.replace(".", "_"))
            assert f"`{expected}`" in env_cell, f"{where}: its environment variable is {expected}, not {env_cell!r}"
            for alias in aliases.get(key, []):
                assert f"`{alias}`" in env_cell, f"{where}: the environment cell does not name {alias}"
        if key in NOT_COMPARABLE:
            continue
        defaults = code[key]
        stated = parse_default(default_cell)
        if isinstance(stated, dict):
            for server, value in defaults.items():
                assert server in stated and states(stated[server], value), (
                    f"{where}: the {server} server's default is {value!r}, the table says {default_cell!r}"
                )
        else:
            distinct = {repr(v) for v in defaults.values()}
            assert len(distinct) == 1, (
                f"{where}: the servers' defaults differ ({defaults}); write `a` scoring, `b` ops"
            )
            value = next(iter(defaults.values()))
            assert states(stated, value), f"{where}: the code's default is {value!r}, the table says {default_cell!r}"


def yaml_block(path: Path, first_line: str) -> str:
    text = path.read_text(encoding="utf-8")
    for block in re.findall(r"```yaml\n(.*?)```", text, flags=re.S):
        if block.startswith(first_line):
            return block
    raise AssertionError(f"{rel(path)} has no yaml block starting with {first_line!r}")


def test_the_example_scoring_yaml_states_the_code_defaults() -> None:
    from glm3.servers.scoring.settings import ScoringSettings

    example = yaml.safe_load(yaml_block(CONFIGURATION, "# scoring.yaml"))
    defaults = ScoringSettings()

    def walk(data: dict[str, Any], obj: Any, path: str) -> None:
        for key, value in data.items():
            where = f"docs/configuration.md's scoring.yaml: {path}{key}"
            assert hasattr(obj, key), f"{where} is not a setting"
            actual = getattr(obj, key)
            if isinstance(value, dict) and isinstance(actual, BaseModel):
                walk(value, actual, f"{path}{key}.")
                continue
            if isinstance(actual, SecretStr):
                actual = actual.get_secret_value()
            if isinstance(actual, dict) and not actual:
                actual = {}
            assert value == actual, f"{where} is {value!r}, the code's default is {actual!r}"

    walk(example, defaults, "")


@pytest.mark.parametrize(
    ("first_line", "server"), [("# scoring.yaml", "scoring"), ("# ops.yaml", "ops")]
)
def test_the_example_files_are_valid_settings(first_line: str, server: str, tmp_path: Path) -> None:
    from glm3.servers.common.settings import ConfigError, load_settings
    from glm3.servers.ops.settings import OpsSettings
    from glm3.servers.scoring.settings import ScoringSettings

    model = ScoringSettings if server == "scoring" else OpsSettings
    path = tmp_path / f"{server}.yaml"
    path.write_text(yaml_block(CONFIGURATION, first_line), encoding="utf-8")
    try:
        load_settings(model, path, environ={})
    except ConfigError as exc:
        raise AssertionError(f"docs/configuration.md's {server}.yaml is refused: {exc}") from None
