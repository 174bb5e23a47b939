"""Settings: defaults < YAML < environment, and one clear error naming the bad key and its source."""

from __future__ import annotations

from pathlib import Path

import pytest

from glm3.servers.common.settings import ConfigError, Section, describe_options, env_var, load_settings
from glm3.servers.ops.settings import OpsSettings
from glm3.servers.scoring.settings import ScoringSettings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_defaults_differ_per_server() -> None:
    scoring, _ = load_settings(ScoringSettings, None, {})
    ops, _ = load_settings(OpsSettings, None, {})
    assert (scoring.server.host, scoring.server.port) == ("127.0.0.1", 50051)
    assert (ops.server.host, ops.server.port) == ("127.0.0.1", 50052)
    assert scoring.storage.uri == "./data/lancedb"
    assert not scoring.llm.configured


def test_yaml_overrides_defaults_and_env_overrides_yaml(tmp_path: Path) -> None:
    config = write(tmp_path, "server:\n  port: 6000\n  max_concurrent_rpcs: 7\nlog:\n  level: debug\n")
    from_yaml, _ = load_settings(ScoringSettings, config, {})
    assert from_yaml.server.port == 6000
    assert from_yaml.server.max_concurrent_rpcs == 7
    assert from_yaml.server.keepalive_time_s == 60.0  # untouched keys keep their defaults
    assert from_yaml.log.level == "DEBUG"

    both, _ = load_settings(ScoringSettings, config, {"GLM3_SERVER_PORT": "7000"})
    assert both.server.port == 7000
    assert both.server.max_concurrent_rpcs == 7


def test_a_section_override_keeps_the_servers_own_defaults(tmp_path: Path) -> None:
    ops, _ = load_settings(OpsSettings, write(tmp_path, "server:\n  host: 127.0.0.2\n"), {})
    assert ops.server.port == 50052


def test_openai_variables_are_read_and_glm3_ones_win() -> None:
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_API_KEY": "sk-test", "GLM3_LLM_MODEL": "m"}
    settings, _ = load_settings(ScoringSettings, None, env)
    assert settings.llm.base_url == "http://127.0.0.1:9/v1"
    assert settings.llm.api_key is not None and settings.llm.api_key.get_secret_value() == "sk-test"
    assert settings.llm.configured
    env["GLM3_LLM_BASE_URL"] = "http://127.0.0.1:10/v1"
    settings, _ = load_settings(ScoringSettings, None, env)
    assert settings.llm.base_url == "http://127.0.0.1:10/v1"


def test_bad_env_value_names_key_and_variable() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(ScoringSettings, None, {"GLM3_SERVER_PORT": "70000"})
    message = str(info.value)
    assert "server.port" in message and "GLM3_SERVER_PORT" in message and "65535" in message
    assert "\n" not in message


def test_bad_yaml_value_names_key_and_file(tmp_path: Path) -> None:
    config = write(tmp_path, "log:\n  format: xml\n")
    with pytest.raises(ConfigError) as info:
        load_settings(ScoringSettings, config, {})
    assert "log.format" in str(info.value) and str(config) in str(info.value)


def test_unknown_yaml_key_and_section(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown key 'server.prot'"):
        load_settings(ScoringSettings, write(tmp_path, "server:\n  prot: 1\n"), {})
    with pytest.raises(ConfigError, match=r"unknown section 'sever'"):
        load_settings(ScoringSettings, write(tmp_path, "sever:\n  port: 1\n"), {})


def test_unreadable_or_malformed_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_settings(ScoringSettings, tmp_path / "missing.yaml", {})
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(ScoringSettings, write(tmp_path, "server: [1,\n"), {})
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_settings(ScoringSettings, write(tmp_path, "- 1\n"), {})


def test_secret_values_are_not_echoed_in_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(ScoringSettings, write(tmp_path, "llm:\n  api_key: [sk-very-secret]\n"), {})
    assert "llm.api_key" in str(info.value)
    assert "sk-very-secret" not in str(info.value)


def test_unknown_variable_of_a_known_section_stops_the_server_with_a_suggestion() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(ScoringSettings, None, {"GLM3_SCORING_GO_TRESHOLD": "0.7", "GLM3_SERVER_PROT": "1"})
    message = str(info.value)
    assert "unknown environment variable GLM3_SCORING_GO_TRESHOLD (did you mean GLM3_SCORING_GO_THRESHOLD?)" in message
    assert "unknown environment variable GLM3_SERVER_PROT (did you mean GLM3_SERVER_PORT?)" in message
    assert "\n" not in message


def test_variables_of_other_sections_are_left_alone_unless_they_look_mistyped() -> None:
    env = {
        "GLM3_OTHER_THING": "x",
        "GLM3_TARGET": "127.0.0.1:1",  # the client's
        "GLM3_OPS_TARGET": "127.0.0.1:2",
        "GLM3_TOKEN": "t",
        "GLM3_RUNBOOKS_PATH": "/r.yaml",  # the ops server's, seen by the scoring server under make run
        "GLM3_SCORNG_GO_THRESHOLD": "0.7",
    }
    _, warnings = load_settings(ScoringSettings, None, env)
    assert warnings == [
        "ignoring unknown environment variable GLM3_SCORNG_GO_THRESHOLD (did you mean GLM3_SCORING_GO_THRESHOLD?)"
    ]
    _, warnings = load_settings(OpsSettings, None, env)
    assert warnings == []


def test_a_number_from_the_environment_is_shown_as_written() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(ScoringSettings, None, {"GLM3_SERVER_PORT": "70000"})
    assert "invalid server.port = 70000 from GLM3_SERVER_PORT" in str(info.value)
    with pytest.raises(ConfigError) as info:
        load_settings(ScoringSettings, None, {"GLM3_LOG_FORMAT": "xml"})
    assert "invalid log.format = 'xml' from GLM3_LOG_FORMAT" in str(info.value)


def test_a_rule_of_a_section_names_the_keys_that_were_set_and_their_source(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(ScoringSettings, None, {"GLM3_SCORING_GO_THRESHOLD": "20"})
    message = str(info.value)
    assert message.startswith("invalid scoring (scoring.go_threshold from GLM3_SCORING_GO_THRESHOLD): ")
    assert "research_threshold" in message and "defaults" not in message and "{" not in message
    config = write(tmp_path, "scoring:\n  research_threshold: 90\n")
    with pytest.raises(ConfigError) as info:
        load_settings(ScoringSettings, config, {})
    assert f"scoring.research_threshold from {config}" in str(info.value)


def test_every_bad_value_is_named_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(ScoringSettings, None, {"GLM3_SERVER_MAX_CONCURRENT_RPCS": "-1", "GLM3_LLM_TIMEOUT_S": "-3"})
    message = str(info.value)
    assert "server.max_concurrent_rpcs = -1 from GLM3_SERVER_MAX_CONCURRENT_RPCS" in message
    assert "llm.timeout_s = -3 from GLM3_LLM_TIMEOUT_S" in message
    assert "\n" not in message


def test_help_describes_every_option() -> None:
    text = describe_options(ScoringSettings)
    for section in ("server", "log", "storage", "llm"):
        model = type(getattr(ScoringSettings(), section))
        for key, field in model.model_fields.items():
            nested = field.annotation
            if isinstance(nested, type) and issubclass(nested, Section):  # server.tls.cert_file
                for sub in nested.model_fields:
                    assert f"{section}.{key}.{sub} / {env_var(section, f'{key}_{sub}')}" in text
                continue
            assert f"{section}.{key} / {env_var(section, key)}" in text
