"""Settings: defaults, beian.toml, environment variables, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.config import load_settings
from audit.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("BEIAN_CONFIG", "BEIAN_DATABASE_URL", "BEIAN_CRAWL__TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_are_sqlite_in_the_working_directory_and_the_yuncheng_profile() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///beian.db"
    assert settings.profile.name == "运城市"
    assert settings.profile.province_abbr == "晋"
    assert settings.profile.division_prefix == "1408"
    assert settings.profile.divisions["140802"] == "盐湖区"
    assert len(settings.profile.divisions) == 13
    assert "yuncheng.gov.cn" in settings.profile.gov_domain_suffixes
    assert settings.crawl.robots_txt == "ignore"
    assert settings.crawl.resolved_user_agent().startswith("beian-audit/")


def test_beian_toml_in_the_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / "beian.toml").write_text(
        '[crawl]\ntimeout = 4.5\nproxy = "http://proxy.example:3128"\n', "utf-8"
    )
    settings = load_settings()
    assert settings.crawl.timeout == 4.5
    assert settings.crawl.proxy == "http://proxy.example:3128"
    assert settings.config_path == tmp_path / "beian.toml"


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "beian.toml").write_text(
        'database_url = "sqlite:///from-file.db"\n[crawl]\ntimeout = 4.5\n', "utf-8"
    )
    monkeypatch.setenv("BEIAN_DATABASE_URL", "postgresql://audit@db.example/beian")
    monkeypatch.setenv("BEIAN_CRAWL__TIMEOUT", "9")
    settings = load_settings()
    # plain postgresql:// means the psycopg 3 driver we install
    assert settings.database_url == "postgresql+psycopg://audit@db.example/beian"
    assert settings.crawl.timeout == 9


def test_config_path_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "elsewhere.toml"
    other.write_text("[crawl]\nretries = 3\n", "utf-8")
    monkeypatch.setenv("BEIAN_CONFIG", str(other))
    assert load_settings().crawl.retries == 3


def test_a_profile_for_another_city(tmp_path: Path) -> None:
    (tmp_path / "beian.toml").write_text(
        """
[profile]
name = "太原市"
province = "山西省"
province_abbr = "晋"
division_prefix = "1401"
gov_domain_suffixes = ["taiyuan.gov.cn"]
[profile.divisions]
"140105" = "小店区"
""",
        "utf-8",
    )
    profile = load_settings().profile
    assert profile.name == "太原市" and profile.divisions == {"140105": "小店区"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[crawl]\ntimeout = 'soon'\n", "crawl.timeout: Input should be a valid number"),
        ("[crawl]\ntimout = 3\n", "crawl.timout: unknown setting"),
        ("database_url = 'mysql://x/y'\n", "database_url: Value error, only sqlite"),
        ("[crawl\n", "invalid TOML"),
        ("[profile]\nprovince_abbr = 'X'\n", "profile.province_abbr"),
        ("[crawl]\nrobots_txt = 'sometimes'\n", "crawl.robots_txt"),
    ],
)
def test_bad_configuration_names_the_file_and_the_field(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "beian.toml").write_text(text, "utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert str(error.value).startswith(str(tmp_path / "beian.toml"))
    assert message in str(error.value)


def test_a_missing_explicit_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_settings(tmp_path / "nope.toml")


def test_bad_environment_value_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEIAN_CRAWL__TIMEOUT", "-1")
    with pytest.raises(ConfigError, match=r"crawl\.timeout"):
        load_settings()


def test_the_example_configuration_is_valid_and_matches_the_defaults() -> None:
    from audit.config import Settings
    from tests.conftest import REPO

    example = load_settings(REPO / "beian.example.toml")
    defaults = Settings()
    assert example.model_dump(exclude={"config_path"}) == defaults.model_dump(
        exclude={"config_path"}
    )


def test_a_profile_with_the_retired_name_keywords_still_loads(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = tmp_path / "beian.toml"
    config.write_text(
        '[profile]\nname = "运城市"\nprovince = "山西省"\nprovince_abbr = "晋"\n'
        'division_prefix = "1408"\ngov_domain_suffixes = ["yuncheng.gov.cn"]\n'
        'name_keywords = ["运城"]\n[profile.divisions]\n"140802" = "盐湖区"\n',
        "utf-8",
    )
    assert load_settings(config).profile.name == "运城市"
    assert "name_keywords is not used" in caplog.text
